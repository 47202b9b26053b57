//! `spawn_app()` and the small HTTP client every test uses.

use std::sync::Arc;

use mfa_mock::{App, Config};
use mfa_mock::{Clock, ManualClock, Timestamp};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A running server and a client bound to one API key (one tenant).
pub struct TestApp {
    pub base_url: String,
    pub key: String,
    pub client: reqwest::Client,
    pub app: Arc<App>,
    _shutdown: Arc<oneshot::Sender<()>>,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Reply {
    /// The header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        &self.body
    }

    /// The string at `pointer` in the body.
    #[track_caller]
    pub fn str(&self, pointer: &str) -> String {
        match self.body.pointer(pointer).and_then(Value::as_str) {
            Some(text) => text.to_owned(),
            None => panic!("no string at {pointer} in {}", self.text),
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Config::default()).await
}

/// A server whose clock stands still at a known instant until the test moves it.
pub async fn spawn_app_with_manual_clock() -> (TestApp, ManualClock) {
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_700_000_000_000));
    let config = Config {
        clock: Clock::Manual(clock.clone()),
        ..Config::default()
    };
    (spawn_app_with(config).await, clock)
}

pub async fn spawn_app_with(config: Config) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let address = listener.local_addr().expect("bound address");
    let app = Arc::new(App::new(config).expect("app builds"));
    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(mfa_mock::serve(listener, Arc::clone(&app), async move {
        let _ = stopped.await;
    }));
    TestApp {
        base_url: format!("http://{address}"),
        key: format!("sk_test_{}", ulid_like()),
        client: reqwest::Client::new(),
        app,
        _shutdown: Arc::new(shutdown),
    }
}

fn ulid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("tenant{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

impl TestApp {
    /// The same server, seen through another API key.
    pub fn as_tenant(&self, key: &str) -> TestApp {
        TestApp {
            base_url: self.base_url.clone(),
            key: key.to_owned(),
            client: self.client.clone(),
            app: Arc::clone(&self.app),
            _shutdown: Arc::clone(&self._shutdown),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request reaches the server");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body is readable");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(self.url(path)).bearer_auth(&self.key))
            .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.client.delete(self.url(path)).bearer_auth(&self.key))
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        let request = self
            .client
            .post(self.url(path))
            .bearer_auth(&self.key)
            .json(&body);
        self.send(request).await
    }

    /// POSTs raw bytes with the given content type (or none).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let mut request = self
            .client
            .post(self.url(path))
            .bearer_auth(&self.key)
            .body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        self.send(request).await
    }

    pub async fn enroll_totp(&self) -> Reply {
        let body =
            json!({"type": "totp", "totp_issuer": "Foo Corp", "totp_user": "alan@example.com"});
        self.post("/auth/factors/enroll", body).await
    }

    pub async fn enroll_sms(&self) -> Reply {
        self.post(
            "/auth/factors/enroll",
            json!({"type": "sms", "phone_number": "+15005550006"}),
        )
        .await
    }

    pub async fn enroll_generic(&self) -> Reply {
        self.post("/auth/factors/enroll", json!({"type": "generic_otp"}))
            .await
    }

    pub async fn challenge(&self, factor_id: &str) -> Reply {
        self.post(&format!("/auth/factors/{factor_id}/challenge"), json!({}))
            .await
    }

    pub async fn verify(&self, challenge_id: &str, code: &str) -> Reply {
        self.post(
            &format!("/auth/challenges/{challenge_id}/verify"),
            json!({"code": code}),
        )
        .await
    }

    pub async fn create_user(&self, email: &str) -> Reply {
        self.post("/user_management/users", json!({"email": email}))
            .await
    }

    /// The server's current time, as TOTP counts it.
    pub fn now_seconds(&self) -> u64 {
        self.app.now().unix_seconds()
    }
}

/// The TOTP code for base32 `secret` at `unix_seconds`, computed by a TOTP
/// implementation other than the server's (totp-lite), so the two check each other.
pub fn independent_totp(secret: &str, unix_seconds: u64) -> String {
    let key = data_encoding::BASE32_NOPAD
        .decode(secret.trim_end_matches('=').as_bytes())
        .expect("the server returns valid base32");
    totp_lite::totp_custom::<totp_lite::Sha1>(30, 6, &key, unix_seconds)
}

/// A six-digit code that is none of the codes accepted around `unix_seconds`.
pub fn wrong_totp(secret: &str, unix_seconds: u64) -> String {
    let accepted: Vec<String> = (0..5)
        .map(|step| independent_totp(secret, unix_seconds + step * 30 - 60.min(unix_seconds)))
        .collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|candidate| !accepted.contains(candidate))
        .expect("some code is wrong")
}
