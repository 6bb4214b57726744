//! Pulling the tenant's feed (DESIGN §7): pages after this device's cursor, each
//! applied in one transaction with the new cursor ([`Shop::apply_pulled`], on a
//! blocking thread: it writes SQLite). [`Puller::pull_all`] catches up to the head;
//! [`Puller::wait_and_pull`] holds a request open at central until the feed moves
//! (a long poll), so an online till applies head office's change within a second or
//! two without asking more often.

use crate::client::Client;
use crate::credentials::Credentials;
use crate::protocol::{paths, FeedPage, MAX_FEED_ENTRIES};
use crate::SyncError;
use rustok_core::domain::clock::Clock;
use rustok_core::service::{PulledPage, Shop, ShopError};
use std::sync::Arc;
use std::time::Duration;

/// Pages one catch-up applies at most before returning (the rest comes next time).
const MAX_PAGES: usize = 10_000;

/// What one pull did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pulled {
    /// Entries applied.
    pub applied: u64,
    /// Entries set aside.
    pub set_aside: u64,
    /// The cursor after it.
    pub cursor: u64,
    /// The feed's head as last seen.
    pub head: u64,
}

/// Pulls for one enrolled device.
pub struct Puller {
    shop: Arc<Shop>,
    client: Client,
    waiting: Client,
}

impl std::fmt::Debug for Puller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Puller").finish_non_exhaustive()
    }
}

pub(crate) fn shop_error(e: ShopError) -> SyncError {
    match e {
        ShopError::Storage(e) => SyncError::Store(e),
        other => SyncError::Invalid(other.to_string()),
    }
}

impl Puller {
    /// A puller for `shop` with `creds`; requests time out after `timeout`, waiting
    /// ones after their wait plus `timeout`.
    pub fn new(
        shop: Arc<Shop>,
        creds: Credentials,
        clock: Arc<dyn Clock>,
        timeout: Duration,
        max_wait: Duration,
    ) -> Result<Puller, SyncError> {
        Ok(Puller {
            shop,
            client: Client::new(creds.clone(), clock.clone(), timeout)?,
            waiting: Client::new(creds, clock, max_wait.saturating_add(timeout))?,
        })
    }

    async fn page(&self, client: &Client, wait: Duration) -> Result<FeedPage, SyncError> {
        let cursor = self.shop.store().pull_state()?.cursor;
        let query = format!(
            "{}?after={cursor}&limit={MAX_FEED_ENTRIES}&wait={}",
            paths::FEED,
            wait.as_secs()
        );
        client.get(&query).await
    }

    async fn apply(&self, page: FeedPage, totals: &mut Pulled) -> Result<(), SyncError> {
        let shop = Arc::clone(&self.shop);
        let pulled = PulledPage {
            entries: page
                .entries
                .into_iter()
                .map(|e| (e.position, e.event))
                .collect(),
            next: page.next,
            head: page.head,
            central_time_ms: page.central_time_ms,
        };
        let done = tokio::task::spawn_blocking(move || shop.apply_pulled(&pulled))
            .await
            .map_err(|e| SyncError::Invalid(format!("applying a pulled page failed: {e}")))?
            .map_err(shop_error)?;
        if done.applied + done.released + done.set_aside > 0 {
            tracing::info!(
                applied = done.applied + done.released,
                set_aside = done.set_aside,
                cursor = done.cursor,
                head = done.head,
                "took changes from central"
            );
        }
        totals.applied = totals
            .applied
            .saturating_add(u64::from(done.applied) + u64::from(done.released));
        totals.set_aside = totals.set_aside.saturating_add(u64::from(done.set_aside));
        totals.cursor = done.cursor;
        totals.head = done.head;
        Ok(())
    }

    /// Pulls and applies pages until the cursor reaches the head.
    pub async fn pull_all(&self) -> Result<Pulled, SyncError> {
        self.pull_from(None).await
    }

    async fn pull_from(&self, first: Option<FeedPage>) -> Result<Pulled, SyncError> {
        let mut totals = Pulled::default();
        let mut next = first;
        for _ in 0..MAX_PAGES {
            let page = match next.take() {
                Some(p) => p,
                None => self.page(&self.client, Duration::ZERO).await?,
            };
            let done = page.next >= page.head;
            let before = self.shop.store().pull_state()?.cursor;
            self.apply(page, &mut totals).await?;
            if done || totals.cursor <= before {
                break;
            }
        }
        Ok(totals)
    }

    /// Waits up to `wait` at central for the feed to move past the cursor, then
    /// applies what came and pulls the rest.
    pub async fn wait_and_pull(&self, wait: Duration) -> Result<Pulled, SyncError> {
        let page = self.page(&self.waiting, wait).await?;
        self.pull_from(Some(page)).await
    }
}
