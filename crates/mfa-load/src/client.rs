//! One keep-alive HTTP/1.1 connection, as lean as hyper makes it: a
//! `TcpStream` handed to `hyper::client::conn::http1`, requests sent one after
//! another, each answer read whole. No pool, no redirects, no TLS, so the load
//! generator spends its time on the wire, not in a client library. What to send
//! is the scenarios' business (`scenario`).

use std::fmt;
use std::io;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::target::Target;

/// Why a request got no answer.
#[derive(Debug)]
pub enum ClientError {
    /// The TCP connection could not be made.
    Connect(io::Error),
    /// HTTP failed: the connection closed, a malformed answer, a body cut short.
    Http(hyper::Error),
    /// A header value could not be built (an API key with a newline, say).
    Header(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(error) => write!(f, "cannot connect: {error}"),
            Self::Http(error) => write!(f, "HTTP error: {error}"),
            Self::Header(error) => write!(f, "bad header: {error}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// A status and a whole body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The response status.
    pub status: StatusCode,
    /// The response body, read to the end.
    pub body: Bytes,
}

/// One open connection that sends requests as one API key.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    host: HeaderValue,
    authorization: HeaderValue,
}

const JSON: HeaderValue = HeaderValue::from_static("application/json");

impl Connection {
    /// Connects to `target` and performs the HTTP/1.1 handshake; the
    /// connection's I/O runs as a task on the current runtime.
    pub async fn open(target: &Target, api_key: &str) -> Result<Self, ClientError> {
        let host = HeaderValue::from_str(&target.authority)
            .map_err(|error| ClientError::Header(error.to_string()))?;
        let authorization = HeaderValue::from_str(&format!("Bearer {api_key}"))
            .map_err(|error| ClientError::Header(error.to_string()))?;
        let stream = TcpStream::connect(target.addr)
            .await
            .map_err(ClientError::Connect)?;
        // Requests are written whole, but an unacknowledged segment must never delay one.
        stream.set_nodelay(true).map_err(ClientError::Connect)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(ClientError::Http)?;
        tokio::spawn(async move {
            // A closed connection shows up as an error on the next send.
            let _ = connection.await;
        });
        Ok(Self {
            sender,
            host,
            authorization,
        })
    }

    /// Sends one request (a JSON body when `body` is not empty) and reads the
    /// whole answer.
    pub async fn send(
        &mut self,
        method: Method,
        uri: Uri,
        body: Bytes,
    ) -> Result<Answer, ClientError> {
        let has_body = !body.is_empty();
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.insert(HOST, self.host.clone());
        headers.insert(AUTHORIZATION, self.authorization.clone());
        if has_body {
            headers.insert(CONTENT_TYPE, JSON);
        }
        self.sender.ready().await.map_err(ClientError::Http)?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(ClientError::Http)?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(ClientError::Http)?
            .to_bytes();
        Ok(Answer { status, body })
    }
}
