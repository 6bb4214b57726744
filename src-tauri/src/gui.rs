//! The window: builds the Tauri app around the shop and forwards committed events to
//! the UI so screens refresh.

use crate::config::Paths;
use crate::state::AppState;
use rustok_core::domain::event::Envelope;
use rustok_core::service::Shop;
use rustok_core::store::{CommitListener, Store};
use rustok_core::system::{OsEntropy, SystemClock};
use serde::Serialize;
use std::process::ExitCode;
use std::sync::Arc;
use tauri::{Emitter, Manager, Runtime};

/// The event the UI listens to; its payload names the event types just committed.
pub const DATA_CHANGED: &str = "data-changed";

#[derive(Clone, Serialize)]
struct DataChanged {
    types: Vec<String>,
}

struct Notifier<R: Runtime>(tauri::AppHandle<R>);

impl<R: Runtime> CommitListener for Notifier<R> {
    fn committed(&self, events: &[Envelope]) {
        let mut types: Vec<String> = events.iter().map(|e| e.event_type.clone()).collect();
        types.dedup();
        // Emitting only queues a message for the webview; it never blocks a sale.
        if let Err(e) = self.0.emit(DATA_CHANGED, DataChanged { types }) {
            tracing::warn!(error = %e, "could not notify the window");
        }
    }
}

/// Adds the app (state, commands, change notifications) to `builder`: the default
/// builder for the window, or the mock runtime's in tests.
pub fn configure<R: Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    builder
        .manage(state)
        .invoke_handler(crate::commands::handler())
        .setup(|app| {
            let notifier = Arc::new(Notifier(app.handle().clone()));
            app.state::<AppState>().shop.store().subscribe(notifier);
            Ok(())
        })
}

/// The app's context (configuration, capabilities, embedded UI) for any runtime: the
/// real window, or the mock runtime in tests, which then enforces the same
/// capabilities.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!("../tauri.conf.json")
}

/// Opens the store in `paths` (creating the demo shop first when `demo` is set and
/// the device has no shop) and runs the window until it is closed.
pub fn run(paths: &Paths, demo: bool) -> ExitCode {
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
    if demo && matches!(shop.device(), Ok(None)) {
        if let Err(e) = crate::demo::create(&shop) {
            eprintln!("cannot create the demo shop: {e}");
            return ExitCode::FAILURE;
        }
    }
    match configure(tauri::Builder::default(), AppState::new(shop)).run(context()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the window failed");
            eprintln!("the window failed: {e}");
            ExitCode::FAILURE
        }
    }
}
