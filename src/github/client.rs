//! A small, synchronous GitHub REST client: octocrab for transport and auth, our own retry policy.
//!
//! octocrab's built-in retry is disabled because it retries POSTs immediately on 5xx (duplicate
//! comments) and waits without a cap. Here idempotent requests (GET, PATCH) are retried on 5xx and
//! timeouts with capped exponential backoff; every method is retried on rate limits (the request was
//! refused, so it did not happen), honouring `retry-after` and `x-ratelimit-reset`. POSTs are
//! otherwise sent once: callers that can check for a half-done POST (the sticky comment re-lists)
//! decide themselves.
//!
//! Every wait is bounded: one wait longer than [`Timing::max_wait`] is not waited at all, and all
//! waits of a run together stay within [`Timing::wait_budget`]. Once GitHub has rejected the token
//! (401) or rate-limited us past what we wait, later calls fail at once without being sent.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::header::{HeaderMap, HeaderName, ACCEPT};
use http::{Method, StatusCode};
use octocrab::service::middleware::retry::RetryConfig;
use octocrab::Octocrab;
use serde_json::Value;

/// The REST API version every request pins.
pub const API_VERSION: &str = "2022-11-28";

/// How long to wait and how often to try. Durations are real-world values; every sleep and
/// timeout is multiplied by `scale` (tests shrink it), messages show the unscaled values.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Attempts per request, including the first.
    pub max_attempts: u32,
    /// First backoff delay; doubled on every retry.
    pub backoff_base: Duration,
    /// Longest backoff delay we choose ourselves.
    pub backoff_cap: Duration,
    /// Per-request connect and read timeout (real time: `scale` is already applied).
    pub timeout: Duration,
    /// Delays between code scanning processing-status polls.
    pub poll_delays: Vec<Duration>,
    /// Longest single wait GitHub may ask for (`retry-after`, rate-limit reset); a longer one is
    /// not waited: the call gives up and its channel degrades.
    pub max_wait: Duration,
    /// All retry waits of one run together (polls excluded).
    pub wait_budget: Duration,
    /// Wait after a secondary rate limit that names no time (GitHub: at least a minute).
    pub secondary_wait: Duration,
    /// Multiplier applied to every real sleep and timeout.
    pub scale: f64,
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
            max_wait: Duration::from_secs(120),
            wait_budget: Duration::from_secs(300),
            secondary_wait: Duration::from_secs(60),
            scale: 1.0,
        }
    }
}

impl Timing {
    /// The default timing with every sleep and timeout multiplied by `factor`, including the
    /// waits a server asks for (`FLASKSCAN_GITHUB_TIME_SCALE`, for tests).
    pub fn scaled(factor: f64) -> Self {
        let scale = if factor.is_finite() {
            factor.max(0.0)
        } else {
            1.0
        };
        let d = Self::default();
        Self {
            timeout: d.timeout.mul_f64(scale).max(Duration::from_millis(50)),
            scale,
            ..d
        }
    }

    /// How long a wait of `d` really sleeps.
    pub fn real(&self, d: Duration) -> Duration {
        d.mul_f64(self.scale)
    }
}

/// A failed API call, safe to print: it never contains the token.
#[derive(Debug, Clone, Default)]
pub struct ApiError {
    /// HTTP status, or `None` when no response arrived (connection refused, timeout).
    pub status: Option<u16>,
    /// `METHOD /path` of the failed call.
    pub call: String,
    /// GitHub's `message`, or a transport error description.
    pub message: String,
    /// GitHub refused the call for a rate limit (403/429 with rate-limit signs).
    pub rate_limited: bool,
    /// Why no further attempt was made, when that is not obvious (a wait over the cap).
    pub gave_up: Option<String>,
    /// Requests sent for this call (0: not sent at all).
    pub attempts: u32,
    /// The `retry-after` GitHub sent with the last answer.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// Whether the token lacks access: the channel should be skipped, not retried.
    pub fn is_access_denied(&self) -> bool {
        !self.rate_limited && matches!(self.status, Some(401 | 403 | 404))
    }

    /// A 5xx or no answer: the request may or may not have been carried out.
    pub fn is_transient(&self) -> bool {
        !self.rate_limited && self.status.is_none_or(|s| s >= 500)
    }

    /// What the failure means, in words, for the warning.
    pub fn cause(&self) -> &'static str {
        if self.rate_limited {
            return "GitHub's API rate limit";
        }
        match self.status {
            None => "no answer from GitHub (timeout or network error)",
            Some(401) => {
                "GitHub rejected the token (bad credentials: expired, revoked or mistyped)"
            }
            Some(403) => "the token lacks a permission",
            Some(404) => {
                "not found: the repository or pull request is gone, or the token cannot see it"
            }
            Some(413) => "the request is too large for GitHub",
            Some(422) => "GitHub refused the request as invalid (validation failed)",
            Some(s) if s >= 500 => "a GitHub server error",
            Some(_) => "GitHub refused the request",
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(status) => write!(f, "{} returned {status}: {}", self.call, self.message)?,
            None => write!(f, "{} failed: {}", self.call, self.message)?,
        }
        write!(f, " [{}", self.cause())?;
        if self.attempts > 1 {
            write!(f, "; {} attempts", self.attempts)?;
        }
        if let Some(why) = &self.gave_up {
            write!(f, "; {why}")?;
        }
        write!(f, "]")
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

/// What to do after a failed attempt.
enum Next {
    /// Wait this long (unscaled), saying why, then send again.
    Retry(Duration, String),
    /// Stop; the reason is set when a wait was refused.
    Stop(Option<String>),
}

/// Every page of a list endpoint, and whether the listing stopped early at `max_pages`.
#[derive(Debug, Clone, Default)]
pub struct Pages {
    pub items: Vec<Value>,
    /// A `next` page existed past the page limit.
    pub truncated: bool,
}

/// The GitHub client used by every publishing channel.
pub struct Client {
    runtime: tokio::runtime::Runtime,
    crab: Octocrab,
    base: String,
    token: Option<String>,
    timing: Timing,
    /// Retry waits so far (unscaled), against `timing.wait_budget`.
    waited: Cell<Duration>,
    /// GitHub answered 401: the token is bad for every call.
    token_rejected: Cell<bool>,
    /// Rate-limited past what we wait: calls before this instant are not sent.
    blocked_until: Cell<Option<(Instant, &'static str)>>,
    /// Lines for the log: retries and waits.
    log: RefCell<Vec<String>>,
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
            waited: Cell::new(Duration::ZERO),
            token_rejected: Cell::new(false),
            blocked_until: Cell::new(None),
            log: RefCell::new(Vec::new()),
        })
    }

    /// The timing this client was built with.
    pub fn timing(&self) -> &Timing {
        &self.timing
    }

    /// Whether GitHub has rejected the token (401) during this run.
    pub fn token_rejected(&self) -> bool {
        self.token_rejected.get()
    }

    /// Why calls are not being sent any more (bad token, rate limit), if they aren't.
    pub fn blocked(&self) -> Option<&'static str> {
        if self.token_rejected.get() {
            return Some("GitHub rejected the token (401)");
        }
        match self.blocked_until.get() {
            Some((until, why)) if Instant::now() < until => Some(why),
            _ => None,
        }
    }

    /// Log lines (retries, waits) gathered since the last call.
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.borrow_mut())
    }

    /// Sleeps `d` (unscaled; really `d × scale`).
    pub fn sleep(&self, d: Duration) {
        std::thread::sleep(self.timing.real(d));
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

    /// `DELETE route` (idempotent: deleting twice leaves the same state).
    pub fn delete(&self, route: &str) -> Result<ApiResponse, ApiError> {
        self.send(Method::DELETE, route, None, Retry::Idempotent)
    }

    /// `PATCH route` for a body that is not idempotent (check run annotations are appended).
    pub fn patch_with(
        &self,
        route: &str,
        body: &Value,
        retry: Retry,
    ) -> Result<ApiResponse, ApiError> {
        self.send(Method::PATCH, route, Some(body), retry)
    }

    /// `GET` every page of a list endpoint by following `Link: rel="next"`, up to `max_pages`.
    pub fn get_all_pages(&self, route: &str, max_pages: usize) -> Result<Pages, ApiError> {
        let mut pages = Pages::default();
        let mut next = Some(route.to_string());
        let mut count = 0;
        while let Some(url) = next.take() {
            let response = self.get(&url)?;
            let link = response.next_link();
            if let Value::Array(page) = response.body {
                pages.items.extend(page);
            }
            count += 1;
            match link.filter(|link| self.same_host(link)) {
                Some(link) if count < max_pages => next = Some(link),
                Some(_) => pages.truncated = true,
                None => {}
            }
        }
        Ok(pages)
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
        if let Some(why) = self.blocked() {
            let rejected = self.token_rejected.get();
            return Err(ApiError {
                status: rejected.then_some(401),
                call,
                message: format!("not sent: {why}"),
                rate_limited: !rejected,
                ..ApiError::default()
            });
        }
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
            let next = match &outcome {
                Ok(response) if response.status < 300 => {
                    return self.finish(outcome, call, attempt, None)
                }
                Ok(response) => self.after_refusal(response, attempt, retry),
                Err(e) if retry == Retry::Idempotent => {
                    Next::Retry(self.backoff(attempt), format!("no answer ({e})"))
                }
                Err(_) => Next::Stop(None),
            };
            match next {
                Next::Retry(wait, why) if attempt < self.timing.max_attempts => {
                    let why = format!(
                        "{why}; retrying (attempt {} of {})",
                        attempt + 1,
                        self.timing.max_attempts
                    );
                    if let Err(refused) = self.wait_before_retry(&call, wait, &why) {
                        return self.finish(outcome, call, attempt, Some(refused));
                    }
                    attempt += 1;
                }
                Next::Retry(..) => return self.finish(outcome, call, attempt, None),
                Next::Stop(why) => return self.finish(outcome, call, attempt, why),
            }
        }
    }

    /// Sleeps `wait` (unscaled) before retrying `call`, logging `why`, unless the wait is over
    /// the cap or the run's wait budget: then says why it won't.
    pub fn wait_before_retry(&self, call: &str, wait: Duration, why: &str) -> Result<(), String> {
        if wait > self.timing.max_wait {
            return Err(format!(
                "GitHub asks to wait {}, longer than the {} flaskscan waits",
                seconds(wait),
                seconds(self.timing.max_wait)
            ));
        }
        if self.waited.get() + wait > self.timing.wait_budget {
            return Err(format!(
                "flaskscan waits at most {} in all for GitHub, and that time is used up",
                seconds(self.timing.wait_budget)
            ));
        }
        self.log
            .borrow_mut()
            .push(format!("{call}: {why}; waiting {}", seconds(wait)));
        self.waited.set(self.waited.get() + wait);
        self.sleep(wait);
        Ok(())
    }

    /// Before resending a write that may have landed despite `e` (a 5xx or no answer): waits
    /// as GitHub asks or backs off, logging the possible `effect` and the `check` made first.
    /// `false` when the wait is refused; `e` then records the attempts and why.
    pub fn pause_before_recheck(
        &self,
        e: &mut ApiError,
        attempt: u32,
        effect: &str,
        check: &str,
    ) -> bool {
        let wait = e.retry_after.unwrap_or_else(|| self.backoff(attempt));
        let cause = e.status.map_or_else(
            || format!("no answer ({})", e.message),
            |s| format!("server error {s}"),
        );
        let why = format!(
            "{cause} ({effect}); {check} before attempt {} of {}",
            attempt + 1,
            self.timing.max_attempts
        );
        match self.wait_before_retry(&e.call, wait, &why) {
            Ok(()) => true,
            Err(refused) => {
                e.attempts = attempt;
                e.gave_up = Some(refused);
                false
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
            Method::DELETE => self.crab._delete(uri, body).await,
            _ => unreachable!("only GET, POST, PATCH and DELETE are used"),
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

    /// What to do after a non-2xx response.
    fn after_refusal(&self, response: &ApiResponse, attempt: u32, retry: Retry) -> Next {
        let Ok(status) = StatusCode::from_u16(response.status) else {
            return Next::Stop(None);
        };
        let retry_after = retry_after(&response.headers);
        if status == StatusCode::UNAUTHORIZED {
            // A bad token stays bad: every later call would fail the same way.
            self.token_rejected.set(true);
            return Next::Stop(None);
        }
        if is_rate_limited(response) {
            let (wait, why) = if let Some(wait) = retry_after {
                (
                    wait,
                    format!("rate limited, GitHub asks to wait {}", seconds(wait)),
                )
            } else if let Some(wait) = reset_wait(&response.headers) {
                (
                    wait,
                    format!("rate limit used up, it resets in {}", seconds(wait)),
                )
            } else {
                // A secondary limit without a time: at least a minute, then exponentially longer.
                let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
                let wait = self.timing.secondary_wait.saturating_mul(factor);
                (wait, "secondary rate limit".to_string())
            };
            if wait > self.timing.max_wait {
                self.blocked_until.set(Some((
                    Instant::now() + self.timing.real(wait),
                    "rate limited by GitHub",
                )));
                return Next::Stop(Some(format!(
                    "{why}, longer than the {} flaskscan waits",
                    seconds(self.timing.max_wait)
                )));
            }
            return Next::Retry(wait, why);
        }
        if status.is_server_error() && retry == Retry::Idempotent {
            let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
            return Next::Retry(wait, format!("server error {}", response.status));
        }
        Next::Stop(None)
    }

    /// Our own delay before attempt `attempt + 1`: doubling from `backoff_base`, capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
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
        attempts: u32,
        gave_up: Option<String>,
    ) -> Result<ApiResponse, ApiError> {
        match outcome {
            Ok(response) if response.status < 300 => Ok(response),
            Ok(response) => {
                let rate_limited = is_rate_limited(&response);
                if rate_limited && self.blocked_until.get().is_none() {
                    // Out of attempts on a rate limit: later calls would be refused as well.
                    self.blocked_until.set(Some((
                        Instant::now() + self.timing.real(self.timing.max_wait),
                        "rate limited by GitHub",
                    )));
                }
                Err(ApiError {
                    status: Some(response.status),
                    call,
                    message: self.redact(&error_message(&response.body)),
                    rate_limited,
                    gave_up,
                    attempts,
                    retry_after: retry_after(&response.headers),
                })
            }
            Err(message) => Err(ApiError {
                status: None,
                call,
                message: self.redact(&message),
                gave_up,
                attempts,
                ..ApiError::default()
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

/// A 429, or a 403 that carries rate-limit signs (`retry-after`, `x-ratelimit-remaining: 0`, a
/// message about a rate limit). A plain 403 is a permission problem.
fn is_rate_limited(response: &ApiResponse) -> bool {
    match response.status {
        429 => true,
        403 => {
            retry_after(&response.headers).is_some()
                || header_u64(&response.headers, "x-ratelimit-remaining") == Some(0)
                || mentions_rate_limit(&response.body)
        }
        _ => false,
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    header_u64(headers, "retry-after").map(Duration::from_secs)
}

/// Time until `x-ratelimit-reset` (epoch seconds) when `x-ratelimit-remaining` is 0, plus a
/// second so the retry lands after the reset.
fn reset_wait(headers: &HeaderMap) -> Option<Duration> {
    if header_u64(headers, "x-ratelimit-remaining") != Some(0) {
        return None;
    }
    let reset = header_u64(headers, "x-ratelimit-reset")?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now) + 1))
}

/// `12 s`, or `1.5 s` for short waits.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
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

    fn response(status: u16, headers: &[(&'static str, &str)], message: &str) -> ApiResponse {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(HeaderName::from_static(k), v.parse().unwrap());
        }
        ApiResponse {
            status,
            headers: map,
            body: serde_json::json!({ "message": message }),
        }
    }

    /// A client that never sends; real time unless `scale` shrinks it.
    fn client_scaled(scale: f64) -> Client {
        Client::new("http://127.0.0.1:9", Some("t"), Timing::scaled(scale)).unwrap()
    }

    fn client() -> Client {
        client_scaled(1.0)
    }

    #[test]
    fn rate_limits_are_told_from_permission_problems() {
        assert!(!is_rate_limited(&response(
            403,
            &[],
            "Resource not accessible by integration"
        )));
        assert!(is_rate_limited(&response(
            403,
            &[("retry-after", "5")],
            "x"
        )));
        assert!(is_rate_limited(&response(
            403,
            &[("x-ratelimit-remaining", "0")],
            "x"
        )));
        assert!(is_rate_limited(&response(
            403,
            &[],
            "You have exceeded a secondary rate limit"
        )));
        assert!(is_rate_limited(&response(429, &[], "x")));
        assert!(!is_rate_limited(&response(
            503,
            &[("retry-after", "5")],
            "x"
        )));
    }

    #[test]
    fn waits_follow_github_and_stop_at_the_cap() {
        fn wait(c: &Client, r: &ApiResponse, attempt: u32) -> Option<u64> {
            match c.after_refusal(r, attempt, Retry::OnlyIfRefused) {
                Next::Retry(d, _) => Some(d.as_secs()),
                Next::Stop(_) => None,
            }
        }
        let c = client();
        assert_eq!(
            wait(&c, &response(403, &[("retry-after", "30")], "x"), 1),
            Some(30)
        );
        let secondary = response(403, &[], "secondary rate limit");
        assert_eq!(wait(&c, &secondary, 1), Some(60));
        assert_eq!(wait(&c, &secondary, 2), Some(120));
        assert_eq!(wait(&c, &secondary, 3), None, "240 s is over the cap");
        assert!(c.blocked().is_some(), "and later calls are not sent");
        let c = client();
        let reset = (SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600)
            .to_string();
        let primary = response(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", &reset),
            ],
            "x",
        );
        assert_eq!(wait(&c, &primary, 1), None);
        assert!(c.blocked().is_some());
        // A POST is not repeated after a server error; a 401 stops everything.
        let c = client();
        assert!(matches!(
            c.after_refusal(&response(502, &[], "x"), 1, Retry::OnlyIfRefused),
            Next::Stop(None)
        ));
        assert!(matches!(
            c.after_refusal(&response(502, &[], "x"), 1, Retry::Idempotent),
            Next::Retry(..)
        ));
        assert!(matches!(
            c.after_refusal(&response(401, &[], "x"), 1, Retry::Idempotent),
            Next::Stop(None)
        ));
        assert!(c.token_rejected());
    }

    #[test]
    fn the_wait_budget_bounds_all_waits_together() {
        let c = client_scaled(0.0);
        for _ in 0..2 {
            assert!(c
                .wait_before_retry("GET /x", Duration::from_secs(120), "why")
                .is_ok());
        }
        let refused = c
            .wait_before_retry("GET /x", Duration::from_secs(61), "why")
            .unwrap_err();
        assert!(refused.contains("300 s in all"), "{refused}");
        assert!(c
            .wait_before_retry("GET /x", Duration::from_secs(121), "why")
            .is_err());
        assert_eq!(c.take_log().len(), 2);
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
