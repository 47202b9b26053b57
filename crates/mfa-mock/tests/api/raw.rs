//! A bare HTTP/1.1 client on a `TcpStream`, for what reqwest will not send:
//! header values that are not UTF-8, unknown methods, dot segments, hand-made
//! chunked bodies, bodies shorter than they claim, connections that stall.
//!
//! Every request it builds says `Connection: close`, so a reply is read to the
//! end of the stream; every read has a deadline, so a server that hangs fails
//! the test instead of hanging it.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long any raw exchange may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// A response as it came off the wire.
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl RawReply {
    /// The first header called `name` (lower case), as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| std::str::from_utf8(value).ok())
    }

    /// The body as JSON, or `Value::Null` if it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The body as text, for failure messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A request with `Host`, `Connection: close` and, unless `headers` already
/// frame the body (`Transfer-Encoding` or `Content-Length`), a `Content-Length`.
pub fn request(method: &[u8], target: &[u8], headers: &[(&[u8], &[u8])], body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(body.len() + 256);
    for part in [
        method,
        b" ",
        target,
        b" HTTP/1.1\r\nHost: mfa-mock\r\nConnection: close\r\n",
    ] {
        bytes.extend_from_slice(part);
    }
    for (name, value) in headers {
        for part in [*name, b": ", *value, b"\r\n"] {
            bytes.extend_from_slice(part);
        }
    }
    let framed = headers.iter().any(|(name, _)| {
        name.eq_ignore_ascii_case(b"transfer-encoding")
            || name.eq_ignore_ascii_case(b"content-length")
    });
    if !framed {
        bytes.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(body);
    bytes
}

/// `body` as one chunk per `piece` bytes, with the closing zero-length chunk.
pub fn chunked(body: &[u8], piece: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    for chunk in body.chunks(piece.max(1)) {
        bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        bytes.extend_from_slice(chunk);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    bytes
}

/// `host:port` from `http://host:port`.
pub fn address(base_url: &str) -> &str {
    base_url.trim_start_matches("http://")
}

/// A fresh connection to the server at `base_url`.
pub async fn connect(base_url: &str) -> TcpStream {
    TcpStream::connect(address(base_url))
        .await
        .expect("the server accepts a connection")
}

/// Sends `bytes` on a new connection and reads the reply to the end of the stream.
pub async fn exchange(base_url: &str, bytes: &[u8]) -> RawReply {
    let mut stream = connect(base_url).await;
    stream
        .write_all(bytes)
        .await
        .expect("the request is written");
    read_reply(&mut stream).await
}

/// Reads until the server closes the stream, then parses what arrived.
pub async fn read_reply(stream: &mut TcpStream) -> RawReply {
    let mut received = Vec::new();
    let read = tokio::time::timeout(DEADLINE, stream.read_to_end(&mut received)).await;
    match read {
        Ok(Ok(_)) => {}
        // A reset after a complete reply still leaves the reply readable.
        Ok(Err(error)) if !received.is_empty() => eprintln!("read ended with {error}"),
        Ok(Err(error)) => panic!("the reply could not be read: {error}"),
        Err(_) => panic!(
            "no complete reply within {DEADLINE:?}; got {:?}",
            String::from_utf8_lossy(&received)
        ),
    }
    parse(&received)
}

/// Parses a whole `HTTP/1.x` response (one, with a `Content-Length` body or none).
pub fn parse(received: &[u8]) -> RawReply {
    let text = String::from_utf8_lossy(received);
    let end = received
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header section in {text:?}"));
    let head = &received[..end];
    let mut lines = head.split(|&byte| byte == b'\n');
    let status_line = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {status_line:?}"));
    let headers = lines
        .filter_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let colon = line.iter().position(|&byte| byte == b':')?;
            let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
            Some((name, line[colon + 1..].trim_ascii().to_vec()))
        })
        .collect();
    RawReply {
        status,
        headers,
        body: received[end + 4..].to_vec(),
    }
}
