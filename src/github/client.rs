//! A small, synchronous GitHub REST client: octocrab for transport and auth, our own retry policy.
//!
//! octocrab's built-in retry is disabled because it retries POSTs immediately on 5xx (duplicate
//! comments) and waits without a cap. Here idempotent requests (GET, PATCH) are retried on 5xx and
//! timeouts with capped exponential backoff; every method is retried on rate limits (the request was
//! refused, so it did not happen), honouring `retry-after`. POSTs are otherwise sent once: callers
//! that can check for a half-done POST (the sticky comment re-lists) decide themselves.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{HeaderMap, HeaderName, ACCEPT};
use http::{Method, StatusCode};
use octocrab::service::middleware::retry::RetryConfig;
use octocrab::Octocrab;
use serde_json::Value;

/// The REST API version every request pins.
pub const API_VERSION: &str = "2022-11-28";

/// Never wait longer than this for one `retry-after`; beyond it the run would stall, so give up.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How long to wait and how often to try.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Attempts per request, including the first.
    pub max_attempts: u32,
    /// First backoff delay; doubled on every retry.
    pub backoff_base: Duration,
    /// Longest backoff delay we choose ourselves (a server's `retry-after` may ask for more).
    pub backoff_cap: Duration,
    /// Per-request connect and read timeout.
    pub timeout: Duration,
    /// Delays between code scanning processing-status polls.
    pub poll_delays: Vec<Duration>,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(30),
            timeout: Duration::from_secs(60),
            // upload-sarif's schedule: checks after 5 s, 15 s, 35 s, 75 s and 155 s.
            poll_delays: [5, 10, 20, 40, 80]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
        }
    }
}

impl Timing {
    /// The default timing with our own delays and timeouts multiplied by `factor`
    /// (a server's `retry-after` is still honoured as sent).
    pub fn scaled(factor: f64) -> Self {
        let d = Self::default();
        let scale = |x: Duration| x.mul_f64(factor.max(0.0));
        Self {
            max_attempts: d.max_attempts,
            backoff_base: scale(d.backoff_base),
            backoff_cap: scale(d.backoff_cap),
            timeout: scale(d.timeout).max(Duration::from_millis(50)),
            poll_delays: d.poll_delays.into_iter().map(scale).collect(),
        }
    }
}

/// A failed API call, safe to print: it never contains the token.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status, or `None` when no response arrived (connection refused, timeout).
    pub status: Option<u16>,
    /// `METHOD /path` of the failed call.
    pub call: String,
    /// GitHub's `message`, or a transport error description.
    pub message: String,
}

impl ApiError {
    /// Whether the token lacks access: the channel should be skipped, not retried.
    pub fn is_access_denied(&self) -> bool {
        matches!(self.status, Some(401 | 403 | 404))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(status) => write!(f, "{} returned {status}: {}", self.call, self.message),
            None => write!(f, "{} failed: {}", self.call, self.message),
        }
    }
}

impl std::error::Error for ApiError {}

/// A successful (2xx) response.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: HeaderMap,
    /// The JSON body, or `Null` when empty.
    pub body: Value,
}

impl ApiResponse {
    /// The `rel="next"` URL of the `Link` header, if any.
    pub fn next_link(&self) -> Option<String> {
        let link = self.headers.get("link")?.to_str().ok()?;
        link.split(',').find_map(|part| {
            let (url, params) = part.split_once(';')?;
            params
                .split(';')
                .any(|p| p.trim() == "rel=\"next\"")
                .then(|| {
                    url.trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_string()
                })
        })
    }
}

/// Whether a failed request may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// GET/PATCH/PUT: sending twice has the same effect as once.
    Idempotent,
    /// POST: only retried when GitHub refused it (rate limit), never after a 5xx or timeout.
    OnlyIfRefused,
}

/// The GitHub client used by every publishing channel.
pub struct Client {
    runtime: tokio::runtime::Runtime,
    crab: Octocrab,
    base: String,
    token: Option<String>,
    timing: Timing,
}

impl Client {
    /// Builds a client for `api_url` (`GITHUB_API_URL`); `token` may be absent (reads on public repos).
    pub fn new(api_url: &str, token: Option<&str>, timing: Timing) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let base = api_url.trim_end_matches('/').to_string();
        let crab = {
            let _guard = runtime.enter();
            let mut builder = Octocrab::builder()
                .base_uri(base.as_str())
                .map_err(|_| anyhow::anyhow!("GITHUB_API_URL is not a valid URL: {base}"))?
                .add_retry_config(RetryConfig::None)
                .set_connect_timeout(Some(timing.timeout))
                .set_read_timeout(Some(timing.timeout))
                .add_header(ACCEPT, "application/vnd.github+json".to_string());
            if let Some(token) = token {
                builder = builder.personal_token(token.to_string());
            }
            builder
                .build()
                .map_err(|_| anyhow::anyhow!("could not build the GitHub client"))?
        };
        Ok(Self {
            runtime,
            crab,
            base,
            token: token.map(str::to_string),
            timing,
        })
    }

    /// The timing this client was built with.
    pub fn timing(&self) -> &Timing {
        &self.timing
    }

    /// `GET route` (a path under the API base, or an absolute URL on the same host from a `Link`).
    pub fn get(&self, route: &str) -> Result<ApiResponse, ApiError> {
        self.send(Method::GET, route, None, Retry::Idempotent)
    }

    /// `POST route` with a JSON body.
    pub fn post(&self, route: &str, body: &Value, retry: Retry) -> Result<ApiResponse, ApiError> {
        self.send(Method::POST, route, Some(body), retry)
    }

    /// `PATCH route` with a JSON body (idempotent: the same body twice leaves the same state).
    pub fn patch(&self, route: &str, body: &Value) -> Result<ApiResponse, ApiError> {
        self.send(Method::PATCH, route, Some(body), Retry::Idempotent)
    }

    /// `GET` every page of a list endpoint by following `Link: rel="next"`, up to `max_pages`.
    pub fn get_all_pages(&self, route: &str, max_pages: usize) -> Result<Vec<Value>, ApiError> {
        let mut items = Vec::new();
        let mut next = Some(route.to_string());
        let mut pages = 0;
        while let Some(url) = next.take() {
            let response = self.get(&url)?;
            let link = response.next_link();
            if let Value::Array(page) = response.body {
                items.extend(page);
            }
            pages += 1;
            next = link.filter(|link| pages < max_pages && self.same_host(link));
        }
        Ok(items)
    }

    /// Whether `url` is relative or points at the API host (the token is only ever sent there).
    fn same_host(&self, url: &str) -> bool {
        !url.contains("://") || authority(url) == authority(&self.base)
    }

    fn send(
        &self,
        method: Method,
        route: &str,
        body: Option<&Value>,
        retry: Retry,
    ) -> Result<ApiResponse, ApiError> {
        let call = format!("{method} {}", display_path(route));
        // Bodies quote scanned files (messages, snippets): never let a secret reach GitHub.
        let scrubbed = body.map(|b| {
            let mut b = b.clone();
            crate::redact::scrub_json(&mut b);
            b
        });
        let body = scrubbed.as_ref();
        let mut attempt = 1;
        loop {
            let outcome = self.runtime.block_on(self.send_once(&method, route, body));
            let wait = match &outcome {
                Ok(response) if response.status < 300 => None,
                Ok(response) => self.retry_delay(response, attempt, retry),
                Err(_) if retry == Retry::Idempotent => Some(self.backoff(attempt)),
                Err(_) => None,
            };
            match (wait, attempt < self.timing.max_attempts) {
                (Some(delay), true) => {
                    std::thread::sleep(delay);
                    attempt += 1;
                }
                _ => return self.finish(outcome, call),
            }
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        route: &str,
        body: Option<&Value>,
    ) -> Result<ApiResponse, String> {
        // Relative routes get the base URI, path included (GHES `/api/v3`), from octocrab.
        let uri = route;
        let result = match *method {
            Method::GET => self.crab._get(uri).await,
            Method::POST => self.crab._post(uri, body).await,
            Method::PATCH => self.crab._patch(uri, body).await,
            _ => unreachable!("only GET, POST and PATCH are used"),
        };
        let response = result.map_err(|e| short_error(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = self
            .crab
            .body_to_string(response)
            .await
            .map_err(|e| short_error(&e))?;
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(ApiResponse {
            status,
            headers,
            body,
        })
    }

    /// How long to wait before retrying a non-2xx response, or `None` to give up now.
    fn retry_delay(&self, response: &ApiResponse, attempt: u32, retry: Retry) -> Option<Duration> {
        let status = StatusCode::from_u16(response.status).ok()?;
        let retry_after = header_u64(&response.headers, "retry-after").map(Duration::from_secs);
        let exhausted = header_u64(&response.headers, "x-ratelimit-remaining") == Some(0);
        let rate_limited = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::FORBIDDEN
                && (retry_after.is_some() || exhausted || mentions_rate_limit(&response.body)));
        if rate_limited {
            let reset_wait = header_u64(&response.headers, "x-ratelimit-reset").map(|reset| {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                Duration::from_secs(reset.saturating_sub(now.as_secs()))
            });
            let wait = retry_after
                .or(reset_wait)
                .unwrap_or_else(|| self.backoff(attempt));
            // Waiting less than GitHub asks only earns another refusal; waiting much longer
            // stalls the job. Past the cap, give up and let the channel degrade.
            return (wait <= MAX_RETRY_AFTER).then_some(wait);
        }
        if status.is_server_error() && retry == Retry::Idempotent {
            let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
            return (wait <= MAX_RETRY_AFTER).then_some(wait);
        }
        None
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.timing
            .backoff_base
            .saturating_mul(factor)
            .min(self.timing.backoff_cap)
    }

    fn finish(
        &self,
        outcome: Result<ApiResponse, String>,
        call: String,
    ) -> Result<ApiResponse, ApiError> {
        match outcome {
            Ok(response) if response.status < 300 => Ok(response),
            Ok(response) => Err(ApiError {
                status: Some(response.status),
                call,
                message: self.redact(&error_message(&response.body)),
            }),
            Err(message) => Err(ApiError {
                status: None,
                call,
                message: self.redact(&message),
            }),
        }
    }

    /// Removes the token from text that came from elsewhere (a server may echo anything back).
    fn redact(&self, text: &str) -> String {
        match &self.token {
            Some(token) if !token.is_empty() => text.replace(token.as_str(), "***"),
            _ => text.to_string(),
        }
    }
}

/// The path of a route or URL without scheme, host and query, for messages.
fn display_path(route: &str) -> String {
    let without_host = match route.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => route,
    };
    without_host.split('?').next().unwrap_or("").to_string()
}

fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or("")
}

fn header_u64(headers: &HeaderMap, name: &'static str) -> Option<u64> {
    headers
        .get(HeaderName::from_static(name))?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn mentions_rate_limit(body: &Value) -> bool {
    error_message(body)
        .to_ascii_lowercase()
        .contains("rate limit")
}

/// GitHub's error `message` (plus validation `errors`), or the raw body.
fn error_message(body: &Value) -> String {
    let mut message = match body.get("message").and_then(Value::as_str) {
        Some(m) => m.to_string(),
        None => match body {
            Value::String(s) => s.chars().take(300).collect(),
            Value::Null => "(empty response)".to_string(),
            other => other.to_string().chars().take(300).collect(),
        },
    };
    if let Some(errors) = body.get("errors").and_then(Value::as_array) {
        for error in errors {
            let detail = error
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| error.to_string());
            message.push_str("; ");
            message.push_str(&detail);
        }
    }
    message
}

/// octocrab's error text without its backtrace.
fn short_error(error: &octocrab::Error) -> String {
    let full = error.to_string();
    let head = full.split("\n\nFound at").next().unwrap_or(&full);
    let mut text = head.trim().to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_is_parsed_from_the_link_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "link",
            "<http://h/x?page=2>; rel=\"next\", <http://h/x?page=5>; rel=\"last\""
                .parse()
                .unwrap(),
        );
        let response = ApiResponse {
            status: 200,
            headers,
            body: Value::Null,
        };
        assert_eq!(response.next_link().as_deref(), Some("http://h/x?page=2"));
    }

    #[test]
    fn display_path_drops_host_and_query() {
        assert_eq!(display_path("http://h:1/a/b?page=2"), "/a/b");
        assert_eq!(display_path("/repos/o/r?x=1"), "/repos/o/r");
    }

    #[test]
    fn error_message_includes_validation_errors() {
        let body = serde_json::json!({"message": "Validation Failed",
            "errors": [{"message": "Body is too long (maximum is 65536 characters)"}]});
        assert_eq!(
            error_message(&body),
            "Validation Failed; Body is too long (maximum is 65536 characters)"
        );
    }
}
