//! Use cases: one function per operation, each taking an [`Actor`], checking the
//! permission table, running in one transaction, and returning a typed [`ShopError`].

mod cash;
pub use cash::ClosePreview;
mod catalog;
mod categories;
mod content;
mod import;
mod maintenance;
mod operators;
mod orders;
mod parked;
mod pull;
mod report;
mod setup;
mod tickets;

pub use import::{ImportProgress, ImportReport, RejectedRow, IMPORT_BATCH_ROWS, IMPORT_COLUMNS};
pub use maintenance::DeadLetterDetail;
pub use operators::OperatorRights;
pub use orders::{NewLine, NewOrder, Quote, ShortLine};
pub use parked::{new_lines as parked_lines, ParkedSale};
pub use pull::{ChangedElsewhere, PullApplied, PulledPage};
pub use report::{ShiftReport, TaxLine, MAX_SHIFTS_LISTED};
pub use setup::{JoinSetup, ShopSetup};
pub use tickets::{IssuedTicket, TicketCart, TicketCartLine};

use crate::cache::{CacheInvalidator, Caches, Session};
use crate::domain::clock::{Clock, Entropy};
use crate::domain::event::Origin;
use crate::domain::ids::{CorrelationId, OperatorId, TenantId};
use crate::domain::operator::Pin;
use crate::domain::permission::{Operation, Role};
use crate::domain::tenant::Tenant;
use crate::domain::{DomainError, FieldError};
use crate::index::{IndexError, SearchIndex};
use crate::store::{self, EventMeta, Store, StoreError, WriteTx};
use rusqlite::Connection;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

/// An authenticated operator acting on a shop. Only [`Shop::login`] and
/// [`Shop::set_up`] make one, so holding an `Actor` means a PIN was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    tenant_id: TenantId,
    operator_id: OperatorId,
    role: Role,
}

impl Actor {
    /// The shop.
    pub fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }

    /// The operator.
    pub fn operator_id(&self) -> OperatorId {
        self.operator_id
    }

    /// The role at login (the service re-reads the current role on every call).
    pub fn role(&self) -> Role {
        self.role
    }
}

/// What a use case can fail with. The UI branches on [`ShopError::code`].
#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    /// Input is invalid; nothing was changed.
    #[error("invalid input: {}", fields.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Validation {
        /// Every invalid field.
        fields: Vec<FieldError>,
    },
    /// The entity does not exist in this shop.
    #[error("{entity} not found")]
    NotFound {
        /// What was looked for.
        entity: &'static str,
    },
    /// The operator's role does not allow the operation.
    #[error("your role may not {operation}")]
    Forbidden {
        /// The operation refused.
        operation: &'static str,
    },
    /// Someone else changed the entity first; reload and try again.
    #[error("{entity} was changed meanwhile (now version {found}, edit was based on {expected}); reload and try again")]
    Conflict {
        /// What was edited.
        entity: &'static str,
        /// Version the edit was based on.
        expected: u32,
        /// Version now stored.
        found: u32,
    },
    /// The current state has no such transition.
    #[error("cannot {action} when the state is {from}")]
    InvalidTransition {
        /// Current state.
        from: &'static str,
        /// Requested action.
        action: &'static str,
    },
    /// Too many wrong PINs; try again later.
    #[error("locked after too many wrong PINs; try again in {retry_after_secs} s")]
    Locked {
        /// Seconds until the lock ends.
        retry_after_secs: u64,
    },
    /// The PIN was wrong.
    #[error("wrong PIN; {attempts_left} attempts left before a lockout")]
    WrongPin {
        /// Wrong PINs left before a lockout.
        attempts_left: u32,
    },
    /// Selling needs an open cash session.
    #[error("no cash session is open; open a shift first")]
    CashSessionRequired,
    /// A cash session is already open on this device.
    #[error("a cash session is already open; close it first")]
    CashSessionOpen,
    /// The device already has a shop.
    #[error("this device is already set up")]
    AlreadySetUp,
    /// Closing the shift with this difference needs a manager's approval.
    #[error("the difference of {difference} is above the shop's limit of {limit}; a manager must approve it")]
    ApprovalRequired {
        /// `counted − expected`, minor units.
        difference: i64,
        /// The shop's limit, minor units.
        limit: i64,
    },
    /// Selling more than is in stock needs a manager's approval (the shop does not
    /// allow overselling).
    #[error("{} not enough in stock; a manager must approve selling it", short_skus(.short))]
    StockApprovalRequired {
        /// The lines short of stock.
        short: Vec<orders::ShortLine>,
    },
    /// A discount above the shop's limit for the operator's role needs a manager's
    /// approval.
    #[error("a discount above {limit_bp} basis points of the sale needs a manager's approval")]
    DiscountApprovalRequired {
        /// The shop's limit, basis points.
        limit_bp: u32,
    },
    /// The database failed; nothing was changed.
    #[error("storage error: {0}")]
    Storage(#[from] StoreError),
}

fn short_skus(short: &[orders::ShortLine]) -> String {
    short
        .iter()
        .map(|s| format!("{}: only {} of {}", s.sku, s.on_hand, s.quantity))
        .collect::<Vec<_>>()
        .join(", ")
}

impl ShopError {
    /// Stable machine code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            ShopError::Validation { .. } => "validation",
            ShopError::NotFound { .. } => "not_found",
            ShopError::Forbidden { .. } => "forbidden",
            ShopError::Conflict { .. } => "conflict",
            ShopError::InvalidTransition { .. } => "invalid_transition",
            ShopError::Locked { .. } => "locked",
            ShopError::WrongPin { .. } => "wrong_pin",
            ShopError::CashSessionRequired => "cash_session_required",
            ShopError::CashSessionOpen => "cash_session_open",
            ShopError::AlreadySetUp => "already_set_up",
            ShopError::ApprovalRequired { .. } => "approval_required",
            ShopError::StockApprovalRequired { .. } => "stock_approval_required",
            ShopError::DiscountApprovalRequired { .. } => "discount_approval_required",
            ShopError::Storage(StoreError::NotSetUp) => "not_set_up",
            ShopError::Storage(_) => "storage",
        }
    }

    pub(crate) fn validation(e: FieldError) -> Self {
        ShopError::Validation { fields: vec![e] }
    }
}

impl From<DomainError> for ShopError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Validation(fields) => ShopError::Validation { fields },
            DomainError::InvalidTransition { from, action } => {
                ShopError::InvalidTransition { from, action }
            }
        }
    }
}

impl From<FieldError> for ShopError {
    fn from(e: FieldError) -> Self {
        ShopError::validation(e)
    }
}

impl From<rusqlite::Error> for ShopError {
    fn from(e: rusqlite::Error) -> Self {
        ShopError::Storage(StoreError::Sqlite(e))
    }
}

/// The verified caller of one operation, as read inside its transaction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    pub(crate) tenant: TenantId,
    pub(crate) operator: OperatorId,
    pub(crate) role: Role,
}

/// Checks `op` for the actor: the operator must belong to the device's shop
/// (`device_tenant`), exist (`session`), be active, and hold the permission by
/// their current role.
fn check_caller(
    device_tenant: TenantId,
    actor: &Actor,
    op: Operation,
    session: impl FnOnce() -> Result<Option<Session>, ShopError>,
) -> Result<Caller, ShopError> {
    let forbidden = || {
        tracing::warn!(operation = op.name(), operator = %actor.operator_id, "forbidden");
        ShopError::Forbidden {
            operation: op.name(),
        }
    };
    if device_tenant != actor.tenant_id {
        return Err(forbidden());
    }
    match session()? {
        Some(s) if s.active && s.role.allows(op.permission()) => Ok(Caller {
            tenant: s.tenant,
            operator: s.operator,
            role: s.role,
        }),
        _ => Err(forbidden()),
    }
}

fn session_of(c: &Connection, actor: &Actor) -> Result<Option<Session>, ShopError> {
    Ok(
        store::operator(c, actor.tenant_id, actor.operator_id)?.map(|o| Session {
            operator: o.id,
            tenant: o.tenant_id,
            role: o.role,
            active: o.active,
        }),
    )
}

/// [`check_caller`] against the operator as stored (inside a command's transaction).
fn authorize(
    c: &Connection,
    device_tenant: TenantId,
    actor: &Actor,
    op: Operation,
) -> Result<Caller, ShopError> {
    check_caller(device_tenant, actor, op, || session_of(c, actor))
}

/// [`check_caller`] for queries, from the session cache (invalidated by every
/// operator event as it commits, so a role change or deactivation counts at once).
fn authorize_cached(
    c: &Connection,
    caches: &Caches,
    device_tenant: TenantId,
    actor: &Actor,
    op: Operation,
) -> Result<Caller, ShopError> {
    check_caller(device_tenant, actor, op, || {
        let load = || session_of(c, actor)?.ok_or(ShopError::NotFound { entity: "operator" });
        match caches.session(actor.operator_id, load, unshare) {
            Ok(s) => Ok(Some(*s)),
            Err(ShopError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    })
}

/// A shared error of a coalesced cache load, for one of its waiters.
pub(crate) fn unshare(e: Arc<ShopError>) -> ShopError {
    Arc::try_unwrap(e).unwrap_or_else(|shared| match &*shared {
        ShopError::NotFound { entity } => ShopError::NotFound { entity },
        ShopError::Forbidden { operation } => ShopError::Forbidden { operation },
        ShopError::Storage(StoreError::NotSetUp) => ShopError::Storage(StoreError::NotSetUp),
        other => ShopError::Storage(StoreError::Io(std::io::Error::other(other.to_string()))),
    })
}

/// The shop's use cases over one device database.
pub struct Shop {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    caches: Arc<Caches>,
    index: RwLock<Option<Arc<dyn SearchIndex>>>,
    device_tenant: OnceLock<TenantId>,
    images: OnceLock<store::ImageStore>,
}

impl std::fmt::Debug for Shop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shop")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Shop {
    /// Wires the use cases to a store, a clock and an entropy source, with caches
    /// invalidated by the store's commits. Without an index (see
    /// [`Shop::attach_index`]) searches and lists read SQLite directly.
    pub fn new(store: Arc<Store>, clock: Arc<dyn Clock>, entropy: Arc<dyn Entropy>) -> Self {
        let caches = Arc::new(Caches::new());
        store.subscribe(Arc::new(CacheInvalidator(caches.clone())));
        Self {
            store,
            clock,
            entropy,
            caches,
            index: RwLock::new(None),
            device_tenant: OnceLock::new(),
            images: OnceLock::new(),
        }
    }

    /// Checks a PIN given at the till to vouch for what `actor` may not do alone:
    /// the approver must belong to the actor's shop and hold `may`. Checked before
    /// the transaction (argon2 is slow), like a log-in: a wrong PIN counts towards
    /// the approver's lockout.
    pub(crate) fn approver(
        &self,
        actor: &Actor,
        approval: Option<(OperatorId, &Pin)>,
        may: fn(Role) -> bool,
        operation: &'static str,
    ) -> Result<Option<OperatorId>, ShopError> {
        let Some((id, pin)) = approval else {
            return Ok(None);
        };
        let a = self.login(id, pin)?;
        if !may(a.role) || a.tenant_id != actor.tenant_id {
            return Err(ShopError::Forbidden { operation });
        }
        Ok(Some(a.operator_id))
    }

    /// Serves searches and lists from `index` from now on.
    pub fn attach_index(&self, index: Arc<dyn SearchIndex>) {
        *self.index.write().unwrap_or_else(PoisonError::into_inner) = Some(index);
    }

    /// Goes back to answering searches and lists from SQLite (when the index failed).
    pub fn detach_index(&self) -> Option<Arc<dyn SearchIndex>> {
        self.index
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The index, if one is attached.
    pub fn index(&self) -> Option<Arc<dyn SearchIndex>> {
        self.index
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs `f` on the attached index; `None` (answer from SQLite instead) when there
    /// is none or it failed, which is logged: a broken index never fails a request.
    fn ask_index<T>(&self, f: impl FnOnce(&dyn SearchIndex) -> Result<T, IndexError>) -> Option<T> {
        let index = self.index()?;
        match f(&*index) {
            Ok(v) => Some(v),
            // Opening, rebuilding or restarting: expected, and said elsewhere.
            Err(e @ IndexError::Unavailable(_)) => {
                tracing::debug!(error = %e, "answering from SQLite");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "the search index failed; answering from SQLite");
                None
            }
        }
    }

    /// The caches (for their counters).
    pub fn caches(&self) -> &Arc<Caches> {
        &self.caches
    }

    /// The device's shop; never changes once set up, so read once.
    fn device_tenant(&self, c: &Connection) -> Result<TenantId, ShopError> {
        if let Some(t) = self.device_tenant.get() {
            return Ok(*t);
        }
        let t = store::device_identity(c)?
            .ok_or(StoreError::NotSetUp)?
            .tenant_id;
        Ok(*self.device_tenant.get_or_init(|| t))
    }

    /// The underlying store (for listeners and operations tooling).
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    fn write_as<T>(
        &self,
        actor: Option<OperatorId>,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, ShopError>,
    ) -> Result<T, ShopError> {
        let now = self.clock.now();
        let meta = EventMeta {
            actor_id: actor,
            correlation_id: CorrelationId::generate(now, &*self.entropy),
            causation_id: None,
            origin: Origin::Device,
            now,
            entropy: &*self.entropy,
        };
        self.store.write(&meta, f)
    }

    /// Runs a permission-checked command in one transaction.
    fn command<T>(
        &self,
        actor: &Actor,
        op: Operation,
        f: impl FnOnce(&mut WriteTx<'_>, Caller) -> Result<T, ShopError>,
    ) -> Result<T, ShopError> {
        let span = tracing::info_span!("command", op = op.name(), tenant = %actor.tenant_id, operator = %actor.operator_id);
        let _entered = span.enter();
        self.write_as(Some(actor.operator_id), |tx| {
            let device = tx.identity()?.tenant_id;
            let caller = authorize(tx, device, actor, op)?;
            f(tx, caller)
        })
    }

    /// Runs a permission-checked query on a read connection.
    fn query<T>(
        &self,
        actor: &Actor,
        op: Operation,
        f: impl FnOnce(&Connection, Caller) -> Result<T, ShopError>,
    ) -> Result<T, ShopError> {
        self.store.read(|c| {
            let device = self.device_tenant(c)?;
            let caller = authorize_cached(c, &self.caches, device, actor, op)?;
            f(c, caller)
        })
    }
}

/// Loads the caller's shop (present whenever authorization passed).
fn tenant_of(c: &Connection, caller: Caller) -> Result<Tenant, ShopError> {
    store::tenant(c, caller.tenant)?.ok_or(ShopError::NotFound { entity: "shop" })
}

impl Shop {
    /// The caller's shop for queries, from the cache (commands read it in their
    /// transaction with [`tenant_of`]).
    fn cached_tenant(&self, c: &Connection, caller: Caller) -> Result<Arc<Tenant>, ShopError> {
        self.caches
            .tenant(caller.tenant, || tenant_of(c, caller), unshare)
    }
}
