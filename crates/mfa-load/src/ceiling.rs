//! The ceiling: a minimal hyper server in this process that answers every
//! request with the same ~400-byte JSON body, on its own single-threaded
//! runtime and thread (pinned like the server under test). Measured with the
//! same workers, it shows what one core can serve over HTTP/1.1 here, so
//! mfa-mock's figures read as ratios that do not drift with the machine.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::thread::JoinHandle;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::cpu::CpuSource;
use crate::pinning;

/// The body of every answer: a TOTP factor as `GET /auth/factors/:id` returns
/// it, padded with a user id to about 400 bytes.
pub const BODY: &str = concat!(
    r#"{"object":"authentication_factor","id":"auth_factor_01JZ8Q4TWJ7GK3N2V6XH5M9C1A","#,
    r#""created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z","#,
    r#""type":"totp","totp":{"issuer":"Foo Corp","user":"alan.turing@example.com"},"#,
    r#""user_id":"user_01JZ8Q4TWJ7GK3N2V6XH5M9C1B","sms":null,"#,
    r#""metadata":{"environment":"ceiling","note":"a fixed answer of about four hundred bytes"}}"#
);

const CONTENT_TYPE_JSON: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");

/// Starts the ceiling on 127.0.0.1 (a free port), on a new thread pinned to
/// `core` when one is given.
pub fn start(core: Option<usize>) -> io::Result<InProcessServer> {
    InProcessServer::start("ceiling-server", core, answer)
}

/// A hyper server on its own single-threaded runtime and thread, in this
/// process; dropping it stops it. The ceiling and the floor are both one.
pub struct InProcessServer {
    addr: SocketAddr,
    cpu: Option<CpuSource>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl InProcessServer {
    /// Starts a server answering with `answer` on 127.0.0.1 (a free port), on a
    /// new thread named `name` pinned to `core` when one is given.
    pub fn start<A, F>(name: &str, core: Option<usize>, answer: A) -> io::Result<Self>
    where
        A: Fn(Request<Incoming>) -> F + Clone + Send + 'static,
        F: Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send + 'static,
    {
        let listener = StdListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel();
        let (cpu_sender, cpu_receiver) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                pinning::pin_current_thread(core);
                let _ = cpu_sender.send(CpuSource::current_thread());
                runtime.block_on(serve(listener, stopped, answer));
            })?;
        Ok(Self {
            addr,
            cpu: cpu_receiver.recv().ok().flatten(),
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where its thread's CPU time can be read.
    pub fn cpu_source(&self) -> Option<CpuSource> {
        self.cpu.clone()
    }
}

impl Drop for InProcessServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve<A, F>(listener: StdListener, mut stopped: oneshot::Receiver<()>, answer: A)
where
    A: Fn(Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send + 'static,
{
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                // Hyper's defaults, as a bare server (and mfa-mock) uses them.
                if let Ok((stream, _)) = accepted {
                    let connection = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service_fn(answer.clone()));
                    tokio::spawn(connection);
                }
            }
            _ = &mut stopped => return,
        }
    }
}

async fn answer(_request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, CONTENT_TYPE_JSON);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_body_is_json_of_about_400_bytes() {
        assert!((380..=420).contains(&BODY.len()), "{} bytes", BODY.len());
        let parsed: serde_json::Value = serde_json::from_str(BODY).expect("the body is JSON");
        assert_eq!(parsed["object"], "authentication_factor");
    }
}
