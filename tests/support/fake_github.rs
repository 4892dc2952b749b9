//! A fake GitHub REST API on 127.0.0.1 for tests: real HTTP, the operations flaskscan may call
//! (and only those), checked against their documented request shapes, with state (comments,
//! check runs, uploads) and injectable faults.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};
use tiny_http::{Header, Response, Server};

pub const TOKEN: &str = "ghs_faketoken_0123456789abcdef";
pub const OWNER: &str = "octo";
pub const REPO: &str = "shop";
/// `GET /pulls/{n}/files` stops here, whatever the pull request holds.
pub const MAX_LISTED_FILES: usize = 3_000;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path without the API base path or query.
    pub path: String,
    pub query: String,
    pub body: Value,
}

/// A canned failure for matching requests.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: &'static str,
    /// Matches when the path ends with this.
    pub path_suffix: String,
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Value,
    /// Sleep before answering (slow responses).
    pub delay: Duration,
    /// How many requests it applies to; then normal service resumes.
    pub times: usize,
    /// Process the request normally but answer with the fault anyway (a 5xx after the write).
    pub process_anyway: bool,
}

impl Fault {
    pub fn new(method: &'static str, path_suffix: &str, status: u16) -> Self {
        Self {
            method,
            path_suffix: path_suffix.to_string(),
            status,
            headers: vec![],
            body: json!({"message": "fault", "documentation_url": "https://docs.github.com/rest"}),
            delay: Duration::ZERO,
            times: usize::MAX,
            process_anyway: false,
        }
    }
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }
    pub fn message(mut self, m: &str) -> Self {
        self.body = json!({"message": m, "documentation_url": "https://docs.github.com/rest"});
        self
    }
    pub fn header(mut self, k: &'static str, v: &str) -> Self {
        self.headers.push((k, v.to_string()));
        self
    }
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
    pub fn body(mut self, body: Value) -> Self {
        self.body = body;
        self
    }
    pub fn process_anyway(mut self) -> Self {
        self.process_anyway = true;
        self
    }
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub body: String,
    pub user_type: &'static str,
}

#[derive(Debug, Clone, Default)]
pub struct CheckRunState {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    pub external_id: Option<String>,
    pub status: String,
    pub conclusion: Option<String>,
    pub annotations: Vec<Value>,
    pub summary: String,
}

#[derive(Default)]
pub struct State {
    pub requests: Vec<Recorded>,
    /// Contract violations seen; a test asserts this stays empty.
    pub violations: Vec<String>,
    pub comments: BTreeMap<u64, Vec<Comment>>,
    pub check_runs: Vec<CheckRunState>,
    /// Each upload's request body and decoded SARIF.
    pub uploads: Vec<(Value, Value)>,
    pub polls: usize,
    /// `GET /pulls/{n}/files` entries.
    pub pr_files: Vec<Value>,
    /// Review comments by pull request, as `GET /pulls/{n}/comments` lists them.
    pub review_comments: BTreeMap<u64, Vec<Value>>,
    /// Reviews created (`POST /pulls/{n}/reviews` bodies).
    pub reviews: Vec<Value>,
    pub faults: Vec<Fault>,
    pub next_id: u64,
    /// Items per page the server serves (pagination tests).
    pub page_size: usize,
    /// GitHub Enterprise Server: the upload body may not contain `validate`.
    pub ghes: bool,
}

pub struct FakeGitHub {
    pub url: String,
    pub base_path: String,
    pub state: Arc<Mutex<State>>,
    server: Arc<Server>,
    handle: Option<thread::JoinHandle<()>>,
}

impl FakeGitHub {
    /// Starts on 127.0.0.1 with an ephemeral port; `base_path` is `""` or `/api/v3`.
    pub fn start(base_path: &str) -> Self {
        let server = Arc::new(Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let port = server.server_addr().to_ip().unwrap().port();
        let url = format!("http://127.0.0.1:{port}{base_path}");
        let state = Arc::new(Mutex::new(State {
            next_id: 1000,
            page_size: 100,
            ghes: !base_path.is_empty(),
            ..State::default()
        }));
        let handle = {
            let server = Arc::clone(&server);
            let state = Arc::clone(&state);
            let base = base_path.to_string();
            let origin = format!("http://127.0.0.1:{port}");
            thread::spawn(move || {
                for request in server.incoming_requests() {
                    let state = Arc::clone(&state);
                    let base = base.clone();
                    let origin = origin.clone();
                    // One thread per request, so a slow answer doesn't hold up the client's retry.
                    thread::spawn(move || handle(request, &state, &base, &origin));
                }
            })
        };
        Self {
            url,
            base_path: base_path.to_string(),
            state,
            server,
            handle: Some(handle),
        }
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    pub fn fault(&self, fault: Fault) {
        self.with(|s| s.faults.push(fault));
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.with(|s| s.requests.clone())
    }

    pub fn violations(&self) -> Vec<String> {
        self.with(|s| s.violations.clone())
    }

    pub fn comments(&self, pr: u64) -> Vec<Comment> {
        self.with(|s| s.comments.get(&pr).cloned().unwrap_or_default())
    }

    /// Number of requests with this method whose path ends with `suffix`.
    pub fn count(&self, method: &str, suffix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .count()
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn header(request: &tiny_http::Request, name: &str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_string())
}

fn handle(mut request: tiny_http::Request, state: &Mutex<State>, base: &str, origin: &str) {
    let method = request.method().as_str().to_string();
    let full = request.url().to_string();
    let (path, query) = full.split_once('?').unwrap_or((&full, ""));
    let mut raw = String::new();
    let _ = request.as_reader().read_to_string(&mut raw);
    let body: Value = if raw.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&raw).unwrap_or(Value::String(raw.clone()))
    };
    let mut violations = Vec::new();
    let path = match path.strip_prefix(base) {
        Some(p) if !base.is_empty() || p.starts_with('/') => p.to_string(),
        _ => {
            violations.push(format!(
                "{method} {path}: not under the API base path `{base}`"
            ));
            path.to_string()
        }
    };
    // Headers every call must carry.
    match header(&request, "authorization") {
        Some(v) if v == format!("Bearer {TOKEN}") || v == format!("token {TOKEN}") => {}
        other => violations.push(format!("{method} {path}: bad Authorization {other:?}")),
    }
    if header(&request, "x-github-api-version").as_deref() != Some("2022-11-28") {
        violations.push(format!("{method} {path}: missing X-GitHub-Api-Version"));
    }
    if !header(&request, "accept").is_some_and(|a| a.contains("application/vnd.github+json")) {
        violations.push(format!(
            "{method} {path}: missing Accept: application/vnd.github+json"
        ));
    }
    if header(&request, "user-agent").is_none() {
        violations.push(format!("{method} {path}: missing User-Agent"));
    }
    if !body.is_null()
        && !header(&request, "content-type").is_some_and(|c| c.starts_with("application/json"))
    {
        violations.push(format!(
            "{method} {path}: body without Content-Type: application/json"
        ));
    }

    let fault = {
        let mut st = state.lock().unwrap();
        st.requests.push(Recorded {
            method: method.clone(),
            path: path.clone(),
            query: query.to_string(),
            body: body.clone(),
        });
        st.violations.extend(violations);
        let index = st
            .faults
            .iter()
            .position(|f| f.method == method && path.ends_with(&f.path_suffix) && f.times > 0);
        index.map(|i| {
            st.faults[i].times -= 1;
            st.faults[i].clone()
        })
    };
    if let Some(fault) = fault.as_ref().filter(|f| !f.process_anyway) {
        thread::sleep(fault.delay);
        respond(request, fault.status, &fault.body, &fault.headers);
        return;
    }
    // A processed request's fault comes after the work: the write happened, the answer is
    // late or an error.
    let (status, reply, headers) = route(state, &method, &path, query, &body, origin, base);
    match fault {
        Some(fault) => {
            thread::sleep(fault.delay);
            respond(request, fault.status, &fault.body, &fault.headers)
        }
        None => respond(request, status, &reply, &headers),
    }
}

fn respond(
    request: tiny_http::Request,
    status: u16,
    body: &Value,
    headers: &[(&'static str, String)],
) {
    let mut response = Response::from_string(if body.is_null() {
        String::new()
    } else {
        body.to_string()
    })
    .with_status_code(status)
    .with_header(Header::from_bytes("Content-Type", "application/json; charset=utf-8").unwrap());
    for (k, v) in headers {
        response.add_header(Header::from_bytes(k.as_bytes(), v.as_bytes()).unwrap());
    }
    let _ = request.respond(response);
}

type Reply = (u16, Value, Vec<(&'static str, String)>);

fn not_found() -> Reply {
    (
        404,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}),
        vec![],
    )
}

fn route(
    state: &Mutex<State>,
    method: &str,
    path: &str,
    query: &str,
    body: &Value,
    origin: &str,
    base: &str,
) -> Reply {
    let repo = format!("/repos/{OWNER}/{REPO}");
    let Some(rest) = path.strip_prefix(&repo) else {
        state
            .lock()
            .unwrap()
            .violations
            .push(format!("{method} {path}: not an allowed endpoint"));
        return not_found();
    };
    let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    let mut st = state.lock().unwrap();
    match (method, parts.as_slice()) {
        ("POST", ["code-scanning", "sarifs"]) => upload_sarif(&mut st, body, origin, base),
        ("GET", ["code-scanning", "sarifs", id]) => {
            st.polls += 1;
            let status = if st.polls % 2 == 1 {
                "pending"
            } else {
                "complete"
            };
            (
                200,
                json!({"processing_status": status, "analyses_url": null, "errors": null, "id": id}),
                vec![],
            )
        }
        ("POST", ["check-runs"]) => create_check_run(&mut st, body),
        ("PATCH", ["check-runs", id]) => update_check_run(&mut st, id, body),
        ("GET", ["check-runs", id]) => {
            let id: u64 = id.parse().unwrap_or(0);
            match st.check_runs.iter().find(|r| r.id == id) {
                Some(r) => (
                    200,
                    json!({"id": r.id, "name": r.name, "head_sha": r.head_sha, "status": r.status,
                        "conclusion": r.conclusion, "external_id": r.external_id,
                        "output": {"annotations_count": r.annotations.len()}}),
                    vec![],
                ),
                None => not_found(),
            }
        }
        ("GET", ["commits", sha, "check-runs"]) => {
            let name = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("check_name="))
                .map(str::to_string);
            let runs: Vec<Value> = st
                .check_runs
                .iter()
                .filter(|r| r.head_sha == *sha && name.as_ref().is_none_or(|n| *n == r.name))
                .map(|r| {
                    json!({"id": r.id, "name": r.name, "head_sha": r.head_sha,
                    "external_id": r.external_id, "status": r.status, "conclusion": r.conclusion})
                })
                .collect();
            (
                200,
                json!({"total_count": runs.len(), "check_runs": runs}),
                vec![],
            )
        }
        ("GET", ["issues", n, "comments"]) => {
            let n: u64 = n.parse().unwrap_or(0);
            let items: Vec<Value> = st
                .comments
                .get(&n)
                .into_iter()
                .flatten()
                .map(|c| json!({"id": c.id, "body": c.body, "user": {"login": "someone", "type": c.user_type}}))
                .collect();
            paginate(&st, &items, query, &format!("{origin}{base}{path}"))
        }
        ("POST", ["issues", n, "comments"]) => {
            let n: u64 = n.parse().unwrap_or(0);
            match comment_body(&mut st, method, path, body) {
                Err(reply) => reply,
                Ok(text) => {
                    st.next_id += 1;
                    let id = st.next_id;
                    st.comments.entry(n).or_default().push(Comment {
                        id,
                        body: text.clone(),
                        user_type: "Bot",
                    });
                    (
                        201,
                        json!({"id": id, "body": text}),
                        vec![(
                            "Location",
                            format!("{origin}{base}{repo}/issues/comments/{id}"),
                        )],
                    )
                }
            }
        }
        ("PATCH", ["issues", "comments", id]) => {
            let id: u64 = match id.parse() {
                Ok(i) => i,
                Err(_) => {
                    st.violations
                        .push(format!("PATCH {path}: comment_id is not an integer"));
                    return not_found();
                }
            };
            match comment_body(&mut st, method, path, body) {
                Err(reply) => reply,
                Ok(text) => {
                    let found = st.comments.values_mut().flatten().find(|c| c.id == id);
                    match found {
                        Some(c) => {
                            c.body = text.clone();
                            (200, json!({"id": id, "body": text}), vec![])
                        }
                        None => not_found(),
                    }
                }
            }
        }
        ("GET", ["pulls", n, "comments"]) => {
            let n: u64 = n.parse().unwrap_or(0);
            let items = st.review_comments.get(&n).cloned().unwrap_or_default();
            paginate(&st, &items, query, &format!("{origin}{base}{path}"))
        }
        ("POST", ["pulls", n, "reviews"]) => {
            let n: u64 = n.parse().unwrap_or(0);
            create_review(&mut st, n, path, body)
        }
        ("DELETE", ["pulls", "comments", id]) => {
            let id: u64 = id.parse().unwrap_or(0);
            let mut found = false;
            for list in st.review_comments.values_mut() {
                let before = list.len();
                list.retain(|c| c["id"].as_u64() != Some(id));
                found |= list.len() != before;
            }
            if found {
                (204, Value::Null, vec![])
            } else {
                not_found()
            }
        }
        ("GET", ["pulls", _n, "files"]) => {
            // GitHub lists at most 3,000 files of a pull request.
            let listed = &st.pr_files[..st.pr_files.len().min(MAX_LISTED_FILES)];
            paginate(&st, listed, query, &format!("{origin}{base}{path}"))
        }
        _ => {
            st.violations
                .push(format!("{method} {path}: not an allowed endpoint"));
            not_found()
        }
    }
}

fn paginate(st: &State, items: &[Value], query: &str, self_url: &str) -> Reply {
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let per_page = param("per_page").unwrap_or(30).min(100).min(st.page_size);
    let page = param("page").unwrap_or(1).max(1);
    let start = (page - 1) * per_page;
    let slice: Vec<Value> = items.iter().skip(start).take(per_page).cloned().collect();
    let mut headers = vec![];
    if start + per_page < items.len() {
        headers.push((
            "Link",
            format!(
                "<{self_url}?per_page={per_page}&page={}>; rel=\"next\"",
                page + 1
            ),
        ));
    }
    (200, Value::Array(slice), headers)
}

fn comment_body(st: &mut State, method: &str, path: &str, body: &Value) -> Result<String, Reply> {
    let obj = body.as_object();
    let Some(text) = obj.and_then(|o| o.get("body")).and_then(Value::as_str) else {
        st.violations
            .push(format!("{method} {path}: body.body is required"));
        return Err((422, json!({"message": "Invalid request"}), vec![]));
    };
    if text.chars().count() > 65_536 {
        st.violations
            .push(format!("{method} {path}: comment over 65536 characters"));
        return Err((
            422,
            json!({"message": "Validation Failed", "errors": [{"resource": "IssueComment", "code": "custom", "field": "body", "message": "Body is too long (maximum is 65536 characters)"}]}),
            vec![],
        ));
    }
    Ok(text.to_string())
}

fn upload_sarif(st: &mut State, body: &Value, origin: &str, base: &str) -> Reply {
    let mut bad = Vec::new();
    let allowed = [
        "commit_sha",
        "ref",
        "sarif",
        "checkout_uri",
        "started_at",
        "tool_name",
        "validate",
    ];
    let obj = body.as_object().cloned().unwrap_or_default();
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) || (st.ghes && key == "validate") {
            bad.push(format!(
                "upload: unexpected property `{key}` (additionalProperties: false)"
            ));
        }
    }
    let sha = obj.get("commit_sha").and_then(Value::as_str).unwrap_or("");
    if !((sha.len() == 40 || sha.len() == 64) && sha.bytes().all(|b| b.is_ascii_hexdigit())) {
        bad.push(format!(
            "upload: commit_sha `{sha}` does not match the pattern"
        ));
    }
    let git_ref = obj.get("ref").and_then(Value::as_str).unwrap_or("");
    if !["refs/heads/", "refs/tags/", "refs/pull/"]
        .iter()
        .any(|p| git_ref.starts_with(p))
    {
        bad.push(format!(
            "upload: ref `{git_ref}` does not match ^refs/(heads|tags|pull)/.*$"
        ));
    }
    if let Some(uri) = obj.get("checkout_uri").and_then(Value::as_str) {
        if !uri.starts_with("file://") {
            bad.push("upload: checkout_uri is not a file URI".into());
        }
    }
    if let Some(t) = obj.get("started_at").and_then(Value::as_str) {
        if chrono::DateTime::parse_from_rfc3339(t).is_err() {
            bad.push(format!("upload: started_at `{t}` is not date-time"));
        }
    }
    let decoded = obj
        .get("sarif")
        .and_then(Value::as_str)
        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        .and_then(|gz| {
            let mut text = String::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_string(&mut text)
                .ok()?;
            serde_json::from_str::<Value>(&text).ok()
        });
    let Some(sarif) = decoded else {
        bad.push("upload: sarif is not base64(gzip(JSON))".into());
        st.violations.extend(bad);
        return (400, json!({"message": "Bad Request"}), vec![]);
    };
    bad.extend(check_uploaded_sarif(&sarif));
    st.violations.extend(bad);
    st.uploads.push((body.clone(), sarif));
    st.polls = 0;
    let id = format!("47177e22-5596-11eb-80a1-c1e54ef945c{}", st.uploads.len());
    (
        202,
        json!({"id": id, "url": format!("{origin}{base}/repos/{OWNER}/{REPO}/code-scanning/sarifs/{id}")}),
        vec![],
    )
}

/// GitHub's extra rules for uploaded SARIF.
fn check_uploaded_sarif(log: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    if log["version"] != "2.1.0" {
        bad.push("sarif: version is not 2.1.0".into());
    }
    let runs = log["runs"].as_array().cloned().unwrap_or_default();
    if runs.len() > 20 {
        bad.push("sarif: more than 20 runs".into());
    }
    let mut keys = std::collections::HashSet::new();
    for run in &runs {
        let tool = run
            .pointer("/tool/driver/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let id = run
            .pointer("/automationDetails/id")
            .and_then(Value::as_str)
            .unwrap_or("");
        let category = id.rfind('/').map_or("", |i| &id[..i]);
        if !keys.insert((tool.to_string(), category.to_string())) {
            bad.push(format!(
                "sarif: two runs of {tool} with category `{category}`"
            ));
        }
        for result in run["results"].as_array().into_iter().flatten() {
            if result
                .get("suppressions")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty())
            {
                bad.push("sarif: a suppressed result was uploaded".into());
            }
            if result
                .pointer("/locations/0/physicalLocation/region/startLine")
                .is_none()
            {
                bad.push("sarif: a result without locations[0]...startLine".into());
            }
            if result
                .pointer("/message/text")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                bad.push("sarif: a result without message.text".into());
            }
        }
        for rule in run
            .pointer("/tool/driver/rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(s) = rule.pointer("/properties/security-severity") {
                if s.as_str().and_then(|s| s.parse::<f64>().ok()).is_none() {
                    bad.push("sarif: security-severity is not a numeric string".into());
                }
            }
        }
    }
    bad
}

fn create_check_run(st: &mut State, body: &Value) -> Reply {
    for key in ["name", "head_sha"] {
        if body.get(key).and_then(Value::as_str).is_none() {
            st.violations
                .push(format!("POST check-runs: `{key}` is required"));
        }
    }
    check_output(st, body);
    st.next_id += 1;
    let run = CheckRunState {
        id: st.next_id,
        name: body["name"].as_str().unwrap_or("").into(),
        head_sha: body["head_sha"].as_str().unwrap_or("").into(),
        external_id: body["external_id"].as_str().map(str::to_string),
        status: body["status"].as_str().unwrap_or("queued").into(),
        conclusion: body["conclusion"].as_str().map(str::to_string),
        annotations: body
            .pointer("/output/annotations")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        summary: String::new(),
    };
    let id = run.id;
    st.check_runs.push(run);
    (
        201,
        json!({"id": id, "head_sha": body["head_sha"], "status": body["status"], "name": body["name"]}),
        vec![],
    )
}

fn update_check_run(st: &mut State, id: &str, body: &Value) -> Reply {
    let Ok(id) = id.parse::<u64>() else {
        st.violations
            .push("PATCH check-runs: check_run_id is not an integer".into());
        return not_found();
    };
    if body.get("head_sha").is_some() {
        st.violations
            .push("PATCH check-runs: head_sha is not allowed".into());
    }
    if body["status"] == "completed" && body.get("conclusion").is_none() {
        st.violations
            .push("PATCH check-runs: completed without conclusion".into());
    }
    check_output(st, body);
    let Some(run) = st.check_runs.iter_mut().find(|r| r.id == id) else {
        return not_found();
    };
    if let Some(s) = body["status"].as_str() {
        run.status = s.into();
    }
    if let Some(c) = body["conclusion"].as_str() {
        run.conclusion = Some(c.into());
        run.status = "completed".into();
    }
    if let Some(a) = body
        .pointer("/output/annotations")
        .and_then(Value::as_array)
    {
        run.annotations.extend(a.iter().cloned());
    }
    if let Some(s) = body.pointer("/output/summary").and_then(Value::as_str) {
        run.summary = s.into();
    }
    (
        200,
        json!({"id": id, "status": run.status, "conclusion": run.conclusion}),
        vec![],
    )
}

fn check_output(st: &mut State, body: &Value) {
    let Some(output) = body.get("output") else {
        return;
    };
    for key in ["title", "summary"] {
        if output.get(key).and_then(Value::as_str).is_none() {
            st.violations
                .push(format!("check run output.{key} is required"));
        }
    }
    if output["summary"]
        .as_str()
        .is_some_and(|s| s.chars().count() > 65_535)
    {
        st.violations
            .push("check run output.summary over 65535".into());
    }
    let annotations = output
        .get("annotations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if annotations.len() > 50 {
        st.violations.push(format!(
            "check run: {} annotations in one request",
            annotations.len()
        ));
    }
    for a in annotations {
        for key in [
            "path",
            "start_line",
            "end_line",
            "annotation_level",
            "message",
        ] {
            if a.get(key).is_none() {
                st.violations.push(format!("annotation without {key}"));
            }
        }
        if !["notice", "warning", "failure"].contains(&a["annotation_level"].as_str().unwrap_or(""))
        {
            st.violations
                .push(format!("annotation level {}", a["annotation_level"]));
        }
        if a.get("start_column").is_some() && a["start_line"] != a["end_line"] {
            st.violations
                .push("annotation columns on a multi-line annotation".into());
        }
        if a["path"].as_str().is_some_and(|p| p.starts_with('/')) {
            st.violations.push("annotation path is absolute".into());
        }
    }
}

/// `POST /pulls/{n}/reviews`: checks the documented shape and GitHub's rules for review comments
/// (a line inside the diff of a listed file, `start_line` before `line`), then stores each comment
/// so `GET /pulls/{n}/comments` lists it.
fn create_review(st: &mut State, number: u64, path: &str, body: &Value) -> Reply {
    let mut problems = Vec::new();
    let commit = body["commit_id"].as_str().unwrap_or("");
    if commit.len() != 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        problems.push("commit_id must be a 40-hex commit".to_string());
    }
    if body["event"] != "COMMENT" {
        problems.push(format!(
            "event {:?}: a bot review must be COMMENT",
            body["event"]
        ));
    }
    if body["body"].as_str().is_none_or(str::is_empty) {
        problems.push("body is required with event COMMENT".to_string());
    }
    let comments = body["comments"].as_array().cloned().unwrap_or_default();
    if comments.is_empty() {
        problems.push("a review without comments".to_string());
    }
    for c in &comments {
        let file = c["path"].as_str().unwrap_or("");
        let line = c["line"].as_u64().unwrap_or(0);
        let start = c["start_line"].as_u64().unwrap_or(line);
        if c["body"].as_str().is_none() || file.is_empty() || line == 0 {
            problems.push(format!("comment {c}: path, body and line are required"));
            continue;
        }
        if c.get("position").is_some() {
            problems.push("`position` is deprecated: use line and side".to_string());
        }
        if c["side"] != "RIGHT" || (c.get("start_line").is_some() && c["start_side"] != "RIGHT") {
            problems.push(format!("comment on {file}:{line}: side must be RIGHT"));
        }
        if start > line || (c.get("start_line").is_some() && start == line) {
            problems.push(format!(
                "comment on {file}:{line}: start_line must precede line"
            ));
        }
        let added = st
            .pr_files
            .iter()
            .find(|f| f["filename"] == file)
            .and_then(|f| f["patch"].as_str())
            .map(patch_added_lines)
            .unwrap_or_default();
        if !(start..=line).all(|l| added.contains(&l)) {
            problems.push(format!(
                "comment on {file}:{start}-{line}: Pull request review thread line must be part of the diff"
            ));
        }
        let text = c["body"].as_str().unwrap_or("");
        if !text.contains("```suggestion\n") {
            problems.push(format!("comment on {file}:{line}: no suggestion block"));
        }
    }
    if !problems.is_empty() {
        st.violations
            .extend(problems.iter().map(|p| format!("POST {path}: {p}")));
        return (
            422,
            json!({"message": "Unprocessable Entity", "errors": problems}),
            vec![],
        );
    }
    st.reviews.push(body.clone());
    st.next_id += 1;
    let review_id = st.next_id;
    for c in comments {
        st.next_id += 1;
        let mut stored = json!({
            "id": st.next_id,
            "pull_request_review_id": review_id,
            "path": c["path"],
            "line": c["line"],
            "side": "RIGHT",
            "body": c["body"],
            "commit_id": commit,
            "user": {"login": "github-actions[bot]", "type": "Bot"},
        });
        if let Some(s) = c.get("start_line") {
            stored["start_line"] = s.clone();
        }
        st.review_comments.entry(number).or_default().push(stored);
    }
    (
        200,
        json!({"id": review_id, "state": "COMMENTED", "commit_id": commit}),
        vec![],
    )
}

/// New-file numbers of the `+` lines of a patch (the fake's own reading of the format).
fn patch_added_lines(patch: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut next = 0u64;
    for line in patch.lines() {
        if let Some(rest) = line.strip_prefix("@@ ") {
            next = rest
                .split_whitespace()
                .find_map(|p| p.strip_prefix('+'))
                .and_then(|p| p.split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        } else if line.starts_with('+') {
            out.push(next);
            next += 1;
        } else if !line.starts_with('-') && !line.starts_with('\\') {
            next += 1;
        }
    }
    out
}
