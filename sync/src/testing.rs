//! Test support, not used by the app: a deterministic fault-injecting HTTP proxy on
//! loopback and the small seedable generator the reliability tests draw from.
//!
//! The proxy handles one connection at a time, to completion, so the n-th request
//! always meets the n-th fault of its plan whatever the timing: a failing seed
//! replays exactly. Its plan is either drawn from a seed (half the requests meet a
//! fault) or steered: every request meets the fault last [`Proxy::set`].

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward it and its answer.
    Pass,
    /// Close the connection without forwarding (the network is down).
    DropRequest,
    /// Forward (central commits), then close without answering (a lost reply).
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

/// Every fault but [`Fault::Pass`].
pub const FAULTS: [Fault; 6] = [
    Fault::DropRequest,
    Fault::DropResponse,
    Fault::ServerError,
    Fault::Delay,
    Fault::Reset,
    Fault::Twice,
];

/// splitmix64: small, seedable, the same everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True once in `n` times.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        items.get(self.below(items.len() as u64) as usize)
    }
}

enum Plan {
    Seeded { rng: Rng, faulty: bool },
    Steered(Fault),
}

impl Plan {
    fn next(&mut self) -> Fault {
        match self {
            Plan::Seeded { rng, faulty } => {
                if *faulty && rng.below(2) == 0 {
                    FAULTS[rng.below(FAULTS.len() as u64) as usize]
                } else {
                    Fault::Pass
                }
            }
            Plan::Steered(f) => *f,
        }
    }
}

/// A fault-injecting proxy in front of one upstream; stops when dropped.
pub struct Proxy {
    /// Its address, for a client to use instead of the upstream's.
    pub url: String,
    /// Every fault it applied, in order.
    pub log: Arc<Mutex<Vec<Fault>>>,
    plan: Arc<Mutex<Plan>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// A proxy to `upstream` injecting faults drawn from `seed` into half the
    /// requests; `hold` is how long a delayed answer is held.
    pub async fn start(
        upstream: std::net::SocketAddr,
        seed: u64,
        hold: Duration,
    ) -> std::io::Result<Proxy> {
        Self::with(
            upstream,
            Plan::Seeded {
                rng: Rng::new(seed),
                faulty: true,
            },
            hold,
        )
        .await
    }

    /// A proxy to `upstream` that passes everything until told otherwise by
    /// [`Proxy::set`].
    pub async fn steered(upstream: std::net::SocketAddr, hold: Duration) -> std::io::Result<Proxy> {
        Self::with(upstream, Plan::Steered(Fault::Pass), hold).await
    }

    async fn with(
        upstream: std::net::SocketAddr,
        plan: Plan,
        hold: Duration,
    ) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let log = Arc::new(Mutex::new(Vec::new()));
        let plan = Arc::new(Mutex::new(plan));
        let (l, p) = (Arc::clone(&log), Arc::clone(&plan));
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let fault = p.lock().unwrap_or_else(PoisonError::into_inner).next();
                l.lock().unwrap_or_else(PoisonError::into_inner).push(fault);
                let _ = handle(client, upstream, fault, hold).await;
            }
        });
        Ok(Proxy {
            url,
            log,
            plan,
            task,
        })
    }

    /// Every request from now on meets `fault` (a seeded plan becomes steered).
    pub fn set(&self, fault: Fault) {
        *self.plan.lock().unwrap_or_else(PoisonError::into_inner) = Plan::Steered(fault);
    }

    /// From now on every request passes.
    pub fn heal(&self) {
        self.set(Fault::Pass);
    }

    /// The faults applied so far, [`Fault::Pass`] left out.
    pub fn faults(&self) -> Vec<Fault> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .filter(|f| *f != Fault::Pass)
            .collect()
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
