//! What the commands share: the shop and who is logged in at this window.

use rustok_core::service::{Actor, Shop};
use std::sync::{Arc, Mutex, PoisonError};

/// Managed Tauri state.
pub struct AppState {
    /// The use cases.
    pub shop: Arc<Shop>,
    session: Mutex<Option<Actor>>,
}

impl AppState {
    /// Nobody logged in yet.
    pub fn new(shop: Arc<Shop>) -> Self {
        Self {
            shop,
            session: Mutex::new(None),
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
