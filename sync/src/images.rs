//! Product pictures beside the feed (DESIGN §7): the feed carries a picture's
//! digest, never its bytes. This device sends central the pictures it added and
//! fetches those a pulled product names that it lacks, each checked against its
//! digest and as a stored picture before it is kept. Nothing here holds up a sale
//! or a pull: a product is sold (and shown with a placeholder) before its picture
//! arrives, and a picture that cannot be exchanged now is tried again later, the
//! wait growing with its failures (`image_transfers`).

use crate::client::Client;
use crate::SyncError;
use rustok_core::domain::clock::Clock;
use rustok_core::domain::image::ImageDigest;
use rustok_core::service::Shop;
use rustok_core::store::{check_stored_image, ImageStore, ImageTransfer};
use std::sync::Arc;

/// Pictures looked at in one go (a round takes the next batch until none is due
/// or [`MAX_PER_ROUND`] were tried).
const BATCH: usize = 50;
/// Pictures one round tries at most (the rest wait for the next round).
const MAX_PER_ROUND: usize = 500;
/// The least time between two picture requests: at most 10 a second, half of what
/// central allows a device on average, so pictures never use up the allowance its
/// pushes and pulls need (a joining till may fetch thousands).
const PACE: std::time::Duration = std::time::Duration::from_millis(100);

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exchanged {
    /// Pictures sent to central.
    pub sent: u32,
    /// Pictures fetched from central and kept.
    pub fetched: u32,
    /// Pictures that failed this time (tried again later).
    pub failed: u32,
}

impl Exchanged {
    /// Whether the till has something new to show.
    pub fn changed(&self) -> bool {
        self.fetched > 0
    }
}

/// Exchanges pictures for one enrolled device.
pub struct Pictures {
    shop: Arc<Shop>,
    client: Client,
    clock: Arc<dyn Clock>,
    /// One round at a time (the periodic attempt and the waiting pull both ask).
    busy: tokio::sync::Mutex<()>,
    /// Whether the pictures products name were checked against the folder yet.
    looked: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Pictures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pictures").finish_non_exhaustive()
    }
}

/// How one picture went.
enum Outcome {
    Sent,
    Fetched,
    /// Nothing to do: the picture is here and central has it from elsewhere.
    Settled,
    /// Try again later, for this reason.
    Later(String),
    /// Central's copy is not a picture this till can keep (not the digest's bytes,
    /// or not a stored picture): tried again only after a long wait.
    Refused(String),
}

impl Pictures {
    /// Pictures of `shop`'s, exchanged through `client`.
    pub fn new(shop: Arc<Shop>, client: Client, clock: Arc<dyn Clock>) -> Pictures {
        Pictures {
            shop,
            client,
            clock,
            busy: tokio::sync::Mutex::new(()),
            looked: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Exchanges the pictures that are due. Stops at the first sign that central
    /// is unreachable or busy (that error is returned; no picture is marked failed
    /// for it). Returns at once if another round is running.
    pub async fn exchange(&self) -> Result<Exchanged, SyncError> {
        let mut done = Exchanged::default();
        let Ok(_one) = self.busy.try_lock() else {
            return Ok(done);
        };
        let Some(images) = self.shop.images().cloned() else {
            // This device keeps no pictures (no folder attached): nothing to do.
            return Ok(done);
        };
        if !self.looked.swap(true, std::sync::atomic::Ordering::SeqCst) {
            // Once per run: a picture a product names that is not in the folder is
            // fetched, however it went missing.
            let shop = Arc::clone(&self.shop);
            match blocking(move || shop.want_missing_pictures()).await? {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    missing = n,
                    "pictures products name are not here; fetching them"
                ),
                Err(e) => tracing::warn!(error = %e, "cannot look for missing pictures"),
            }
        }
        let store = self.shop.store();
        let mut tried = 0;
        while tried < MAX_PER_ROUND {
            let now = self.clock.now().unix_millis();
            let due = store.image_transfers_due(now, BATCH)?;
            if due.is_empty() {
                break;
            }
            for t in due {
                tried += 1;
                let paced = tokio::time::sleep(PACE);
                let outcome = self.one(&images, &t).await;
                paced.await;
                match outcome {
                    Ok(Outcome::Sent) => {
                        store.image_transferred(&t.digest)?;
                        done.sent += 1;
                    }
                    Ok(Outcome::Fetched) => {
                        store.image_transferred(&t.digest)?;
                        done.fetched += 1;
                    }
                    Ok(Outcome::Settled) => store.image_transferred(&t.digest)?,
                    Ok(Outcome::Later(why)) => {
                        tracing::debug!(image = %t.digest, reason = %why, "a picture waits");
                        let now = self.clock.now().unix_millis();
                        store.image_transfer_failed(&t.digest, &why, now)?;
                        done.failed += 1;
                    }
                    Ok(Outcome::Refused(why)) => {
                        tracing::warn!(image = %t.digest, reason = %why, "central's copy of a picture is refused");
                        let now = self.clock.now().unix_millis();
                        store.image_transfer_refused(&t.digest, &why, now)?;
                        done.failed += 1;
                    }
                    Err(e) => {
                        if blames_the_picture(&e) {
                            // It may be this picture (too long to arrive in time, an
                            // answer longer than a picture may be): it goes to the
                            // back of the queue, so it never holds up the others.
                            let now = self.clock.now().unix_millis();
                            store.image_transfer_failed(&t.digest, &e.to_string(), now)?;
                            done.failed += 1;
                        }
                        log(done);
                        return Err(e);
                    }
                }
            }
        }
        log(done);
        Ok(done)
    }

    /// Sends or fetches one picture. `Err` only when central is unreachable or
    /// busy: a picture file this till cannot read or write is this picture's
    /// problem, tried again later, and never holds up the others.
    async fn one(&self, images: &ImageStore, t: &ImageTransfer) -> Result<Outcome, SyncError> {
        let digest = t.digest.clone();
        let here = {
            let (images, digest) = (images.clone(), digest.clone());
            match blocking(move || images.read(&digest)).await? {
                Ok(here) => here,
                Err(e) => return Ok(Outcome::Later(format!("this till cannot read it: {e}"))),
            }
        };
        match here {
            Some(bytes) if t.send => match self.client.put_image(&digest, bytes).await {
                Ok(()) => Ok(Outcome::Sent),
                Err(e) if stops_the_round(&e) => Err(e),
                Err(e) => Ok(Outcome::Later(format!("central refused it: {e}"))),
            },
            Some(_) => Ok(Outcome::Settled),
            None => match self.client.get_image(&digest).await {
                Ok(Some(bytes)) => {
                    let images = images.clone();
                    blocking(move || Ok::<_, SyncError>(keep(&images, &digest, &bytes))).await?
                }
                Ok(None) => Ok(Outcome::Later(
                    "central does not hold it yet (the device that added it has not sent it)"
                        .to_owned(),
                )),
                Err(e) if stops_the_round(&e) => Err(e),
                Err(e) => Ok(Outcome::Later(format!("central refused it: {e}"))),
            },
        }
    }
}

/// Keeps fetched bytes if they are the picture named: its digest, and a stored
/// picture (a JPEG within bounds that decodes).
fn keep(images: &ImageStore, digest: &ImageDigest, bytes: &[u8]) -> Outcome {
    if ImageDigest::of(bytes) != *digest {
        return Outcome::Refused("central's copy is not the picture its digest names".to_owned());
    }
    if let Err(e) = check_stored_image(bytes) {
        return Outcome::Refused(format!("central's copy {}", e.message));
    }
    match images.put(bytes) {
        Ok(_) => Outcome::Fetched,
        Err(e) => Outcome::Later(format!("this till cannot keep it: {e}")),
    }
}

/// Whether a failure ends the round: central or the way to it is unwell (the
/// next round tries again), or this device may no longer call it.
fn stops_the_round(e: &SyncError) -> bool {
    e.is_unavailability() || matches!(e, SyncError::Http { status: 401, .. })
}

/// Whether a failure that ends the round may be the picture's own doing.
fn blames_the_picture(e: &SyncError) -> bool {
    matches!(e, SyncError::Timeout(_) | SyncError::Protocol(_))
}

fn log(done: Exchanged) {
    if done.sent + done.fetched > 0 {
        tracing::info!(
            sent = done.sent,
            fetched = done.fetched,
            waiting = done.failed,
            "exchanged pictures with central"
        );
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Invalid(format!("a picture task failed: {e}")))
}
