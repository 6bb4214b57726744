//! What the commands share: the shop and who is logged in at this window.

use crate::config::hub::{ConfigHub, ConfigWatch};
use rustok_core::bus::{Bus, BusError, ReplayReport};
use rustok_core::index::remote::RemoteIndex;
use rustok_core::service::{Actor, Shop};
use rustok_sync::agent::Agent;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Managed Tauri state.
pub struct AppState {
    /// The use cases.
    pub shop: Arc<Shop>,
    session: Mutex<Option<Actor>>,
    bus: Mutex<Option<Bus>>,
    sync_credentials: Option<PathBuf>,
    sync: Mutex<Option<Arc<Agent>>>,
    sync_task: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    /// One restart of the agent at a time (the config changed twice quickly).
    pub(crate) sync_restart: tokio::sync::Mutex<()>,
    config: Arc<ConfigHub>,
    data_dir: Option<PathBuf>,
    config_watch: Mutex<Option<ConfigWatch>>,
    drop_watch: Mutex<Option<crate::drop::DropWatch>>,
    index: Option<Arc<RemoteIndex>>,
    kiosk_device: bool,
    kiosk_locked: AtomicBool,
    importing: AtomicBool,
    import_cancel: AtomicBool,
}

/// One catalog import at a time: held while it runs.
pub struct ImportTurn<'a>(&'a AtomicBool);

impl Drop for ImportTurn<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl AppState {
    /// Nobody logged in yet; no sync (see [`AppState::with_sync`]).
    pub fn new(shop: Arc<Shop>) -> Self {
        Self {
            shop,
            session: Mutex::new(None),
            bus: Mutex::new(None),
            sync_credentials: None,
            sync: Mutex::new(None),
            sync_task: Mutex::new(None),
            sync_restart: tokio::sync::Mutex::new(()),
            config: ConfigHub::defaults(),
            data_dir: None,
            config_watch: Mutex::new(None),
            drop_watch: Mutex::new(None),
            index: None,
            kiosk_device: false,
            kiosk_locked: AtomicBool::new(false),
            importing: AtomicBool::new(false),
            import_cancel: AtomicBool::new(false),
        }
    }

    /// Runs this window as a kiosk (`--kiosk`): it starts locked in kiosk mode.
    pub fn as_kiosk(self) -> Self {
        Self {
            kiosk_device: true,
            kiosk_locked: AtomicBool::new(true),
            ..self
        }
    }

    /// Whether this window was started as a kiosk.
    pub fn kiosk_device(&self) -> bool {
        self.kiosk_device
    }

    /// Whether the window is locked in kiosk mode now: full screen, closing
    /// refused, only the kiosk role logs in. A manager's PIN unlocks it.
    pub fn kiosk_locked(&self) -> bool {
        self.kiosk_locked.load(Ordering::SeqCst)
    }

    /// Locks or unlocks kiosk mode (only a kiosk device locks).
    pub fn set_kiosk_locked(&self, locked: bool) {
        self.kiosk_locked
            .store(locked && self.kiosk_device, Ordering::SeqCst);
    }

    /// Runs under `config` (the defaults until given one).
    pub fn with_config(self, config: Arc<ConfigHub>) -> Self {
        Self { config, ..self }
    }

    /// Keeps the data folder's path (shown in Settings).
    pub fn with_data_dir(self, data_dir: PathBuf) -> Self {
        Self {
            data_dir: Some(data_dir),
            ..self
        }
    }

    /// The data folder, when known.
    pub fn data_dir(&self) -> Option<&PathBuf> {
        self.data_dir.as_ref()
    }

    /// The device's config.
    pub fn config(&self) -> &Arc<ConfigHub> {
        &self.config
    }

    /// Keeps the config file watched while the app runs.
    pub fn set_config_watch(&self, watch: ConfigWatch) {
        *self
            .config_watch
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(watch);
    }

    /// Starts a catalog import (none while another runs: from the screen or the
    /// drop folder); its cancel flag starts cleared.
    pub fn begin_import(&self) -> Option<ImportTurn<'_>> {
        if self.importing.swap(true, Ordering::SeqCst) {
            return None;
        }
        self.import_cancel.store(false, Ordering::SeqCst);
        Some(ImportTurn(&self.importing))
    }

    /// The running import's cancel flag.
    pub fn import_cancel(&self) -> &AtomicBool {
        &self.import_cancel
    }

    /// Watches the config's drop folder (none: stops watching).
    pub fn set_drop_watch(&self, watch: Option<crate::drop::DropWatch>) {
        *self
            .drop_watch
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = watch;
    }

    /// Keeps the search index's worker (see `gui::open_index`).
    pub fn with_index(self, index: Option<Arc<RemoteIndex>>) -> Self {
        Self { index, ..self }
    }

    /// The search index's worker, when it runs.
    pub fn index(&self) -> Option<Arc<RemoteIndex>> {
        self.index.clone()
    }

    /// Syncs with the central server enrolled in `credentials` (once enrolled).
    pub fn with_sync(self, credentials: PathBuf) -> Self {
        Self {
            sync_credentials: Some(credentials),
            ..self
        }
    }

    /// Where the sync credentials live, when this app syncs.
    pub fn sync_credentials(&self) -> Option<&PathBuf> {
        self.sync_credentials.as_ref()
    }

    /// Keeps the running sync agent and its task.
    pub fn set_sync(&self, agent: Arc<Agent>, task: tauri::async_runtime::JoinHandle<()>) {
        *self.sync.lock().unwrap_or_else(PoisonError::into_inner) = Some(agent);
        *self
            .sync_task
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(task);
    }

    /// Takes the running agent's task (to wait for it to end).
    pub fn take_sync_task(&self) -> Option<tauri::async_runtime::JoinHandle<()>> {
        self.sync_task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The sync agent, when this app syncs.
    pub fn sync(&self) -> Option<Arc<Agent>> {
        self.sync
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replays the dead letters of a local bus handler.
    pub fn replay(&self, handler: &str) -> Result<ReplayReport, BusError> {
        match &*self.bus.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(bus) => bus.replay(handler),
            None => Err(BusError::UnknownHandler(handler.to_owned())),
        }
    }

    /// Keeps the running event bus.
    pub fn set_bus(&self, bus: Bus) {
        *self.bus.lock().unwrap_or_else(PoisonError::into_inner) = Some(bus);
    }

    /// Stops sync and the bus (saving its checkpoints) and closes the index cleanly
    /// (or kills its worker if it does not close in time): never waits for ever.
    pub fn shut_down(&self) {
        self.config_watch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.set_drop_watch(None);
        if let Some(agent) = self.sync() {
            agent.stop();
        }
        let bus = self
            .bus
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(bus) = bus {
            bus.shutdown();
        }
        drop(self.shop.detach_index());
        if let Some(index) = &self.index {
            index.shut_down();
        }
    }

    /// The logged-in operator.
    pub fn actor(&self) -> Option<Actor> {
        self.session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Sets or clears the logged-in operator.
    pub fn set_actor(&self, actor: Option<Actor>) {
        *self.session.lock().unwrap_or_else(PoisonError::into_inner) = actor;
    }
}
