//! The OSV REST API client: `POST /v1/querybatch` (paginated) and `GET /v1/vulns/{id}`.
//!
//! Blocking `ureq` with rustls; every call has connect and overall timeouts and a bounded number
//! of retries with exponential backoff on 5xx, 429 and transport errors.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ureq::Agent;

/// OSV accepts at most 1,000 queries per batch.
const BATCH_SIZE: usize = 1000;
/// A runaway server cannot keep us paging forever.
const MAX_PAGES: usize = 50;
/// Bodies larger than this are refused (a PyPI export is ~30 MB in 2026).
const MAX_BODY: u64 = 512 * 1024 * 1024;

/// How to talk to OSV.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL without `/v1`, e.g. `https://api.osv.dev`.
    pub base_url: String,
    pub timeout: Duration,
    /// Extra attempts after the first one.
    pub retries: u32,
    /// The first backoff; doubled on each retry.
    pub backoff: Duration,
}

/// One querybatch query: a package, optionally at a version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Query {
    pub name: String,
    pub version: Option<String>,
}

#[derive(Serialize)]
struct QueryBody<'a> {
    package: PackageBody<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_token: Option<&'a str>,
}

#[derive(Serialize)]
struct PackageBody<'a> {
    name: &'a str,
    ecosystem: &'static str,
}

#[derive(Deserialize, Default)]
struct BatchResponse {
    /// Required: one entry per query, in order (an empty entry when nothing matched).
    results: Vec<BatchResult>,
}

#[derive(Deserialize, Default)]
struct BatchResult {
    #[serde(default)]
    vulns: Vec<VulnRef>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct VulnRef {
    id: String,
    #[serde(default)]
    modified: String,
}

/// A blocking OSV client.
pub struct Client {
    agent: Agent,
    config: ClientConfig,
}

impl Client {
    /// Builds a client; proxies from the environment are honoured except for loopback hosts.
    pub fn new(config: ClientConfig) -> Self {
        let loopback = ["://127.", "://localhost", "://[::1]"]
            .iter()
            .any(|p| config.base_url.contains(p));
        let mut builder = Agent::config_builder()
            .timeout_connect(Some(config.timeout))
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .user_agent(concat!("flaskscan/", env!("CARGO_PKG_VERSION")));
        if loopback {
            builder = builder.proxy(None);
        }
        Client {
            agent: builder.build().into(),
            config,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// Sends one request with retries (on 5xx, 429 and transport errors); returns the body of a
    /// 2xx answer read by `read` (bounded by the caller), or `None` for 404.
    fn request<T>(
        &self,
        what: &str,
        send: impl Fn() -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        read: impl Fn(ureq::BodyWithConfig, Option<u64>) -> Result<T, ureq::Error>,
    ) -> Result<Option<T>, String> {
        let mut delay = self.config.backoff;
        let mut last = String::new();
        for attempt in 0..=self.config.retries {
            if attempt > 0 {
                std::thread::sleep(delay);
                delay = delay.saturating_mul(2);
            }
            match send() {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    if (200..300).contains(&status) {
                        let length = resp.body().content_length();
                        return read(resp.body_mut().with_config().limit(MAX_BODY), length)
                            .map(Some)
                            .map_err(|e| format!("{what}: reading the answer failed: {e}"));
                    }
                    if status == 404 {
                        return Ok(None);
                    }
                    last = format!("{what}: HTTP {status}");
                    if !(status >= 500 || status == 429) {
                        return Err(last);
                    }
                }
                Err(e) => last = format!("{what}: {e}"),
            }
        }
        Err(last)
    }

    /// Runs querybatch for every query, following `next_page_token`s; answers are in query order.
    pub fn query_batch(&self, queries: &[Query]) -> Result<Vec<Vec<(String, String)>>, String> {
        let mut answers: Vec<Vec<(String, String)>> = vec![Vec::new(); queries.len()];
        for (chunk_no, chunk) in queries.chunks(BATCH_SIZE).enumerate() {
            let offset = chunk_no * BATCH_SIZE;
            // (index into `queries`, page token) still to send.
            let mut pending: Vec<(usize, Option<String>)> =
                (0..chunk.len()).map(|i| (offset + i, None)).collect();
            for _ in 0..MAX_PAGES {
                if pending.is_empty() {
                    break;
                }
                let body = serde_json::json!({
                    "queries": pending.iter().map(|(i, token)| QueryBody {
                        package: PackageBody { name: &queries[*i].name, ecosystem: "PyPI" },
                        version: queries[*i].version.as_deref(),
                        page_token: token.as_deref(),
                    }).collect::<Vec<_>>()
                })
                .to_string();
                let url = self.url("/v1/querybatch");
                let text = self
                    .request(
                        "OSV querybatch",
                        || {
                            self.agent
                                .post(&url)
                                .header("Content-Type", "application/json")
                                .send(body.as_str())
                        },
                        |b, _| b.read_to_string(),
                    )?
                    .ok_or("OSV querybatch: HTTP 404")?;
                // Anything but one result per query is not an answer: treating it as "no
                // vulnerabilities" would make a broken audit look clean.
                let parsed: BatchResponse = serde_json::from_str(&text)
                    .map_err(|e| format!("OSV querybatch: invalid answer: {e}"))?;
                if parsed.results.len() != pending.len() {
                    return Err(format!(
                        "OSV querybatch: {} results for {} queries",
                        parsed.results.len(),
                        pending.len()
                    ));
                }
                let mut next = Vec::new();
                for ((i, _), result) in pending.iter().zip(parsed.results) {
                    answers[*i].extend(result.vulns.into_iter().map(|v| (v.id, v.modified)));
                    if let Some(token) = result.next_page_token.filter(|t| !t.is_empty()) {
                        next.push((*i, Some(token)));
                    }
                }
                pending = next;
            }
            if !pending.is_empty() {
                return Err(format!("OSV querybatch: more than {MAX_PAGES} pages"));
            }
        }
        for a in &mut answers {
            a.sort();
            a.dedup();
        }
        Ok(answers)
    }

    /// Fetches one full record; `None` when OSV does not know the id.
    pub fn vuln(&self, id: &str) -> Result<Option<String>, String> {
        let url = self.url(&format!("/v1/vulns/{}", urlencode(id)));
        self.request(
            &format!("OSV record {id}"),
            || self.agent.get(&url).call(),
            |b, _| b.read_to_string(),
        )
    }

    /// Downloads a file (the bulk export) into memory, bounded, telling `progress` the bytes
    /// read so far and the total when the server gave one.
    pub fn download(
        &self,
        url: &str,
        progress: &dyn Fn(u64, Option<u64>),
    ) -> Result<Vec<u8>, String> {
        let read = |body: ureq::BodyWithConfig, total: Option<u64>| {
            let mut reader = body.reader();
            let mut out = Vec::with_capacity(total.unwrap_or(0).min(MAX_BODY) as usize);
            let mut chunk = vec![0u8; 64 * 1024];
            loop {
                let n = std::io::Read::read(&mut reader, &mut chunk)?;
                if n == 0 {
                    return Ok(out);
                }
                out.extend_from_slice(&chunk[..n]);
                progress(out.len() as u64, total);
            }
        };
        self.request(url, || self.agent.get(url).call(), read)?
            .ok_or_else(|| format!("{url}: HTTP 404"))
    }
}

/// Percent-encodes everything but unreserved characters (ids are plain, but be safe).
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
