//! The online advisory source against a fake OSV API on 127.0.0.1, started by each test.
//!
//! The fake checks the querybatch body shape, pages results with `next_page_token`, serves
//! records from the fixtures, and can answer 500s, `{}` or too slowly.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use flaskscan::deps::{audit, db_update, AdvisoryMode, Options, Outcome};
use flaskscan::finding::NotificationLevel;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deps")
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    body: String,
}

/// What the handler answers: status, body, and a delay before answering.
type Reply = (u16, Vec<u8>, Duration);

struct FakeOsv {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeOsv {
    fn start(handler: impl Fn(&Seen, usize) -> Reply + Send + 'static) -> Self {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let count = AtomicUsize::new(0);
            // Bounded: the loop ends when the test drops the fake, or after a minute at most.
            for _ in 0..600 {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(Some(mut req)) = server.recv_timeout(Duration::from_millis(100)) else {
                    continue;
                };
                let mut body = String::new();
                let _ = req.as_reader().read_to_string(&mut body);
                let s = Seen {
                    method: req.method().to_string(),
                    path: req.url().to_string(),
                    body,
                };
                seen2.lock().unwrap().push(s.clone());
                let (status, bytes, delay) = handler(&s, count.fetch_add(1, Ordering::SeqCst));
                std::thread::sleep(delay);
                let _ = req.respond(tiny_http::Response::from_data(bytes).with_status_code(status));
            }
        });
        FakeOsv {
            url,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for FakeOsv {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn ok(body: &str) -> Reply {
    (200, body.as_bytes().to_vec(), Duration::ZERO)
}

fn record(id: &str) -> Reply {
    match std::fs::read(fixtures().join("osv").join(format!("{id}.json"))) {
        Ok(bytes) => (200, bytes, Duration::ZERO),
        Err(_) => (
            404,
            b"{\"code\":5,\"message\":\"Bug not found.\"}".to_vec(),
            Duration::ZERO,
        ),
    }
}

/// A realistic OSV: flask 0.12.2 has three advisories over two pages; other queries have none.
fn osv(s: &Seen) -> Reply {
    if s.method == "GET" {
        let id = s
            .path
            .strip_prefix("/v1/vulns/")
            .expect("only /v1/vulns/{id} is fetched");
        return record(id);
    }
    assert_eq!(
        (s.method.as_str(), s.path.as_str()),
        ("POST", "/v1/querybatch")
    );
    let body: serde_json::Value = serde_json::from_str(&s.body).expect("querybatch body is JSON");
    let queries = body["queries"].as_array().expect("{\"queries\": [...]}");
    let results: Vec<serde_json::Value> = queries
        .iter()
        .map(|q| {
            assert_eq!(q["package"]["ecosystem"], "PyPI", "{q}");
            assert!(q["package"]["name"].is_string(), "{q}");
            let keys: Vec<&String> = q.as_object().unwrap().keys().collect();
            assert!(keys.iter().all(|k| ["package", "version", "page_token"].contains(&k.as_str())), "{q}");
            // Like OSV, report each record's own `modified` stamp.
            let v = |id: &str| {
                let text = std::fs::read_to_string(fixtures().join("osv").join(format!("{id}.json"))).unwrap();
                let rec: serde_json::Value = serde_json::from_str(&text).unwrap();
                serde_json::json!({"id": id, "modified": rec["modified"]})
            };
            match (q["package"]["name"].as_str().unwrap(), q["version"].as_str(), q["page_token"].as_str()) {
                ("flask", Some("0.12.2"), None) => serde_json::json!({"vulns": [v("PYSEC-2018-66")], "next_page_token": "page-2"}),
                ("flask", Some("0.12.2"), Some("page-2")) => serde_json::json!({"vulns": [v("PYSEC-2019-179"), v("PYSEC-2023-62"), v("GHSA-m2qf-hxjv-5gpq")]}),
                _ => serde_json::json!({}),
            }
        })
        .collect();
    ok(&serde_json::json!({ "results": results }).to_string())
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("requirements.txt"),
        "flask==0.12.2\nclick>=8\n",
    )
    .unwrap();
    dir
}

fn options(url: &str, mode: AdvisoryMode, cache: Option<&Path>) -> Options {
    Options {
        mode,
        osv_url: url.to_string(),
        cache_dir: cache.map(Path::to_path_buf),
        no_cache: cache.is_none(),
        timeout: Duration::from_millis(500),
        retries: 2,
        backoff: Duration::from_millis(10),
        today: Some("2025-01-01".into()),
        ..Options::default()
    }
}

fn run(dir: &Path, options: &Options) -> Outcome {
    audit(dir, &[PathBuf::from("requirements.txt")], options)
}

fn fs601_ids(o: &Outcome) -> Vec<String> {
    let mut ids: Vec<String> = o
        .findings
        .iter()
        .filter(|f| f.rule.id == "FS601")
        .map(|f| {
            f.message
                .split("vulnerability: ")
                .nth(1)
                .unwrap()
                .split([' ', ';'])
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn online_querybatch_pages_then_fetches_records_and_caches_them() {
    let fake = FakeOsv::start(|s, _| osv(s));
    let dir = project();
    let cache = tempfile::tempdir().unwrap();
    let o = run(
        dir.path(),
        &options(&fake.url, AdvisoryMode::Online, Some(cache.path())),
    );
    assert_eq!(o.source, format!("OSV API ({})", fake.url));
    assert_eq!(
        fs601_ids(&o),
        ["PYSEC-2018-66", "PYSEC-2019-179", "PYSEC-2023-62"]
    );
    assert!(
        o.findings
            .iter()
            .any(|f| f.message.contains("GHSA-m2qf-hxjv-5gpq")),
        "alias merged"
    );
    let seen = fake.seen();
    let batches: Vec<serde_json::Value> = seen
        .iter()
        .filter(|s| s.path == "/v1/querybatch")
        .map(|s| serde_json::from_str(&s.body).unwrap())
        .collect();
    assert_eq!(batches.len(), 2, "first page, then only the paged query");
    let first = batches[0]["queries"].as_array().unwrap();
    assert_eq!(first.len(), 2);
    assert!(first.contains(
        &serde_json::json!({"package": {"name": "flask", "ecosystem": "PyPI"}, "version": "0.12.2"})
    ));
    assert!(
        first.contains(&serde_json::json!({"package": {"name": "click", "ecosystem": "PyPI"}})),
        "ranges ask for every version"
    );
    assert_eq!(
        batches[1]["queries"],
        serde_json::json!([{"package": {"name": "flask", "ecosystem": "PyPI"}, "version": "0.12.2", "page_token": "page-2"}])
    );
    assert_eq!(seen.iter().filter(|s| s.method == "GET").count(), 4);
    drop(fake);

    // A second run within the TTL needs no network at all: answers and records are cached.
    let o2 = run(
        dir.path(),
        &options(
            "http://127.0.0.1:9",
            AdvisoryMode::Online,
            Some(cache.path()),
        ),
    );
    assert_eq!(fs601_ids(&o2), fs601_ids(&o));
    assert!(o2
        .notifications
        .iter()
        .all(|n| n.level != NotificationLevel::Error));
}

#[test]
fn server_errors_are_retried_with_backoff() {
    let fake = FakeOsv::start(|s, n| {
        if n < 2 {
            (500, b"oops".to_vec(), Duration::ZERO)
        } else {
            osv(s)
        }
    });
    let dir = project();
    let o = run(dir.path(), &options(&fake.url, AdvisoryMode::Online, None));
    assert_eq!(fs601_ids(&o).len(), 3);
    let posts = fake.seen().iter().filter(|s| s.method == "POST").count();
    assert_eq!(posts, 4, "two 500s, the retry, then page two");
}

/// D7: `200 {}` (or a result count that doesn't match the queries) is not "no vulnerabilities".
#[test]
fn a_malformed_answer_is_a_failed_audit_not_a_clean_one() {
    for body in ["{}", r#"{"results": []}"#, r#"{"results": [{}]}"#] {
        let fake = FakeOsv::start(move |_, _| ok(body));
        let dir = project();
        let o = run(dir.path(), &options(&fake.url, AdvisoryMode::Online, None));
        assert!(fs601_ids(&o).is_empty());
        let failure = o
            .failure
            .as_deref()
            .unwrap_or_else(|| panic!("{body} passed as clean"));
        assert!(failure.contains("OSV querybatch"), "{failure}");
        assert!(o
            .notifications
            .iter()
            .any(|n| n.level == NotificationLevel::Error && n.message == failure));
        // Unpinned ranges are still reported: they need no advisory data.
        assert_eq!(
            o.findings.iter().filter(|f| f.rule.id == "FS602").count(),
            1
        );
    }
}

#[test]
fn auto_mode_falls_back_to_the_embedded_snapshot_on_timeout() {
    let fake = FakeOsv::start(|_, _| (200, b"{}".to_vec(), Duration::from_millis(1500)));
    let dir = project();
    let mut opts = options(&fake.url, AdvisoryMode::Auto, None);
    opts.retries = 0;
    let started = std::time::Instant::now();
    let o = run(dir.path(), &opts);
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "the timeout bounds the wait"
    );
    assert_eq!(
        o.source,
        "embedded snapshot of 2024-10-10 (OSV API unreachable)"
    );
    let warn = o
        .notifications
        .iter()
        .find(|n| n.message.starts_with("OSV API unreachable"))
        .unwrap();
    assert_eq!(warn.level, NotificationLevel::Warning);
    assert!(warn.message.contains("embedded snapshot of 2024-10-10"));
    assert_eq!(
        fs601_ids(&o),
        ["PYSEC-2018-66", "PYSEC-2019-179", "PYSEC-2023-62"]
    );
}

#[test]
fn online_mode_failure_is_an_error_not_silence() {
    let fake = FakeOsv::start(|_, _| (503, b"down".to_vec(), Duration::ZERO));
    let dir = project();
    let o = run(dir.path(), &options(&fake.url, AdvisoryMode::Online, None));
    assert!(fs601_ids(&o).is_empty());
    let err = o
        .notifications
        .iter()
        .find(|n| n.level == NotificationLevel::Error)
        .unwrap();
    assert!(err.message.contains("HTTP 503"), "{}", err.message);
    assert_eq!(o.failure.as_deref(), Some(err.message.as_str()));
    assert_eq!(fake.seen().len(), 3, "first try plus two retries");
}

fn export_zip() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for entry in std::fs::read_dir(fixtures().join("osv")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&std::fs::read(&path).unwrap()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn db_update_caches_an_export_that_then_serves_offline_runs() {
    let zip = export_zip();
    let fake = FakeOsv::start(move |s, _| match s.path.as_str() {
        "/PyPI/all.zip" => (200, zip.clone(), Duration::ZERO),
        _ => (200, b"not a zip".to_vec(), Duration::ZERO),
    });
    let cache = tempfile::tempdir().unwrap();
    let mut opts = options(&fake.url, AdvisoryMode::Offline, Some(cache.path()));
    opts.export_url = format!("{}/PyPI/all.zip", fake.url);
    let heard = Mutex::new(Vec::new());
    let report = db_update(&opts, &|done, total| {
        heard.lock().unwrap().push((done, total))
    })
    .unwrap();
    // Progress is told as the body arrives, ending at the whole size the server announced.
    let heard = heard.into_inner().unwrap();
    assert_eq!(
        heard.last(),
        Some(&(report.bytes as u64, Some(report.bytes as u64)))
    );
    assert!(heard.windows(2).all(|w| w[0].0 <= w[1].0));
    assert_eq!(
        report.advisories,
        std::fs::read_dir(fixtures().join("osv")).unwrap().count()
    );
    assert!(report.path.starts_with(cache.path()));

    let dir = project();
    let o = run(dir.path(), &opts);
    assert!(
        o.source.starts_with("OSV export downloaded "),
        "{}",
        o.source
    );
    assert_eq!(
        fs601_ids(&o),
        ["PYSEC-2018-66", "PYSEC-2019-179", "PYSEC-2023-62"]
    );

    // A broken download never replaces a working export.
    opts.export_url = format!("{}/broken.zip", fake.url);
    assert!(db_update(&opts, &|_, _| {})
        .unwrap_err()
        .contains("not a zip"));
    assert!(run(dir.path(), &opts)
        .source
        .starts_with("OSV export downloaded "));
}
