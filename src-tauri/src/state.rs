//! What the commands share: the shop and who is logged in at this window.

use rustok_core::bus::Bus;
use rustok_core::service::{Actor, Shop};
use std::sync::{Arc, Mutex, PoisonError};

/// Managed Tauri state.
pub struct AppState {
    /// The use cases.
    pub shop: Arc<Shop>,
    session: Mutex<Option<Actor>>,
    bus: Mutex<Option<Bus>>,
}

impl AppState {
    /// Nobody logged in yet.
    pub fn new(shop: Arc<Shop>) -> Self {
        Self {
            shop,
            session: Mutex::new(None),
            bus: Mutex::new(None),
        }
    }

    /// Keeps the running event bus.
    pub fn set_bus(&self, bus: Bus) {
        *self.bus.lock().unwrap_or_else(PoisonError::into_inner) = Some(bus);
    }

    /// Stops the bus (saving its checkpoints) and closes the index cleanly.
    pub fn shut_down(&self) {
        let bus = self
            .bus
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(bus) = bus {
            bus.shutdown();
        }
        drop(self.shop.detach_index());
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
