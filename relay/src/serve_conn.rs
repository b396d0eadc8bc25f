//! The connection loop: accepts TCP connections and serves HTTP/1.1 on each
//! with hyper, with the timeouts `axum::serve` does not have, so a slow or
//! silent client cannot hold a connection:
//!
//! - **header timeout**: from the first byte of a request until its head is
//!   complete (`--header-timeout`, 10 s): a client sending half a request
//!   line and then nothing is disconnected.
//! - **idle timeout**: a connection with no request in progress on which
//!   nothing was received or sent for this long is closed
//!   (`--idle-timeout`, 60 s): a fresh connection that sends nothing, a
//!   kept-alive one between requests, and a response the client stops
//!   reading.
//!
//! A request in progress (from its complete head until its response body
//! has been produced) has neither: the guard's request timeout bounds it,
//! and long-polls end by themselves. hyper's own `header_read_timeout` is
//! off: it also runs while a kept-alive connection is idle, which would
//! make the idle timeout the header timeout.
//!
//! Each request carries `ConnectInfo<SocketAddr>` (the TCP peer) in its
//! extensions, as `into_make_service_with_connect_info` would put it.
//! Shutdown stops accepting, lets requests in progress finish (long-polls
//! answer at once), closes idle connections and waits for all of them.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// How long a connection with nothing in progress may finish what it was
/// doing (flushing a response, a half-received head) after shutdown begins.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// The connection timeouts.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header: Duration,
    pub idle: Duration,
}

/// Serves `app` on `listener` until `stop` turns true, then drains.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    timeouts: Timeouts,
    mut stop: watch::Receiver<bool>,
) -> io::Result<()> {
    // Every connection task holds a receiver; `closed()` is all of them gone.
    let (open_tx, open_rx) = watch::channel(());
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.wait_for(|s| *s) => break,
        };
        let (stream, peer) = match accepted {
            Ok(c) => c,
            Err(e) => {
                accept_error(e).await;
                continue;
            }
        };
        tokio::spawn(connection(
            stream,
            peer,
            app.clone(),
            timeouts,
            stop.clone(),
            open_rx.clone(),
        ));
    }
    drop(listener);
    drop(open_rx);
    open_tx.closed().await;
    Ok(())
}

async fn accept_error(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    // Out of file descriptors, most likely: connections will close; wait.
    tracing::error!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    timeouts: Timeouts,
    mut stop: watch::Receiver<bool>,
    _open: watch::Receiver<()>,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let busy = Busy::begin(&activity);
            let call = app.clone().oneshot(req);
            async move {
                let resp = call.await?;
                Ok::<_, std::convert::Infallible>(resp.map(|body| Tracked {
                    inner: body,
                    busy: Some(busy),
                }))
            }
        })
    };
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let mut stopping: Option<Instant> = None;
    loop {
        let now = Instant::now();
        let mut deadline = activity.deadline(&timeouts, now);
        if let Some(since) = stopping
            && !activity.busy()
        {
            deadline = deadline.min(since + SHUTDOWN_GRACE);
        }
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%peer, error = %e, "connection ended");
                }
                return;
            }
            _ = tokio::time::sleep_until(deadline) => {
                let now = Instant::now();
                let shut = stopping.is_some_and(|s| now >= s + SHUTDOWN_GRACE) && !activity.busy();
                if shut || activity.expired(&timeouts, now) {
                    tracing::debug!(%peer, "closing a slow or idle connection");
                    return;
                }
            }
            _ = activity.changed.notified() => {}
            _ = stop.wait_for(|s| *s), if stopping.is_none() => {
                stopping = Some(Instant::now());
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// What a connection is doing, for its timeouts.
struct Activity {
    state: Mutex<State>,
    /// Told when a deadline may have moved earlier (a head began, a
    /// request ended).
    changed: Notify,
}

struct State {
    /// Requests whose response is not produced yet.
    in_flight: usize,
    /// When nothing is in flight: the first byte of a head not complete
    /// yet, if one has arrived since.
    head_since: Option<Instant>,
    /// When the connection last became idle.
    idle_since: Instant,
    /// Last byte sent.
    last_write: Instant,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Activity {
    fn new() -> Activity {
        let now = Instant::now();
        Activity {
            state: Mutex::new(State {
                in_flight: 0,
                head_since: None,
                idle_since: now,
                last_write: now,
            }),
            changed: Notify::new(),
        }
    }

    fn busy(&self) -> bool {
        lock(&self.state).in_flight > 0
    }

    /// When the connection should be closed unless something happens;
    /// while a request is in progress, a time to look again.
    fn deadline(&self, t: &Timeouts, now: Instant) -> Instant {
        let s = lock(&self.state);
        if s.in_flight > 0 {
            now + t.idle
        } else if let Some(since) = s.head_since {
            since + t.header
        } else {
            s.idle_since.max(s.last_write) + t.idle
        }
    }

    fn expired(&self, t: &Timeouts, now: Instant) -> bool {
        lock(&self.state).in_flight == 0 && now >= self.deadline(t, now)
    }

    fn read(&self) {
        let mut s = lock(&self.state);
        if s.in_flight == 0 && s.head_since.is_none() {
            s.head_since = Some(Instant::now());
            drop(s);
            self.changed.notify_one();
        }
    }

    fn wrote(&self) {
        lock(&self.state).last_write = Instant::now();
    }
}

/// One request in progress on a connection, from its complete head until
/// its response body is produced (or dropped).
struct Busy(Arc<Activity>);

impl Busy {
    fn begin(activity: &Arc<Activity>) -> Busy {
        let mut s = lock(&activity.state);
        s.in_flight += 1;
        s.head_since = None;
        drop(s);
        Busy(activity.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let mut s = lock(&self.0.state);
        s.in_flight = s.in_flight.saturating_sub(1);
        if s.in_flight == 0 {
            s.idle_since = Instant::now();
        }
        drop(s);
        self.0.changed.notify_one();
    }
}

/// A response body that keeps its request [`Busy`] until it has ended.
struct Tracked {
    inner: Body,
    busy: Option<Busy>,
}

impl hyper::body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(r, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            self.busy = None;
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The TCP stream, telling [`Activity`] about bytes received and sent.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
