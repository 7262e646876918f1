//! Connection-level defences actix does not provide: a cap on the connections one address may
//! hold, and a watchdog that hangs up on connections that stall between requests.
//!
//! actix times out the headers of a connection's first request only; a client that dribbles the
//! headers of its second request a byte at a time holds the connection forever, and a few
//! thousand such clients starve everyone else (see RELIABILITY.md §3.3). The watchdog knows when
//! each connection last finished a request: one idle for longer than keep-alive plus the header
//! deadline is past anything actix would allow a well-behaved client, so it is shut down.
//!
//! Shutting down goes through a duplicate of the socket's descriptor, kept until actix drops the
//! connection, so a recycled descriptor number can never be hit by mistake.

use std::collections::HashMap;
use std::net::{IpAddr, Shutdown, TcpStream};
use std::os::fd::AsFd;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Bytes;

use crate::telemetry::metrics::{CONNECTIONS_CUT, CONNECTIONS_OPEN};

/// Every open connection, shared by the workers (which register connections) and the watchdog.
pub struct Connections {
    started: Instant,
    /// Longest a connection may sit between requests (or before its first) without being served.
    stall_limit: Duration,
    /// Most connections one address may hold; 0 is no cap (behind a proxy every client shares its
    /// address).
    per_address: usize,
    /// Peers that are proxies: the cap does not apply to them.
    proxies: crate::config::ProxyTrust,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    next_id: u64,
    by_id: HashMap<u64, Arc<Connection>>,
    by_address: HashMap<IpAddr, usize>,
}

/// One accepted connection, as the watchdog sees it.
pub struct Connection {
    id: u64,
    address: IpAddr,
    socket: TcpStream,
    /// Requests whose answer is not yet fully handed to actix.
    busy: AtomicU32,
    /// When the connection last became idle, in milliseconds since `Connections::started`.
    idle_since_ms: AtomicU64,
}

/// Lives in actix's per-connection data; dropping it (actix dropped the connection) unregisters.
struct Registration {
    connection: Arc<Connection>,
    owner: Weak<Connections>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(owner) = self.owner.upgrade() {
            owner.forget(&self.connection);
        }
    }
}

impl Connections {
    pub fn new(stall_limit: Duration, per_address: usize, proxies: crate::config::ProxyTrust) -> Arc<Connections> {
        Arc::new(Connections {
            started: Instant::now(),
            stall_limit,
            per_address,
            proxies,
            open: Mutex::default(),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The `on_connect` hook: registers the connection, or hangs up at once when its address
    /// already holds its share.
    pub fn on_connect(self: &Arc<Self>, io: &dyn std::any::Any, data: &mut Extensions) {
        let Some(tcp) = io.downcast_ref::<actix_web::rt::net::TcpStream>() else {
            return;
        };
        // Otherwise the last small segment of a response waits for the client's delayed ACK,
        // and a page takes ~40 ms instead of ~1.
        let _ = tcp.set_nodelay(true);
        let (Ok(peer), Ok(socket)) = (tcp.peer_addr(), tcp.as_fd().try_clone_to_owned()) else {
            return;
        };
        let socket = TcpStream::from(socket);
        let address = peer.ip();
        let mut open = self.lock();
        let held = open.by_address.get(&address).copied().unwrap_or(0);
        // A proxy's connections carry many clients; its header names each of them instead.
        if self.per_address > 0 && held >= self.per_address && !self.proxies.trusts(address) {
            drop(open);
            metrics::counter!(CONNECTIONS_CUT, "reason" => "per_address").increment(1);
            let _ = socket.shutdown(Shutdown::Both);
            return;
        }
        open.next_id += 1;
        let connection = Arc::new(Connection {
            id: open.next_id,
            address,
            socket,
            busy: AtomicU32::new(0),
            idle_since_ms: AtomicU64::new(self.now_ms()),
        });
        open.by_id.insert(connection.id, connection.clone());
        *open.by_address.entry(address).or_default() += 1;
        drop(open);
        data.insert(Registration {
            connection,
            owner: Arc::downgrade(self),
        });
    }

    fn forget(&self, connection: &Connection) {
        let mut open = self.lock();
        if open.by_id.remove(&connection.id).is_none() {
            return;
        }
        if let Some(held) = open.by_address.get_mut(&connection.address) {
            *held -= 1;
            if *held == 0 {
                open.by_address.remove(&connection.address);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        // The map holds no invariant a panic elsewhere could break halfway.
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Connections currently open.
    pub fn count(&self) -> usize {
        self.lock().by_id.len()
    }

    /// Shuts down every connection idle for longer than the stall limit; returns how many.
    pub fn cut_stalled(&self) -> usize {
        let now = self.now_ms();
        let limit = u64::try_from(self.stall_limit.as_millis()).unwrap_or(u64::MAX);
        let stalled: Vec<Arc<Connection>> = self
            .lock()
            .by_id
            .values()
            .filter(|c| c.busy.load(Ordering::Acquire) == 0)
            .filter(|c| now.saturating_sub(c.idle_since_ms.load(Ordering::Acquire)) > limit)
            .cloned()
            .collect();
        for connection in &stalled {
            // actix sees the end of the stream and drops the connection, which unregisters it.
            let _ = connection.socket.shutdown(Shutdown::Both);
        }
        if !stalled.is_empty() {
            metrics::counter!(CONNECTIONS_CUT, "reason" => "stalled").increment(stalled.len() as u64);
            tracing::debug!(count = stalled.len(), "hung up on stalled connections");
        }
        stalled.len()
    }

    /// Runs the watchdog until shutdown.
    pub fn spawn_watchdog(self: &Arc<Self>, background: &crate::background::Background) {
        let weak = Arc::downgrade(self);
        let every = (self.stall_limit / 4).clamp(Duration::from_millis(100), Duration::from_secs(1));
        background.every_from_now("connection watchdog", every, move || {
            if let Some(connections) = weak.upgrade() {
                connections.cut_stalled();
                metrics::gauge!(CONNECTIONS_OPEN).set(connections.count() as f64);
            }
            std::future::ready(())
        });
    }
}

/// A request in flight on a connection; dropping it marks the connection idle from now.
struct Busy {
    connection: Arc<Connection>,
    owner: Weak<Connections>,
}

impl Busy {
    fn start(req: &ServiceRequest) -> Option<Busy> {
        let registration = req.conn_data::<Registration>()?;
        registration.connection.busy.fetch_add(1, Ordering::AcqRel);
        Some(Busy {
            connection: registration.connection.clone(),
            owner: registration.owner.clone(),
        })
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(owner) = self.owner.upgrade() {
            self.connection.idle_since_ms.store(owner.now_ms(), Ordering::Release);
        }
        self.connection.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Marks the connection busy from the start of a request until its answer has been handed over
/// (a streamed body counts until its last chunk), so long downloads are not mistaken for stalls.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let busy = Busy::start(&req);
    let res = next.call(req).await?;
    Ok(match busy {
        Some(busy) => res.map_body(|_, body| {
            BoxBody::new(Tracked {
                body: body.boxed(),
                busy,
            })
        }),
        None => res.map_into_boxed_body(),
    })
}

struct Tracked {
    body: BoxBody,
    busy: Busy,
}

impl MessageBody for Tracked {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }

    fn try_into_bytes(self) -> Result<Bytes, Self> {
        let Tracked { body, busy } = self;
        body.try_into_bytes().map_err(|body| Tracked { body, busy })
    }
}
