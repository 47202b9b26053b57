//! The accept loop: connections, HTTP/1.1, graceful shutdown. Nothing here
//! knows about WorkOS; every request goes to [`App::handle`].
//!
//! It must not route, authenticate or touch a tenant: keeping the socket here
//! and the meaning in `app.rs` is what lets every other module be tested
//! without one. A `HEAD` is answered by hyper from the `GET` response, which
//! drops the body and keeps its `Content-Length`. With a state file it also
//! runs the timer that flushes changes to its log (`persist.rs` does the
//! writing) and compacts it once connections are done.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tracing::{Level, debug, info, warn};

use crate::app::App;
use crate::config::Config;
use crate::error::ApiError;
use crate::persist::FLUSH_EVERY;
use crate::request::ApiRequest;
use crate::response::{ApiResponse, JSON_CONTENT_TYPE};

/// The header every response carries its request id in.
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Serves the MFA API on `listener` until `shutdown` completes, then lets
/// in-flight requests finish (up to `config.shutdown_grace`) and returns.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let app = Arc::new(App::new(config).map_err(io::Error::other)?);
    serve(listener, app, shutdown).await
}

/// [`run`] with an application already built, e.g. one a test inspects.
pub async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let flusher = app
        .persistence
        .is_some()
        .then(|| tokio::spawn(flush_state(Arc::clone(&app))));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(app.config.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let stream = TlsSniffer::new(stream, peer);
                    let app = Arc::clone(&app);
                    let service = service_fn(move |request| {
                        let app = Arc::clone(&app);
                        async move { Ok::<_, Infallible>(respond(&app, request).await) }
                    });
                    let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                    tokio::spawn(async move {
                        if let Err(error) = connection.await {
                            debug!(%error, "connection ended with an error");
                        }
                    });
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let grace = app.config.shutdown_grace;
    tokio::select! {
        () = graceful.shutdown() => info!("all connections closed"),
        () = tokio::time::sleep(grace) => warn!(?grace, "connections still open after the grace period"),
    }
    if let Some(flusher) = flusher {
        flusher.abort();
    }
    if let Some(files) = &app.persistence {
        files.compact(&app.store).map_err(io::Error::other)?;
        info!(path = %files.path().display(), "state saved");
    }
    Ok(())
}

/// Appends changed tenants to the state file's log every [`FLUSH_EVERY`],
/// off the async threads, until aborted at shutdown.
async fn flush_state(app: Arc<App>) {
    let mut ticks = tokio::time::interval(FLUSH_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let app = Arc::clone(&app);
        let flushed = tokio::task::spawn_blocking(move || {
            app.persistence
                .as_ref()
                .map_or(Ok(()), |files| files.flush(&app.store))
        })
        .await;
        match flushed {
            Ok(Ok(())) => {}
            Ok(Err(error)) => warn!(%error, "state not saved; retrying"),
            Err(error) => warn!(%error, "state flush stopped"),
        }
    }
}

/// A connection that looks at the first byte it reads: `0x16` opens a TLS
/// handshake, which no HTTP request starts with. A client that speaks https to
/// this plain-HTTP port (the Node SDK does unless told `https: false`) only sees
/// its own retries fail, so the server says so, once per connection.
struct TlsSniffer {
    stream: TcpStream,
    peer: std::net::SocketAddr,
    looked: bool,
}

impl TlsSniffer {
    fn new(stream: TcpStream, peer: std::net::SocketAddr) -> Self {
        Self {
            stream,
            peer,
            looked: false,
        }
    }
}

/// The first byte of a TLS record carrying a handshake (a ClientHello).
const TLS_HANDSHAKE: u8 = 0x16;

impl AsyncRead for TlsSniffer {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if !self.looked
            && let Some(&first) = buf.filled().get(before)
        {
            self.looked = true;
            if first == TLS_HANDSHAKE {
                warn!(
                    peer = %self.peer,
                    "a client sent a TLS handshake to this plain-HTTP server: use an http:// URL \
                     (the Node SDK needs `https: false`)"
                );
            }
        }
        result
    }
}

impl AsyncWrite for TlsSniffer {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

async fn respond(app: &App, request: Request<Incoming>) -> Response<Full<Bytes>> {
    // What the per-request debug line needs, gathered only when it is on.
    let log = tracing::enabled!(Level::DEBUG).then(|| {
        let method = request.method().clone();
        (Instant::now(), method, request.uri().path().to_owned())
    });
    let patience = app.config.body_read_timeout;
    let read = tokio::time::timeout(
        patience,
        ApiRequest::from_hyper(request, app.config.max_body_bytes),
    )
    .await;
    let mut response = match read {
        Ok(Ok(request)) => app.handle(&request),
        Ok(Err(error)) => error.into_response(),
        Err(_) => ApiError::RequestTimeout {
            seconds: patience.as_secs(),
        }
        .into_response(),
    };
    let request_id = response
        .request_id
        .take()
        .unwrap_or_else(|| app.request_id());
    if let Some(delay) = response.delay {
        tokio::time::sleep(delay).await;
    }
    if let Some((started, method, path)) = log {
        debug!(
            %method,
            path,
            status = response.status.as_u16(),
            micros = started.elapsed().as_micros() as u64,
            request_id,
            "request"
        );
    }
    to_hyper(response, request_id)
}

fn to_hyper(response: ApiResponse, request_id: String) -> Response<Full<Bytes>> {
    let (body, content_type) = match (&response.body, response.document) {
        (Some(json), _) => (json.bytes().clone(), Some(JSON_CONTENT_TYPE)),
        (None, Some(document)) => (
            Bytes::from_static(document.bytes),
            Some(document.content_type),
        ),
        (None, None) => (Bytes::new(), None),
    };
    let mut hyper_response = Response::new(Full::new(body));
    *hyper_response.status_mut() = response.status;
    let headers = hyper_response.headers_mut();
    if let Some(content_type) = content_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    if let Ok(value) = HeaderValue::from_maybe_shared(Bytes::from(request_id)) {
        headers.insert(X_REQUEST_ID, value);
    }
    for (name, value) in response.headers {
        headers.insert(name, value);
    }
    hyper_response
}
