//! A deterministic fault-injecting HTTP proxy on loopback. It handles one connection
//! at a time, to completion, so the n-th request always meets the n-th fault of the
//! seed's plan whatever the timing: a failing seed replays exactly.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    /// Close the connection without forwarding.
    DropRequest,
    /// Forward (central commits), then close without answering.
    DropResponse,
    /// Answer 503 without forwarding.
    ServerError,
    /// Forward, then hold the answer past the client's timeout.
    Delay,
    /// Forward, then reset the connection (RST) instead of answering.
    Reset,
    /// Forward the same request twice; answer with the second reply.
    Twice,
}

const FAULTS: [Fault; 6] = [
    Fault::DropRequest,
    Fault::DropResponse,
    Fault::ServerError,
    Fault::Delay,
    Fault::Reset,
    Fault::Twice,
];

/// splitmix64: small, seedable, the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub struct Proxy {
    pub url: String,
    pub log: Arc<Mutex<Vec<Fault>>>,
    faulty: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// A proxy to `upstream` injecting faults from `seed` into half the requests;
    /// `hold` is how long a delayed answer is held.
    pub async fn start(upstream: std::net::SocketAddr, seed: u64, hold: Duration) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let faulty = Arc::new(AtomicBool::new(true));
        let (l, f) = (Arc::clone(&log), Arc::clone(&faulty));
        let task = tokio::spawn(async move {
            let mut rng = Rng::new(seed);
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let fault = if f.load(Ordering::SeqCst) && rng.below(2) == 0 {
                    FAULTS[rng.below(FAULTS.len() as u64) as usize]
                } else {
                    Fault::Pass
                };
                l.lock().unwrap().push(fault);
                let _ = handle(client, upstream, fault, hold).await;
            }
        });
        Proxy {
            url,
            log,
            faulty,
            task,
        }
    }

    /// From now on every request passes.
    pub fn heal(&self) {
        self.faulty.store(false, Ordering::SeqCst);
    }
}

/// Reads one HTTP/1.1 message (headers and a Content-Length body).
async fn read_message(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(buf);
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn forward(upstream: std::net::SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(request).await?;
    read_message(&mut up).await
}

/// The reply with `connection: close`, so the client never reuses the connection.
fn closing(mut response: Vec<u8>) -> Vec<u8> {
    if let Some(i) = response.windows(2).position(|w| w == b"\r\n") {
        response.splice(i + 2..i + 2, b"connection: close\r\n".iter().copied());
    }
    response
}

async fn handle(
    mut client: TcpStream,
    upstream: std::net::SocketAddr,
    fault: Fault,
    hold: Duration,
) -> std::io::Result<()> {
    let request = read_message(&mut client).await?;
    match fault {
        Fault::Pass => {
            let r = forward(upstream, &request).await?;
            client.write_all(&closing(r)).await?;
        }
        Fault::DropRequest => {}
        Fault::DropResponse => {
            forward(upstream, &request).await?;
        }
        Fault::ServerError => {
            client
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await?;
        }
        Fault::Delay => {
            let r = forward(upstream, &request).await?;
            tokio::time::sleep(hold).await;
            let _ = client.write_all(&closing(r)).await;
        }
        Fault::Reset => {
            forward(upstream, &request).await?;
            // A zero linger makes the close a reset; it does not block (the
            // deprecation is about non-zero lingers).
            #[allow(deprecated)]
            client.set_linger(Some(Duration::ZERO))?;
        }
        Fault::Twice => {
            forward(upstream, &request).await?;
            let r = forward(upstream, &request).await?;
            client.write_all(&closing(r)).await?;
        }
    }
    client.shutdown().await.ok();
    Ok(())
}
