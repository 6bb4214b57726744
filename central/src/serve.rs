//! The accept loop: every connection served by hyper with a header timeout (which
//! also ends idle kept-alive connections), at most `max_connections` at once, and a
//! graceful end on shutdown.
//!
//! A connection over the limit is answered `503` in the error format and closed
//! at once, so a flood of idle connections costs a few bytes each, never a slot.
//! A client that never finishes its headers is disconnected when the header
//! timeout runs out: there is no request yet to answer. Slow bodies are answered
//! `408` by the handlers themselves (see `http::read_body`).

use crate::{Central, Metrics};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// Aborts a background task when the server stops.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How long connections get to finish their requests after shutdown was asked.
const DRAIN: Duration = Duration::from_secs(10);

/// What a connection over the limit is told.
fn refusal() -> Vec<u8> {
    let body = br#"{"code":"too_many_connections","message":"central is serving as many connections as it may; try again shortly"}"#;
    let mut out = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Serves `central` on `listener` until `shutdown` completes, then lets the open
/// connections finish (at most [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    central: Arc<Central>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = crate::http::router(Arc::clone(&central));
    // Reports follow the sale events in the background; ended with the server.
    let projector = tokio::spawn(crate::report::follow(Arc::clone(&central)));
    let _projector = AbortOnDrop(projector);
    let limits = central.limits.clone();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            // Reap finished connections as we go, so the set stays small.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            Metrics::inc(&central.metrics.connections_refused);
            tokio::spawn(refuse(stream));
            continue;
        };
        // Handlers see who is asking (the public routes' limits are per address).
        let service = TowerToHyperService::new(
            router
                .clone()
                .layer(axum::Extension(axum::extract::ConnectInfo(peer))),
        );
        let mut stop = stop_rx.clone();
        let header_timeout = limits.header_timeout;
        connections.spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let ended = tokio::select! {
                r = conn.as_mut() => r,
                () = stopped(&mut stop) => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(DRAIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    Ok(())
}

/// Completes once shutdown was asked (or the loop is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(&refusal()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}
