//! The proxy itself: accepting clients, relaying their requests, and applying the plan and the shaping.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::config::Config;
use crate::faults::{Plan, cut_point};
use crate::http::{HttpError, Incoming, Request, RequestHead, Response};
use crate::rng::SplitMix64;
use crate::shaping::{Meter, TokenBucket};
use crate::stats::{Counters, Stats, bump};

/// A shortest wait between link cuts, so a tiny mean cannot spin the cutter.
const MIN_CUT_GAP: Duration = Duration::from_millis(1);

/// State shared by the accept loop, the link cutter and every connection.
#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    config: Config,
    faults_on: AtomicBool,
    counters: Arc<Counters>,
    up: Option<Arc<TokenBucket>>,
    down: Option<Arc<TokenBucket>>,
    next_request: AtomicU64,
    /// Highest request number sent upstream so far; held requests wait for it to pass their own.
    forwarded: watch::Sender<u64>,
    /// Bumped at every link cut; each connection closes when it changes.
    cuts: watch::Sender<u64>,
}

/// What to do with a client connection after one exchange.
enum Next {
    KeepAlive,
    Close,
}

/// A running fault-injecting, link-shaping HTTP/1.1 proxy in front of one upstream server.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` listening on an ephemeral port of 127.0.0.1.
    pub async fn start(upstream: SocketAddr, config: Config) -> io::Result<FaultProxy> {
        FaultProxy::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), upstream, config).await
    }

    /// Starts a proxy to `upstream` listening on `listen`.
    pub async fn start_on(listen: SocketAddr, upstream: SocketAddr, config: Config) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        // A zero bandwidth would stall every byte forever, so it is read as "not shaped".
        let rate = config.shaping.bandwidth_bytes_per_sec.filter(|&r| r > 0);
        let cut_mean = config.shaping.cut_every_mean.filter(|m| !m.is_zero());
        let shared = Arc::new(Shared {
            upstream,
            faults_on: AtomicBool::new(true),
            counters: Arc::new(Counters::default()),
            up: rate.map(|r| Arc::new(TokenBucket::new(r))),
            down: rate.map(|r| Arc::new(TokenBucket::new(r))),
            next_request: AtomicU64::new(0),
            forwarded: watch::Sender::new(0),
            cuts: watch::Sender::new(0),
            config,
        });
        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = vec![tokio::spawn(accept_loop(listener, shared.clone(), stop_rx.clone()))];
        if let Some(mean) = cut_mean {
            tasks.push(tokio::spawn(link_cutter(shared.clone(), mean, stop_rx)));
        }
        Ok(FaultProxy {
            addr,
            shared,
            stop,
            tasks,
        })
    }

    /// The address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The proxy's base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Turns fault injection on or off for requests arriving from now on; shaping and link cuts stay.
    pub fn set_faults_enabled(&self, on: bool) {
        self.shared.faults_on.store(on, Ordering::Relaxed);
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.counters.snapshot()
    }

    /// Stops listening, closes every connection and waits for the proxy's tasks to end.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        for task in std::mem::take(&mut self.tasks) {
            // A task that panicked has nothing left to clean up, so its outcome is not needed.
            let _ = task.await;
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // A proxy dropped without `shutdown` must still stop serving rather than linger for the runtime's life.
        self.stop.send_replace(true);
    }
}

/// Accepts clients until told to stop, then aborts their tasks, which closes their sockets.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Small requests and responses must not wait on Nagle; shaping already paces the bytes.
                    let _ = stream.set_nodelay(true);
                    conns.spawn(serve_client(shared.clone(), stream));
                }
                // Usually out of file descriptors: back off instead of spinning, and keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.shutdown().await;
}

/// Cuts every client connection at exponentially distributed times.
async fn link_cutter(shared: Arc<Shared>, mean: Duration, mut stop: watch::Receiver<bool>) {
    // A stream of its own keeps cut times independent of how many requests have been seen.
    let mut rng = SplitMix64::for_index(shared.config.seed, u64::MAX);
    loop {
        let wait = rng.exponential(mean).max(MIN_CUT_GAP);
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(wait) => {
                bump(&shared.counters.link_cuts, 1);
                shared.cuts.send_modify(|g| *g = g.wrapping_add(1));
            }
        }
    }
}

/// Serves one client connection until it closes, fails, or the link is cut.
async fn serve_client(shared: Arc<Shared>, stream: TcpStream) {
    let mut cut = shared.cuts.subscribe();
    tokio::select! {
        () = client_loop(&shared, stream) => {}
        // Dropping the loop drops the client socket and any upstream one with it.
        _ = cut.changed() => {}
    }
}

/// Reads requests from one client and handles each in turn.
async fn client_loop(shared: &Shared, stream: TcpStream) {
    let up = Meter::new(shared.up.clone(), shared.counters.clone(), |c| &c.bytes_up);
    let down = Meter::new(shared.down.clone(), shared.counters.clone(), |c| &c.bytes_down);
    let mut client = Incoming::new(stream, Some(up));
    loop {
        let head = match client.read_request_head().await {
            Ok(Some(head)) => head,
            Ok(None) => return,
            Err(e) => return refuse(&mut client, &down, &e).await,
        };
        let index = shared.next_request.fetch_add(1, Ordering::Relaxed) + 1;
        let plan = if shared.faults_on.load(Ordering::Relaxed) {
            Plan::draw(&shared.config.faults, shared.config.seed, index)
        } else {
            Plan::default()
        };
        let next = if plan.leaves_request_alone() {
            relay_streaming(shared, &mut client, &down, head, &plan, index).await
        } else {
            let req = match client.read_request_body(head).await {
                Ok(req) => req,
                Err(e) => return refuse(&mut client, &down, &e).await,
            };
            bump(&shared.counters.requests, 1);
            handle(shared, &mut client, &down, &req, &plan, index).await
        };
        match next {
            Next::KeepAlive => {}
            Next::Close => return,
        }
    }
}

/// Answers a request the proxy could not read, when the error is the client's to hear about.
async fn refuse(client: &mut Incoming<TcpStream>, down: &Meter, e: &HttpError) {
    if let Some((status, reason)) = e.client_status() {
        let resp = Response::plain(status, reason, &format!("{e}\n"));
        let (bytes, _) = resp.to_client(true, false);
        let _ = down.write_all(client.get_mut(), &bytes).await;
    }
}

/// Relays a request whose plan leaves it alone: its head and body go upstream as they arrive, each
/// piece one latency after it crossed the client link, as a real link carries bytes. So a link cut
/// loses only what was still on its way, and the server gets what had crossed (the faults that
/// need the whole request, and the extra delays, take the other path).
async fn relay_streaming(
    shared: &Shared,
    client: &mut Incoming<TcpStream>,
    down: &Meter,
    head: RequestHead,
    plan: &Plan,
    index: u64,
) -> Next {
    let latency = shared.config.shaping.latency;
    let (is_head, close) = (head.method == "HEAD", head.wants_close());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let read = async move {
        // A send fails only once the writer has given up on upstream; the body is still read to its
        // end so the client hears the 502 on a connection in a known state.
        let _ = tx.send((Instant::now() + latency, head.to_upstream()));
        let mut left = head.body_len;
        while left > 0 {
            let piece = client.read_piece(left).await?;
            left -= piece.len() as u64;
            let _ = tx.send((Instant::now() + latency, piece));
        }
        Ok::<_, HttpError>(client)
    };
    let write = async {
        let mut up = TcpStream::connect(shared.upstream).await?;
        let _ = up.set_nodelay(true);
        while let Some((due, bytes)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            up.write_all(&bytes).await?;
        }
        Ok::<_, std::io::Error>(up)
    };
    let (read, write) = tokio::join!(read, write);
    mark_forwarded(shared, index);
    // The client stopped part-way: what crossed has been delivered, and the upstream connection
    // closes here with the request unfinished.
    let Ok(client) = read else {
        return Next::Close;
    };
    bump(&shared.counters.requests, 1);
    let resp = match write {
        Ok(up) => Incoming::new(up, None).read_response(is_head).await,
        Err(e) => Err(HttpError::from(e)),
    };
    reply(shared, client, down, resp, close, is_head, plan).await
}

/// Relays one request according to `plan`.
async fn handle(
    shared: &Shared,
    client: &mut Incoming<TcpStream>,
    down: &Meter,
    req: &Request,
    plan: &Plan,
    index: u64,
) -> Next {
    let c = &shared.counters;
    if plan.drop_request {
        bump(&c.dropped_requests, 1);
        return Next::Close;
    }
    sleep_nonzero(shared.config.shaping.latency).await;
    sleep_nonzero(plan.delay).await;
    if plan.reorder {
        bump(&c.reordered, 1);
        hold_for_overtake(shared, index).await;
    }
    let (bytes, head_len) = req.to_upstream();
    if let Some(frac) = plan.cut_request_at {
        bump(&c.cut_request_bodies, 1);
        if let Ok(mut up) = TcpStream::connect(shared.upstream).await {
            let end = cut_point(head_len, bytes.len(), frac);
            let _ = tokio::io::AsyncWriteExt::write_all(&mut up, &bytes[..end]).await;
        }
        mark_forwarded(shared, index);
        return Next::Close;
    }
    let close = req.wants_close();
    let mut resp = exchange(shared.upstream, &bytes, req.is_head()).await;
    mark_forwarded(shared, index);
    if plan.duplicate && resp.is_ok() {
        bump(&c.duplicated, 1);
        resp = exchange(shared.upstream, &bytes, req.is_head()).await;
    }
    reply(shared, client, down, resp, close, req.is_head(), plan).await
}

/// Brings upstream's response (or a 502 for its failure) back to the client according to `plan`.
async fn reply(
    shared: &Shared,
    client: &mut Incoming<TcpStream>,
    down: &Meter,
    resp: Result<Response, HttpError>,
    close: bool,
    is_head: bool,
    plan: &Plan,
) -> Next {
    let c = &shared.counters;
    let resp = match resp {
        Ok(resp) => resp,
        Err(e) => {
            sleep_nonzero(shared.config.shaping.latency).await;
            let resp = Response::plain(502, "Bad Gateway", &format!("upstream: {e}\n"));
            let (out, _) = resp.to_client(close, is_head);
            return write_and_continue(client, down, &out, close).await;
        }
    };
    if plan.drop_response {
        bump(&c.dropped_responses, 1);
        return Next::Close;
    }
    sleep_nonzero(shared.config.shaping.latency).await;
    let close = close || resp.ends_connection();
    let (out, head_len) = resp.to_client(close, is_head);
    if let Some(frac) = plan.cut_response_at {
        bump(&c.cut_response_bodies, 1);
        let end = cut_point(head_len, out.len(), frac);
        let _ = down.write_all(client.get_mut(), &out[..end]).await;
        return Next::Close;
    }
    write_and_continue(client, down, &out, close).await
}

/// Writes a whole response and says whether the connection can carry another request.
async fn write_and_continue(client: &mut Incoming<TcpStream>, down: &Meter, out: &[u8], close: bool) -> Next {
    match down.write_all(client.get_mut(), out).await {
        Ok(()) if !close => Next::KeepAlive,
        _ => Next::Close,
    }
}

/// Sends one request upstream on a fresh connection and reads the response.
async fn exchange(upstream: SocketAddr, bytes: &[u8], is_head: bool) -> Result<Response, HttpError> {
    let mut up = TcpStream::connect(upstream).await?;
    let _ = up.set_nodelay(true);
    // A server may answer and close before reading all of a request (a 413, say); its answer still counts.
    let _ = tokio::io::AsyncWriteExt::write_all(&mut up, bytes).await;
    Incoming::new(up, None).read_response(is_head).await
}

/// Holds a request until a later one has gone upstream, or for at most the configured hold.
async fn hold_for_overtake(shared: &Shared, index: u64) {
    let mut rx = shared.forwarded.subscribe();
    let hold = shared.config.faults.reorder_hold;
    // Timing out is the normal end of a hold when no later request comes along.
    let _ = tokio::time::timeout(hold, rx.wait_for(|&last| last > index)).await;
}

/// Records that request `index` has gone upstream, releasing held requests that came before it.
fn mark_forwarded(shared: &Shared, index: u64) {
    shared.forwarded.send_if_modified(|last| {
        let newer = index > *last;
        if newer {
            *last = index;
        }
        newer
    });
}

/// Sleeps unless `d` is zero, to skip a timer registration on the common path.
async fn sleep_nonzero(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}
