//! In-memory caches (moka) for the hot reads of a till: product by barcode or SKU,
//! the shop's settings, and operator sessions (who may do what).
//!
//! - Bounded; concurrent loads of one key are coalesced (`try_get_with`), so a burst
//!   of scans of a cold barcode reads SQLite once.
//! - Invalidated by committed events, synchronously in the commit listener, so the
//!   next read after a price change sees the new price (read-your-writes at the
//!   till). A load that raced with a commit is detected by its epoch stamp and never
//!   served to a later reader.
//! - Failed loads (not found, storage errors) are not cached.

use crate::domain::event::{Envelope, EventType};
use crate::domain::ids::{OperatorId, ProductId, TenantId};
use crate::domain::permission::Role;
use crate::domain::product::Product;
use crate::domain::tenant::Tenant;
use crate::store::CommitListener;
use moka::sync::Cache;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Products kept (by code).
const PRODUCT_CAPACITY: u64 = 20_000;
/// Operators kept.
const SESSION_CAPACITY: u64 = 1_000;
/// Loads tried before giving up on a stable value.
const ATTEMPTS: usize = 3;

/// How a product is looked up at the till.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProductCode {
    /// A barcode as scanned.
    Barcode(String),
    /// A SKU, upper-cased.
    Sku(String),
}

/// What authorisation needs to know of an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// The operator.
    pub operator: OperatorId,
    /// Their shop.
    pub tenant: TenantId,
    /// Their current role.
    pub role: Role,
    /// Whether they may still act.
    pub active: bool,
}

/// Loads done by each cache (misses that reached SQLite).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Product loads.
    pub product_loads: u64,
    /// Tenant loads.
    pub tenant_loads: u64,
    /// Session loads.
    pub session_loads: u64,
}

struct Loaded<V> {
    value: Arc<V>,
    /// The epoch when the load began; a change stamped later may not be in it.
    started: u64,
}

/// A moka cache whose values are checked against the epoch stamp of the entity
/// they hold (`S`), set whenever an event changes that entity.
struct EpochCache<K, S, V> {
    cache: Cache<K, Arc<Loaded<V>>>,
    stamps: Mutex<HashMap<S, u64>>,
    stamp_of: fn(&V) -> S,
    loads: AtomicU64,
    /// Every entity's stamp is at least this (a change to many at once).
    floor: AtomicU64,
}

impl<K, S, V> EpochCache<K, S, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    S: Hash + Eq + Copy,
    V: Send + Sync + 'static,
{
    fn new(capacity: u64, stamp_of: fn(&V) -> S) -> Self {
        Self {
            cache: Cache::builder().max_capacity(capacity).build(),
            stamps: Mutex::new(HashMap::new()),
            stamp_of,
            loads: AtomicU64::new(0),
            floor: AtomicU64::new(0),
        }
    }

    fn stamp(&self, s: &S) -> u64 {
        self.stamps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(s)
            .copied()
            .unwrap_or(0)
            .max(self.floor.load(Ordering::SeqCst))
    }

    /// Marks every entity changed at `epoch`.
    fn touch_all(&self, epoch: u64) {
        self.floor.fetch_max(epoch, Ordering::SeqCst);
        self.cache.invalidate_all();
    }

    fn touch(&self, s: S, epoch: u64) {
        self.stamps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(s, epoch);
    }

    fn get<E: Send + Sync + 'static>(
        &self,
        epoch: &AtomicU64,
        key: K,
        load: impl Fn() -> Result<V, E>,
        unshare: impl Fn(Arc<E>) -> E,
    ) -> Result<Arc<V>, E> {
        for _ in 0..ATTEMPTS {
            let loaded = self
                .cache
                .try_get_with(key.clone(), || {
                    let started = epoch.load(Ordering::SeqCst);
                    self.loads.fetch_add(1, Ordering::Relaxed);
                    load().map(|v| {
                        Arc::new(Loaded {
                            value: Arc::new(v),
                            started,
                        })
                    })
                })
                .map_err(&unshare)?;
            if self.stamp(&(self.stamp_of)(&loaded.value)) <= loaded.started {
                return Ok(loaded.value.clone());
            }
            // Changed after (or while) it was loaded: drop it and load again.
            self.cache.invalidate(&key);
        }
        // Changing faster than it loads: read it directly, uncached.
        self.loads.fetch_add(1, Ordering::Relaxed);
        load().map(Arc::new)
    }
}

/// The caches of one shop database.
pub struct Caches {
    epoch: AtomicU64,
    products: EpochCache<ProductCode, ProductId, Product>,
    tenants: EpochCache<TenantId, TenantId, Tenant>,
    sessions: EpochCache<OperatorId, OperatorId, Session>,
}

impl std::fmt::Debug for Caches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caches")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Default for Caches {
    fn default() -> Self {
        Self::new()
    }
}

impl Caches {
    /// Empty caches.
    pub fn new() -> Self {
        Self {
            epoch: AtomicU64::new(0),
            products: EpochCache::new(PRODUCT_CAPACITY, |p: &Product| p.id),
            tenants: EpochCache::new(16, |t: &Tenant| t.id),
            sessions: EpochCache::new(SESSION_CAPACITY, |s: &Session| s.operator),
        }
    }

    /// The product with `code`, loading it with `load` on a miss.
    pub fn product<E: Send + Sync + 'static>(
        &self,
        code: ProductCode,
        load: impl Fn() -> Result<Product, E>,
        unshare: impl Fn(Arc<E>) -> E,
    ) -> Result<Arc<Product>, E> {
        self.products.get(&self.epoch, code, load, unshare)
    }

    /// The shop's settings.
    pub fn tenant<E: Send + Sync + 'static>(
        &self,
        id: TenantId,
        load: impl Fn() -> Result<Tenant, E>,
        unshare: impl Fn(Arc<E>) -> E,
    ) -> Result<Arc<Tenant>, E> {
        self.tenants.get(&self.epoch, id, load, unshare)
    }

    /// An operator's session.
    pub fn session<E: Send + Sync + 'static>(
        &self,
        id: OperatorId,
        load: impl Fn() -> Result<Session, E>,
        unshare: impl Fn(Arc<E>) -> E,
    ) -> Result<Arc<Session>, E> {
        self.sessions.get(&self.epoch, id, load, unshare)
    }

    /// Forgets the cached product under `code` (to measure a cold scan; sessions
    /// stay warm, as they are at a till where someone is logged in).
    pub fn forget_product(&self, code: &ProductCode) {
        self.products.cache.invalidate(code);
    }

    /// Loads done so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            product_loads: self.products.loads.load(Ordering::Relaxed),
            tenant_loads: self.tenants.loads.load(Ordering::Relaxed),
            session_loads: self.sessions.loads.load(Ordering::Relaxed),
        }
    }

    /// Marks what `events` changed as stale.
    pub fn invalidate(&self, events: &[Envelope]) {
        for e in events {
            let Some(t) = EventType::parse(&e.event_type) else {
                continue;
            };
            if t == EventType::FeedApplied {
                // A page of other devices' changes: whatever it touched is stale.
                let epoch = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
                self.products.touch_all(epoch);
                self.tenants.touch_all(epoch);
                self.sessions.touch_all(epoch);
                continue;
            }
            let Some(id) = changed_id(t, e) else {
                continue;
            };
            let epoch = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
            match id {
                Changed::Product(p) => self.products.touch(p, epoch),
                Changed::Tenant(t) => self.tenants.touch(t, epoch),
                Changed::Operator(o) => self.sessions.touch(o, epoch),
            }
        }
    }
}

enum Changed {
    Product(ProductId),
    Tenant(TenantId),
    Operator(OperatorId),
}

/// The ids a payload may carry; only the one its type names is read.
#[derive(serde::Deserialize)]
struct Ids {
    product_id: Option<ProductId>,
    tenant_id: Option<TenantId>,
    operator_id: Option<OperatorId>,
}

/// Which cached entity an event changes (without decoding the whole payload).
fn changed_id(t: EventType, e: &Envelope) -> Option<Changed> {
    use EventType as T;
    let ids = || match serde_json::from_str::<Ids>(e.data.get()) {
        Ok(ids) => Some(ids),
        Err(err) => {
            // Cannot happen for an event this app wrote; say so loudly if it does.
            tracing::error!(seq = e.seq, error = %err, "cannot read the ids of an event; cache not invalidated");
            None
        }
    };
    match t {
        T::ProductCreated | T::ProductUpdated | T::ProductStatusChanged | T::StockMoved => {
            ids()?.product_id.map(Changed::Product)
        }
        T::TenantCreated | T::TenantSettingsChanged => ids()?.tenant_id.map(Changed::Tenant),
        T::OperatorCreated
        | T::OperatorRoleChanged
        | T::OperatorDeactivated
        | T::OperatorPinReset
        | T::OperatorPinRejected
        | T::OperatorLoggedIn => ids()?.operator_id.map(Changed::Operator),
        _ => None,
    }
}

/// Invalidates `caches` from the commit path.
pub struct CacheInvalidator(pub Arc<Caches>);

impl CommitListener for CacheInvalidator {
    fn committed(&self, events: &[Envelope]) {
        self.0.invalidate(events);
    }
}
