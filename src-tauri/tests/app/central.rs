//! The real central server, in process on loopback, for the tests that sync: started
//! on a data folder, stopped, and started again on the same address and data.

use rustok_central::{store, Central, Limits};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The tenant of the demo shop at central.
pub const DEMO_TENANT: &str = "demo-shop";

pub struct RunningCentral {
    pub url: String,
    pub addr: SocketAddr,
    pub central: Arc<Central>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Central with its data in `dir`, at `addr` (port 0 picks a free one), on the
/// current tokio runtime.
pub async fn start_central(dir: &Path, addr: &str) -> RunningCentral {
    let backend = store::Sqlite::open(dir).unwrap();
    let central = Arc::new(Central::new(
        Arc::new(backend),
        "app-test-admin-token-0123456789".into(),
        Limits::default(),
    ));
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let c = central.clone();
    let task = tokio::spawn(async move {
        rustok_central::serve(listener, c, async move {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    RunningCentral {
        url: format!("http://{addr}"),
        addr,
        central,
        stop: Some(stop),
        task: Some(task),
    }
}

impl RunningCentral {
    /// A fresh one-time enrolment code for the demo shop.
    pub async fn code(&self) -> String {
        rustok_central::http::issue_code(
            &self.central,
            DEMO_TENANT,
            Duration::from_secs(600),
            None,
            rustok_sync::protocol::MAIN_STORE,
        )
        .await
        .unwrap()
        .code
    }

    /// Stops serving and closes the listening socket.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            // Open keep-alive connections would hold a graceful shutdown; cut them.
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for RunningCentral {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
