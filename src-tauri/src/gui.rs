//! The window: builds the Tauri app around the shop, opens the search index, starts
//! the sync agent (woken by the store's commits), and runs the event bus whose
//! handlers keep the index up to date and tell the UI to refresh (after the index
//! has the change, so a refreshed list shows it).

use crate::config::hub::ConfigHub;
use crate::config::Paths;
use crate::state::AppState;
use rustok_core::bus::{Bus, BusConfig, EventHandler, HandlerError, ThreadSleeper};
use rustok_core::domain::event::Envelope;
use rustok_core::domain::image::ImageDigest;
use rustok_core::index::remote::{IndexConfig, RemoteIndex, RemoteIndexHandler, WorkerCommand};
use rustok_core::service::Shop;
use rustok_core::store::{CommitListener, Store};
use rustok_core::system::{OsEntropy, SystemClock};
use rustok_sync::agent::Agent;
use rustok_sync::protocol::DeviceKind;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tauri::{Emitter, Manager, Runtime};

/// The event the UI listens to; its payload names the event types just committed.
pub const DATA_CHANGED: &str = "data-changed";

/// The event telling the UI that the sync status changed.
pub const SYNC_CHANGED: &str = "sync-changed";

/// The event telling the UI that the config file was read again (a value changed,
/// or it was refused: Settings shows why).
pub const CONFIG_CHANGED: &str = "config-changed";

#[derive(Clone, Serialize)]
struct DataChanged {
    types: Vec<String>,
}

/// The newest committed `seq`, so the notifier knows when it has caught up.
struct Committed(Arc<AtomicU64>);

impl CommitListener for Committed {
    fn committed(&self, events: &[Envelope]) {
        if let Some(last) = events.last() {
            self.0.fetch_max(last.seq, Ordering::SeqCst);
        }
    }
}

/// The bus handler that tells the window to refresh: once per burst of events, when
/// it has reached the newest committed one (it runs after the index handler).
struct UiNotifier<R: Runtime> {
    app: tauri::AppHandle<R>,
    committed: Arc<AtomicU64>,
    types: Mutex<Vec<String>>,
}

impl<R: Runtime> EventHandler for UiNotifier<R> {
    fn name(&self) -> &'static str {
        "ui-notifier"
    }

    fn handle(&self, e: &Envelope) -> Result<(), HandlerError> {
        let mut types = self.types.lock().unwrap_or_else(PoisonError::into_inner);
        if !types.contains(&e.event_type) {
            types.push(e.event_type.clone());
        }
        if e.seq >= self.committed.load(Ordering::SeqCst) {
            let types = std::mem::take(&mut *types);
            // Emitting only queues a message for the webview.
            self.app.emit(DATA_CHANGED, DataChanged { types })?;
        }
        Ok(())
    }
}

/// Starts the sync agent on the async runtime; it wakes on the store's commits, and
/// its status changes reach the UI.
fn start_sync<R: Runtime>(
    app: &tauri::AppHandle<R>,
    state: &AppState,
    credentials: PathBuf,
) -> (Arc<Agent>, tauri::async_runtime::JoinHandle<()>) {
    let shop = &state.shop;
    let kind = if state.kiosk_device() {
        DeviceKind::Kiosk
    } else {
        DeviceKind::Till
    };
    let handle = app.clone();
    let agent = Agent::new(
        shop.store().clone(),
        Arc::new(SystemClock),
        crate::config::sync_config(Some(kind), &state.config().config()),
        credentials,
        Box::new(move || {
            // Emitting only queues a message for the webview.
            if let Err(e) = handle.emit(SYNC_CHANGED, ()) {
                tracing::warn!(error = %e, "cannot tell the window about sync");
            }
        }),
    );
    // What other tills and head office change comes into this shop.
    if let Err(e) = agent.attach_shop(Arc::clone(shop)) {
        tracing::error!(error = %e, "cannot pull changes from central");
    }
    let task = tauri::async_runtime::spawn(agent.clone().run());
    (agent, task)
}

/// Stops the sync agent, waits for its task to end (so two agents never push or
/// pull at once), and starts one under the config now in force.
async fn restart_sync<R: Runtime>(app: tauri::AppHandle<R>) {
    let state = app.state::<AppState>();
    let Some(path) = state.sync_credentials().cloned() else {
        return;
    };
    let _one = state.sync_restart.lock().await;
    if let Some(old) = state.sync() {
        old.stop();
    }
    if let Some(task) = state.take_sync_task() {
        if let Err(e) = task.await {
            tracing::warn!(error = %e, "the sync agent ended badly");
        }
    }
    let (agent, task) = start_sync(&app, &state, path);
    state.set_sync(agent, task);
    tracing::info!("sync restarted under the new config");
    if let Err(e) = app.emit(SYNC_CHANGED, ()) {
        tracing::warn!(error = %e, "cannot tell the window about sync");
    }
}

/// Watches the config's drop folder, or stops watching when it names none.
fn watch_drop_folder<R: Runtime>(app: &tauri::AppHandle<R>) {
    let state = app.state::<AppState>();
    state.set_drop_watch(None);
    let Some(folder) = state.config().config().drop_folder else {
        return;
    };
    let hub = state.config().clone();
    match crate::drop::watch(&folder, state.shop.clone(), move || hub.config().language) {
        Ok(w) => state.set_drop_watch(Some(w)),
        Err(e) => tracing::error!(error = %e, "no drop folder"),
    }
}

/// What a reloaded config changes in the running app: sync's address or
/// interval restarts the agent; the window reads the config again (language,
/// paper, kiosk idle time, and Settings).
fn follow_config<R: Runtime>(app: &tauri::AppHandle<R>) {
    let state = app.state::<AppState>();
    let handle = app.clone();
    state.config().listen(move |old, new| {
        if old.sync_interval != new.sync_interval || old.central_url != new.central_url {
            tauri::async_runtime::spawn(restart_sync(handle.clone()));
        }
        if old.drop_folder != new.drop_folder {
            watch_drop_folder(&handle);
        }
        if old.kiosk != new.kiosk {
            tracing::info!(
                kiosk = new.kiosk,
                "kiosk mode changes when the app starts again"
            );
        }
        if let Err(e) = handle.emit(CONFIG_CHANGED, ()) {
            tracing::warn!(error = %e, "cannot tell the window about the config");
        }
    });
}

/// Starts the bus: the index handler (when the index runs), then the notifier.
fn start_bus<R: Runtime>(
    app: &tauri::AppHandle<R>,
    shop: &Shop,
    index: Option<Arc<RemoteIndex>>,
) -> Result<Bus, String> {
    let store = shop.store().clone();
    let last = store.outbox_status().map_err(|e| e.to_string())?.last_seq;
    let committed = Arc::new(AtomicU64::new(last));
    store.subscribe(Arc::new(Committed(committed.clone())));
    let mut handlers: Vec<Arc<dyn EventHandler>> = Vec::new();
    if let Some(index) = index {
        handlers.push(Arc::new(RemoteIndexHandler::new(index)));
    }
    handlers.push(Arc::new(UiNotifier {
        app: app.clone(),
        committed,
        types: Mutex::new(Vec::new()),
    }));
    Bus::start(
        store,
        handlers,
        BusConfig::default(),
        Arc::new(ThreadSleeper),
        Arc::new(SystemClock),
    )
    .map_err(|e| e.to_string())
}

/// The URI scheme product images are shown from (`rimg://localhost/<digest>`;
/// the CSP allows it for images only).
pub const IMAGE_SCHEME: &str = "rimg";

/// Answers `rimg://localhost/<digest>` with the stored image: read-only, by a
/// digest that must parse (so never a path), to this app's own window only.
fn image_response(state: &AppState, path: &str) -> tauri::http::Response<Vec<u8>> {
    let found = ImageDigest::parse(path.trim_start_matches('/'))
        .ok()
        .and_then(|d| match state.shop.images()?.read(&d) {
            Ok(bytes) => bytes,
            Err(e) => {
                // Shown as a missing picture; the reason belongs in the log.
                tracing::warn!(error = %e, image = %d, "cannot read a product picture");
                None
            }
        });
    let builder = tauri::http::Response::builder();
    let response = match found {
        Some(bytes) => builder
            .status(200)
            .header("Content-Type", "image/jpeg")
            // Named by its digest: the bytes behind a URL never change.
            .header("Cache-Control", "max-age=31536000, immutable")
            .body(bytes),
        // Not here (yet): a picture fetched later must not meet a remembered miss.
        None => builder
            .status(404)
            .header("Cache-Control", "no-store")
            .body(Vec::new()),
    };
    response.unwrap_or_default()
}

/// The window's label (see `tauri.conf.json`).
pub const MAIN_WINDOW: &str = "main";

/// Puts the window in kiosk mode (full screen, no title bar) or back to a normal
/// window. A window that refuses is logged: the lock itself (closing refused, only
/// the kiosk role logs in) does not depend on it.
pub fn kiosk_window<R: Runtime>(app: &tauri::AppHandle<R>, locked: bool) {
    let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
        return;
    };
    let done = window
        .set_decorations(!locked)
        .and_then(|()| window.set_fullscreen(locked));
    if let Err(e) = done {
        tracing::error!(error = %e, locked, "cannot change the kiosk window");
    }
}

/// Adds the app (state, commands, the image scheme, the event bus, the kiosk lock)
/// to `builder`: the default builder for the window, or the mock runtime's in tests.
pub fn configure<R: Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    builder
        .manage(state)
        .invoke_handler(crate::commands::handler())
        .register_uri_scheme_protocol(IMAGE_SCHEME, |ctx, request| {
            image_response(&ctx.app_handle().state::<AppState>(), request.uri().path())
        })
        .on_window_event(|window, event| {
            // A locked kiosk is not closed by its window's close button or Alt+F4.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                if window.state::<AppState>().kiosk_locked() {
                    api.prevent_close();
                }
            }
        })
        .setup(|app| {
            start_services(app.handle())?;
            if app.state::<AppState>().kiosk_locked() {
                kiosk_window(app.handle(), true);
            }
            Ok(())
        })
}

/// Starts the sync agent (when the state syncs) and the event bus. The window runs
/// it as its setup hook; tests on the mock runtime, which runs no event loop and so
/// no setup hook, call it themselves.
pub fn start_services<R: Runtime>(app: &tauri::AppHandle<R>) -> Result<(), String> {
    let state = app.state::<AppState>();
    if let Some(path) = state.sync_credentials() {
        let (agent, task) = start_sync(app, &state, path.clone());
        state.set_sync(agent, task);
    }
    follow_config(app);
    watch_drop_folder(app);
    let bus = start_bus(app, &state.shop, state.index())?;
    state.set_bus(bus);
    Ok(())
}

/// Starts the search index in its worker process (this binary, `index-worker`)
/// and attaches it to `shop`. It opens in the background, rebuilding when needed;
/// until it is ready, and whenever it is restarted, the shop answers from SQLite.
/// The window never waits for it.
pub fn open_index(paths: &Paths, shop: &Shop) -> Option<Arc<RemoteIndex>> {
    let program = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "no search index: cannot find this program");
            return None;
        }
    };
    let command = WorkerCommand {
        program,
        args: vec![rustok_core::index::worker::SUBCOMMAND.into()],
    };
    match RemoteIndex::start(
        command,
        &paths.database(),
        &paths.index(),
        IndexConfig::default(),
    ) {
        Ok(index) => {
            shop.attach_index(index.clone());
            Some(index)
        }
        Err(e) => {
            tracing::error!(error = %e, "no search index; searching the database directly");
            None
        }
    }
}

/// The app's context (configuration, capabilities, embedded UI) for any runtime: the
/// real window, or the mock runtime in tests, which then enforces the same
/// capabilities.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!("../tauri.conf.json")
}

/// Opens the store in `paths` (creating the demo shop first when `demo` is set and
/// the device has no shop) and runs the window until it is closed; with `kiosk`,
/// as a locked self-service kiosk.
pub fn run(paths: &Paths, config: Arc<ConfigHub>, demo: bool) -> ExitCode {
    if let Err(e) = std::fs::create_dir_all(&paths.data_dir) {
        eprintln!(
            "cannot create the data folder {}: {e}",
            paths.data_dir.display()
        );
        return ExitCode::FAILURE;
    }
    let store = match Store::open(&paths.database()) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            tracing::error!(error = %e, "cannot open the database");
            eprintln!("cannot open {}: {e}", paths.database().display());
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(data_dir = %paths.data_dir.display(), "starting");
    let shop = Arc::new(Shop::new(store, Arc::new(SystemClock), Arc::new(OsEntropy)));
    match rustok_core::store::ImageStore::open(&paths.images()) {
        Ok(images) => shop.attach_images(images),
        // The till sells without pictures; adding one says the device keeps none.
        Err(e) => tracing::error!(error = %e, "no product images: cannot open their folder"),
    }
    if demo && matches!(shop.device(), Ok(None)) {
        if let Err(e) = crate::demo::create(&shop) {
            eprintln!("cannot create the demo shop: {e}");
            return ExitCode::FAILURE;
        }
    }
    let index = open_index(paths, &shop);
    match config.write_example_if_missing() {
        Ok(true) => {
            tracing::info!(file = %config.path().display(), "wrote the config file's example");
            // Read as written (all comments: the defaults), so it shows as in use.
            config.reload();
        }
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(error = %e, file = %config.path().display(), "cannot write the config file's example")
        }
    }
    let kiosk = config.config().kiosk;
    let watch = crate::config::hub::watch(&config);
    let mut state = AppState::new(shop)
        .with_config(config)
        .with_data_dir(paths.data_dir.clone())
        .with_sync(paths.sync_credentials())
        .with_index(index);
    match watch {
        Ok(w) => state.set_config_watch(w),
        Err(e) => tracing::error!(error = %e, "config changes need a restart"),
    }
    if kiosk {
        state = state.as_kiosk();
    }
    let app = configure(tauri::Builder::default(), state).build(context());
    match app {
        Ok(app) => {
            app.run(|handle, event| {
                if let tauri::RunEvent::Exit = event {
                    handle.state::<AppState>().shut_down();
                }
            });
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "the window failed");
            eprintln!("the window failed: {e}");
            ExitCode::FAILURE
        }
    }
}
