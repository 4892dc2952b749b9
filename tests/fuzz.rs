//! Fuzzing every front end that reads untrusted bytes, on stable Rust (issue 10: "so the next
//! ones are found by machines").
//!
//! A hand-rolled mutation loop (bit flips, splices, line and word swaps, interesting tokens,
//! huge numbers, deep nesting, bad UTF-8...) seeded from the repository's fixtures and
//! `tests/fuzz/corpus/<target>/`. Inputs whose behaviour is new (the rules that fire and the
//! notifications, digits stripped) join the pool that later inputs are mutated from.
//!
//! Each input runs in its own thread (8 MiB of stack, like the binary's main thread) and must:
//! not panic (a panic the scan caught and turned into an "internal error" notification counts),
//! finish within a deadline that grows with its size, keep the peak memory bounded, and, for the
//! scan and audit targets, leave the findings of the untouched file of the temporary project
//! reported. A failing input is saved to `tests/fuzz/crashes/<target>/`.
//!
//! `cargo test --test fuzz` runs the regression tests and a short smoke run of every target;
//! `scripts/fuzz.sh [seconds-per-target] [target...]` runs the real thing:
//! `FUZZ_SECONDS=300 FUZZ_TARGET=python cargo test --release --test fuzz -- --ignored`.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

use flaskscan::deps::{AdvisoryMode, Options as DepsOptions};
use flaskscan::github::context::{pull_request_from, ActionEnv, RunContext};
use flaskscan::github::merge;
use flaskscan::scan::{self, ScanOptions};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

/// What one execution observed: a summary of the behaviour, for the pool's novelty test.
type Signature = u64;

/// One front end: where its seeds are, the tokens worth inserting, how to run one input.
struct Target {
    name: &'static str,
    /// The name the input is written under (and the extension of saved inputs).
    file: &'static str,
    /// Seed files: fixture paths (relative to the crate) whose names end with one of these.
    seed_suffixes: &'static [&'static str],
    seed_dirs: &'static [&'static str],
    dict: &'static [&'static str],
    max_len: usize,
    /// Runs one input; `Err` is a broken property.
    exec: fn(&[u8]) -> Result<Signature, String>,
}

const TARGETS: &[Target] = &[
    Target {
        name: "python",
        file: "fuzzed.py",
        seed_suffixes: &[".py"],
        seed_dirs: &["tests/fixtures", "examples"],
        dict: PYTHON_DICT,
        max_len: 64 * 1024,
        exec: exec_python,
    },
    Target {
        name: "template",
        file: "x.html",
        seed_suffixes: &[".html"],
        seed_dirs: &["tests/fixtures", "examples"],
        dict: TEMPLATE_DICT,
        max_len: 64 * 1024,
        exec: exec_template,
    },
    Target {
        name: "requirements",
        file: "requirements.txt",
        seed_suffixes: &[".txt"],
        seed_dirs: &["tests/fixtures/deps", "examples"],
        dict: REQUIREMENTS_DICT,
        max_len: 32 * 1024,
        exec: exec_requirements,
    },
    Target {
        name: "pyproject",
        file: "pyproject.toml",
        seed_suffixes: &["pyproject.toml"],
        seed_dirs: &["tests/fixtures/deps"],
        dict: TOML_DICT,
        max_len: 32 * 1024,
        exec: exec_pyproject,
    },
    Target {
        name: "setup-cfg",
        file: "setup.cfg",
        seed_suffixes: &["setup.cfg"],
        seed_dirs: &["tests/fixtures/deps"],
        dict: SETUP_CFG_DICT,
        max_len: 32 * 1024,
        exec: exec_setup_cfg,
    },
    Target {
        name: "poetry-lock",
        file: "poetry.lock",
        seed_suffixes: &["poetry.lock"],
        seed_dirs: &["tests/fixtures/deps"],
        dict: TOML_DICT,
        max_len: 32 * 1024,
        exec: exec_poetry_lock,
    },
    Target {
        name: "uv-lock",
        file: "uv.lock",
        seed_suffixes: &["uv.lock"],
        seed_dirs: &["tests/fixtures/deps"],
        dict: TOML_DICT,
        max_len: 32 * 1024,
        exec: exec_uv_lock,
    },
    Target {
        name: "pipfile-lock",
        file: "Pipfile.lock",
        seed_suffixes: &["Pipfile.lock"],
        seed_dirs: &["tests/fixtures/deps"],
        dict: JSON_DICT,
        max_len: 32 * 1024,
        exec: exec_pipfile_lock,
    },
    Target {
        name: "pylock",
        file: "pylock.toml",
        seed_suffixes: &["pylock.toml"],
        seed_dirs: &["tests/fixtures/deps"],
        dict: TOML_DICT,
        max_len: 32 * 1024,
        exec: exec_pylock,
    },
    Target {
        name: "pdm-lock",
        file: "pdm.lock",
        seed_suffixes: &["pdm.lock"],
        seed_dirs: &["tests/fixtures/deps"],
        dict: TOML_DICT,
        max_len: 32 * 1024,
        exec: exec_pdm_lock,
    },
    Target {
        name: "sarif",
        file: "input.sarif",
        seed_suffixes: &[".sarif"],
        seed_dirs: &[],
        dict: SARIF_DICT,
        max_len: 64 * 1024,
        exec: exec_sarif,
    },
    Target {
        name: "osv",
        file: "record.json",
        seed_suffixes: &[".json"],
        seed_dirs: &["tests/fixtures/deps/osv"],
        dict: OSV_DICT,
        max_len: 32 * 1024,
        exec: exec_osv,
    },
    Target {
        name: "config",
        file: "flaskscan.toml",
        seed_suffixes: &["pyproject.toml"],
        seed_dirs: &["tests/fixtures/deps"],
        dict: CONFIG_DICT,
        max_len: 32 * 1024,
        exec: exec_config,
    },
    Target {
        name: "envfile",
        file: ".flaskenv",
        seed_suffixes: &[".flaskenv"],
        seed_dirs: &["examples"],
        dict: ENV_DICT,
        max_len: 32 * 1024,
        exec: exec_envfile,
    },
    Target {
        name: "event",
        file: "event.json",
        seed_suffixes: &[".json"],
        seed_dirs: &["tests/fixtures/github/events"],
        dict: EVENT_DICT,
        max_len: 32 * 1024,
        exec: exec_event,
    },
];

fn target(name: &str) -> &'static Target {
    TARGETS
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no fuzz target `{name}`"))
}

// ---------------------------------------------------------------------------------------------
// The temporary projects and the properties of each target
// ---------------------------------------------------------------------------------------------

/// The untouched application next to a fuzzed Python module: it imports the module (so the
/// project index and taint summaries read it) and its own findings must survive any content.
const APP_WITH_MODULE: &str = r#"from flask import Flask, request
import fuzzed

app = Flask(__name__)


@app.route("/run")
def run_code():
    fuzzed.helper(request.args["h"])
    return eval(request.args["code"])


app.run(debug=True)
"#;

/// The untouched application of the template target: one view renders the fuzzed template
/// with request data, another renders the untouched template.
const APP_WITH_TEMPLATES: &str = r#"from flask import Flask, render_template, request

app = Flask(__name__)


@app.route("/x", methods=["GET", "POST"])
def x():
    return render_template("x.html", name=request.args["n"], items=[request.form["i"]])


@app.route("/other")
def other():
    return render_template("other.html", v=request.args["v"])


app.run(debug=True)
"#;

const OTHER_TEMPLATE: &str = r#"<!doctype html>
<script src="https://cdn.jsdelivr.net/npm/lib@1/lib.js"></script>
{% autoescape false %}<p>{{ v }}</p>{% endautoescape %}
"#;

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

fn scan_options(dir: &Path, deps: bool) -> ScanOptions {
    ScanOptions {
        paths: vec![dir.to_path_buf()],
        root: Some(dir.to_path_buf()),
        select: vec!["ALL".into()],
        threads: Some(1),
        deps: deps.then(deps_options),
        ..ScanOptions::default()
    }
}

/// Notifications of a panic the scan caught: the fuzzer's business, even if the scan survived.
fn internal_errors(notes: &[flaskscan::finding::Notification]) -> Result<(), String> {
    match notes.iter().find(|n| n.message.contains("internal error")) {
        Some(n) => Err(format!(
            "notification: {:?} {}",
            n.path.as_deref().unwrap_or("-"),
            n.message
        )),
        None => Ok(()),
    }
}

/// Hashes the behaviour on the fuzzed file: rule ids and notification texts without digits.
fn signature<'a>(
    rules: impl Iterator<Item = &'a str>,
    notes: impl Iterator<Item = &'a str>,
) -> Signature {
    let mut rules: Vec<&str> = rules.collect();
    rules.sort_unstable();
    rules.dedup();
    // Quoted input (between backticks) and numbers are the input's, not its behaviour.
    let mut notes: Vec<String> = notes
        .map(|m| {
            m.split('`')
                .step_by(2)
                .flat_map(str::chars)
                .filter(|c| !c.is_ascii_digit())
                .take(64)
                .collect::<String>()
        })
        .collect();
    notes.sort_unstable();
    notes.dedup();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    rules.hash(&mut h);
    notes.hash(&mut h);
    h.finish()
}

fn require(report: &scan::ScanReport, path: &str, rule: &str) -> Result<(), String> {
    if report
        .findings
        .iter()
        .any(|f| f.location.path == path && f.rule.id == rule)
    {
        Ok(())
    } else {
        Err(format!(
            "the untouched file's {rule} in {path} is no longer reported"
        ))
    }
}

fn file_signature(report: &scan::ScanReport, path: &str) -> Signature {
    signature(
        report
            .findings
            .iter()
            .filter(|f| f.location.path == path)
            .map(|f| f.rule.id),
        report
            .notifications
            .iter()
            .filter(|n| n.path.as_deref() == Some(path))
            .map(|n| n.message.as_str()),
    )
}

/// Inputs of the scan targets the scan analysed (no "not analysed" notification), to tell how
/// deep the mutants get.
static ANALYSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn count_analysed(report: &scan::ScanReport, path: &str) {
    if !report
        .notifications
        .iter()
        .any(|n| n.path.as_deref() == Some(path) && n.message.contains("not analysed"))
    {
        ANALYSED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Python source through the whole scan, next to an untouched app that imports it.
fn exec_python(input: &[u8]) -> Result<Signature, String> {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.py", APP_WITH_MODULE.as_bytes());
    write(dir.path(), "fuzzed.py", input);
    let report = scan::run(&scan_options(dir.path(), false)).map_err(|e| e.to_string())?;
    internal_errors(&report.notifications)?;
    require(&report, "app.py", "FS101")?;
    require(&report, "app.py", "FS204")?;
    count_analysed(&report, "fuzzed.py");
    Ok(file_signature(&report, "fuzzed.py"))
}

/// A Jinja template through the whole scan, rendered by a view of an untouched app, next to an
/// untouched template.
fn exec_template(input: &[u8]) -> Result<Signature, String> {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.py", APP_WITH_TEMPLATES.as_bytes());
    write(
        dir.path(),
        "templates/other.html",
        OTHER_TEMPLATE.as_bytes(),
    );
    write(dir.path(), "templates/x.html", input);
    let report = scan::run(&scan_options(dir.path(), false)).map_err(|e| e.to_string())?;
    internal_errors(&report.notifications)?;
    require(&report, "app.py", "FS101")?;
    require(&report, "templates/other.html", "FS304")?;
    require(&report, "templates/other.html", "FS306")?;
    count_analysed(&report, "templates/x.html");
    Ok(file_signature(&report, "templates/x.html"))
}

/// The package of the untouched manifest, known only to the canary advisory: no seed or token
/// names it, so a fuzzed manifest cannot take its finding over.
const CANARY_PACKAGE: &str = "fuzzcanary-pkg";
const CANARY_ID: &str = "FUZZ-CANARY-0001";
const UNTOUCHED_MANIFEST: &str = "untouched/requirements.txt";

fn canary_record() -> String {
    format!(
        r#"{{"id": "{CANARY_ID}", "modified": "2024-01-01T00:00:00Z",
  "affected": [{{"package": {{"ecosystem": "PyPI", "name": "{CANARY_PACKAGE}"}},
    "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "0"}}, {{"fixed": "2.0"}}]}}]}}]}}"#
    )
}

/// A tiny advisory database: the OSV fixtures plus the canary record, made once per process.
fn advisory_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let osv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deps/osv");
        for e in std::fs::read_dir(osv).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
        }
        std::fs::write(dir.join("canary.json"), canary_record()).unwrap();
        dir
    })
}

fn deps_options() -> DepsOptions {
    DepsOptions {
        mode: AdvisoryMode::Offline,
        advisory_db: Some(advisory_dir().to_path_buf()),
        no_cache: true,
        today: Some("2025-01-01".into()),
        osv_url: "http://127.0.0.1:9".into(),
        ..DepsOptions::default()
    }
}

/// One manifest through the dependency audit, next to an untouched one.
fn exec_manifest(name: &str, input: &[u8], options: &DepsOptions) -> Result<Signature, String> {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), name, input);
    write(
        dir.path(),
        UNTOUCHED_MANIFEST,
        format!("{CANARY_PACKAGE}==1.0\n").as_bytes(),
    );
    let manifests = [PathBuf::from(name), PathBuf::from(UNTOUCHED_MANIFEST)];
    let outcome = flaskscan::deps::audit(dir.path(), &manifests, options);
    internal_errors(&outcome.notifications)?;
    if let Some(why) = &outcome.failure {
        return Err(format!("the audit failed: {why}"));
    }
    if !outcome.findings.iter().any(|f| {
        f.rule.id == "FS601"
            && f.location.path == UNTOUCHED_MANIFEST
            && f.message.contains(CANARY_ID)
    }) {
        return Err(format!(
            "the untouched manifest's FS601 ({CANARY_ID}) is no longer reported"
        ));
    }
    Ok(signature(
        outcome
            .findings
            .iter()
            .filter(|f| f.location.path == name)
            .map(|f| f.rule.id),
        outcome
            .notifications
            .iter()
            .filter(|n| n.path.as_deref() == Some(name))
            .map(|n| n.message.as_str()),
    ))
}

fn exec_requirements(input: &[u8]) -> Result<Signature, String> {
    exec_manifest("requirements.txt", input, &deps_options())
}
fn exec_pyproject(input: &[u8]) -> Result<Signature, String> {
    exec_manifest("pyproject.toml", input, &deps_options())
}
fn exec_setup_cfg(input: &[u8]) -> Result<Signature, String> {
    exec_manifest("setup.cfg", input, &deps_options())
}
fn exec_poetry_lock(input: &[u8]) -> Result<Signature, String> {
    exec_manifest("poetry.lock", input, &deps_options())
}
fn exec_uv_lock(input: &[u8]) -> Result<Signature, String> {
    exec_manifest("uv.lock", input, &deps_options())
}
fn exec_pipfile_lock(input: &[u8]) -> Result<Signature, String> {
    exec_manifest("Pipfile.lock", input, &deps_options())
}
fn exec_pylock(input: &[u8]) -> Result<Signature, String> {
    exec_manifest("pylock.toml", input, &deps_options())
}
fn exec_pdm_lock(input: &[u8]) -> Result<Signature, String> {
    exec_manifest("pdm.lock", input, &deps_options())
}

/// The log merged with the fuzzed one: its results must come out of the merge.
const UNTOUCHED_SARIF: &str = r#"{"version": "2.1.0", "runs": [{
  "tool": {"driver": {"name": "flaskscan", "rules": [{"id": "FUZZCANARY"}]}},
  "automationDetails": {"id": "flaskscan/code/"},
  "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///w/"}},
  "results": [{"ruleId": "FUZZCANARY", "message": {"text": "canary"},
    "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app.py", "uriBaseId": "%SRCROOT%"}}}]}]}]}"#;

/// SARIF through `merge` (file reading, checks, merge, then the Action's rebase and category).
fn exec_sarif(input: &[u8]) -> Result<Signature, String> {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "fuzzed.sarif", input);
    write(dir.path(), "untouched.sarif", UNTOUCHED_SARIF.as_bytes());
    let out = dir.path().join("merged.sarif");
    let inputs = [
        dir.path().join("untouched.sarif"),
        dir.path().join("fuzzed.sarif"),
    ];
    if let Err(e) = merge::merge_sarif_files(&inputs, &out) {
        // Refused input: the error must name the file and stay short.
        let msg = format!("{e:#}");
        if !msg.contains("fuzzed.sarif") {
            return Err(format!("a merge error does not name the file: {msg}"));
        }
        return Ok(signature(
            std::iter::empty(),
            std::iter::once(msg.split(':').nth(1).unwrap_or("")),
        ));
    }
    let text = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
    let mut log: Value = serde_json::from_str(&text).map_err(|e| format!("output: {e}"))?;
    merge::check_sarif(&log).map_err(|e| format!("merged output is not SARIF: {e:#}"))?;
    let runs = log["runs"].as_array().cloned().unwrap_or_default();
    let mut categories = HashSet::new();
    let mut canary = false;
    for run in &runs {
        let tool = run
            .pointer("/tool/driver/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let Some(id) = run.pointer("/automationDetails/id").and_then(Value::as_str) else {
            return Err("a merged run has no automationDetails.id".into());
        };
        if !categories.insert((tool.to_string(), merge::category_of(id).to_string())) {
            return Err(format!("two `{tool}` runs share the category of `{id}`"));
        }
        canary |= run["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["ruleId"] == "FUZZCANARY"));
    }
    if !canary {
        return Err("the untouched log's result was lost".into());
    }
    merge::rebase_uris(&mut log, "sub/dir", "file:///repo/");
    merge::set_category(&mut log, "cat");
    serde_json::to_string(&log).map_err(|e| e.to_string())?;
    // The shape of the merged runs: how many, and how each one's category came out.
    let shapes: Vec<String> = runs
        .iter()
        .take(8)
        .map(|r| {
            let id = r
                .pointer("/automationDetails/id")
                .and_then(Value::as_str)
                .unwrap_or("");
            let details = r["automationDetails"].as_object().map_or(0, |o| o.len());
            format!(
                "{} {} {} {details}",
                id.ends_with('/'),
                id.contains('-'),
                r["results"].as_array().map_or(0, |r| r.len().min(3)),
            )
        })
        .collect();
    Ok(signature(
        std::iter::once(if runs.len() > 8 { "many" } else { "few" }),
        shapes.iter().map(String::as_str),
    ))
}

/// Pins and ranges of packages the OSV fixtures know, judged against the fuzzed record.
const OSV_REQUIREMENTS: &str = "flask==0.12.2\njinja2==2.10\nwerkzeug>=0.15,<3\nrequests==2.19.1\n\
pyyaml~=5.1\nurllib3==1.24\ncryptography>=2.0\naiohttp==3.8.0\ndjango\npillow==9.0.0\n";

/// An OSV record through the advisory loader (a local export holding it) and the audit.
fn exec_osv(input: &[u8]) -> Result<Signature, String> {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "db/record.json", input);
    write(dir.path(), "db/canary.json", canary_record().as_bytes());
    write(
        dir.path(),
        "project/requirements.txt",
        OSV_REQUIREMENTS.as_bytes(),
    );
    write(
        dir.path(),
        &format!("project/{UNTOUCHED_MANIFEST}"),
        format!("{CANARY_PACKAGE}==1.0\n").as_bytes(),
    );
    let options = DepsOptions {
        advisory_db: Some(dir.path().join("db")),
        ..deps_options()
    };
    let manifests = [
        PathBuf::from("requirements.txt"),
        PathBuf::from(UNTOUCHED_MANIFEST),
    ];
    let outcome = flaskscan::deps::audit(&dir.path().join("project"), &manifests, &options);
    internal_errors(&outcome.notifications)?;
    if let Some(why) = &outcome.failure {
        return Err(format!("the audit failed: {why}"));
    }
    if !outcome
        .findings
        .iter()
        .any(|f| f.rule.id == "FS601" && f.message.contains(CANARY_ID))
    {
        return Err(format!(
            "the canary advisory {CANARY_ID} is no longer reported"
        ));
    }
    let severities: Vec<String> = outcome
        .findings
        .iter()
        .map(|f| format!("{} {:?} {}", f.location.start.line, f.severity, f.rule.id))
        .collect();
    Ok(signature(
        severities.iter().map(String::as_str),
        outcome.notifications.iter().map(|n| n.message.as_str()),
    ))
}

/// The configuration a pull request can change: `flaskscan.toml` and `[tool.flaskscan]`.
fn exec_config(input: &[u8]) -> Result<Signature, String> {
    let dir = tempfile::tempdir().unwrap();
    let mut outcomes = Vec::new();
    for name in ["flaskscan.toml", "pyproject.toml"] {
        // Given with --config, and found by walking up from the scanned folder.
        let folder = dir.path().join(name.replace('.', "-"));
        write(&folder, name, input);
        let results = [
            flaskscan::config::load(&folder.join(name)),
            flaskscan::config::find(&folder),
        ];
        for result in results {
            match result {
                Ok(c) => outcomes.push(format!("ok {} {}", c.source.is_some(), c.warnings.len())),
                Err(e) => {
                    // Errors never quote the file beyond a short excerpt.
                    let msg = e.to_string();
                    let own = msg.replace(&folder.display().to_string(), "");
                    if own.len() > 1000 || own.contains('\n') {
                        return Err(format!("a config error of {} bytes: {own:.300}", own.len()));
                    }
                    outcomes.push(own.split(':').nth(1).unwrap_or("").to_string());
                }
            }
        }
    }
    Ok(signature(
        std::iter::empty(),
        outcomes.iter().map(String::as_str),
    ))
}

/// A `.flaskenv` through the whole scan, next to an untouched app.
fn exec_envfile(input: &[u8]) -> Result<Signature, String> {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.py", APP_WITH_MODULE.as_bytes());
    write(dir.path(), "fuzzed.py", b"def helper(x):\n    return x\n");
    write(dir.path(), ".flaskenv", input);
    let report = scan::run(&scan_options(dir.path(), false)).map_err(|e| e.to_string())?;
    internal_errors(&report.notifications)?;
    require(&report, "app.py", "FS101")?;
    require(&report, "app.py", "FS204")?;
    Ok(file_signature(&report, ".flaskenv"))
}

const EVENT_NAMES: &[&str] = &[
    "pull_request",
    "pull_request_target",
    "pull_request_review",
    "push",
    "workflow_dispatch",
];

/// The GitHub event payload through the Action's context.
fn exec_event(input: &[u8]) -> Result<Signature, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("event.json");
    std::fs::write(&path, input).unwrap();
    let mut outcomes = Vec::new();
    for event in EVENT_NAMES {
        let env = ActionEnv::from_pairs([
            ("GITHUB_REPOSITORY", "octo/shop"),
            ("GITHUB_EVENT_NAME", event),
            ("GITHUB_EVENT_PATH", path.to_str().unwrap()),
            ("GITHUB_SHA", "3333333333333333333333333333333333333333"),
        ]);
        match RunContext::from_env(&env) {
            Ok(ctx) => {
                if let Some(pr) = &ctx.pull_request {
                    if pr.number == 0 || pr.head_sha.is_empty() {
                        return Err(format!("a pull request without number or head: {pr:?}"));
                    }
                }
                let _ = (ctx.head_sha(), ctx.read_only_token(), ctx.run_url());
                outcomes.push(format!("ok {}", ctx.pull_request.is_some()));
            }
            Err(e) => {
                let msg = format!("{e:#}");
                if msg.len() > 4000 {
                    return Err(format!("an error of {} bytes", msg.len()));
                }
                outcomes.push(msg.replace(path.to_str().unwrap(), "PATH"));
            }
        }
    }
    if let Ok(value) = serde_json::from_slice::<Value>(input) {
        for event in EVENT_NAMES {
            let _ = pull_request_from(event, &value);
        }
    }
    Ok(signature(
        std::iter::empty(),
        outcomes
            .iter()
            .map(|s| s.split(" at line").next().unwrap_or("")),
    ))
}

// ---------------------------------------------------------------------------------------------
// Dictionaries
// ---------------------------------------------------------------------------------------------

const GENERIC_DICT: &[&str] = &[
    "\0",
    "\r",
    "\r\n",
    "\t",
    "\u{feff}",
    "\u{2028}",
    "\u{85}",
    "\u{c}",
    "é",
    "𝔘",
    "\\",
    "\"",
    "'",
    "99999999999999999999999999999999",
    "18446744073709551616",
    "4294967295",
    "-1",
    "-0",
    "1e999",
    "NaN",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "{{",
    "}}",
    "f\"{",
    "%",
    "$",
    "../",
    "/etc/passwd",
    "C:\\",
    "\\\n",
];

const PYTHON_DICT: &[&str] = &[
    "def f(x):\n    return x\n",
    "class C(Base):\n    pass\n",
    "async def g():\n    await h()\n",
    "lambda x: x",
    "yield ",
    ":=",
    "f\"{x!r:>{w}}\"",
    "f'{",
    "rb'",
    "\"\"\"",
    "'''",
    "@app.route(\"/<path:p>\", methods=[\"POST\"])\n",
    "@bp.before_request\n",
    "request.args[\"q\"]",
    "request.form.get(\"p\")",
    "request.files[\"f\"]",
    "request.get_json()",
    "render_template_string(",
    "render_template(\"x.html\", v=",
    "eval(",
    "exec(",
    "os.system(",
    "subprocess.run(cmd, shell=True)",
    "cursor.execute(\"SELECT \" + ",
    "redirect(",
    "send_file(",
    "open(",
    "pickle.loads(",
    "yaml.load(",
    "requests.get(url, verify=False)",
    "jwt.decode(t, options={\"verify_signature\": False})",
    "hashlib.md5(",
    "random.random()",
    "Markup(",
    "app.config[\"SECRET_KEY\"] = \"hunter2hunter2\"\n",
    "app.config.from_object(Config)\n",
    "app.run(debug=True, host=\"0.0.0.0\")\n",
    "CSRFProtect(app)\n",
    "Talisman(app, force_https=False)\n",
    "CORS(app, supports_credentials=True, origins=\"*\")\n",
    "resp.set_cookie(\"session\", token)\n",
    "# nosec\n",
    "# nosec B201, B105",
    "# noqa: FS101",
    "# flaskscan: ignore[FS1, FS404]",
    "# flaskscan: ignore",
    "# coding: latin-1\n",
    "# -*- coding: utf-16 -*-\n",
    "from . import views\n",
    "from .models import *\n",
    "import flask as f\n",
    "from flask import Flask as F, request as r\n",
    "match x:\n    case [a, *rest] if a:\n        pass\n",
    "type X[T] = list[T]\n",
    "try:\n    pass\nexcept* E as e:\n    raise\n",
    "with open(p) as a, b as c:\n",
    "global g\n",
    "nonlocal n\n",
    "del x[0]\n",
    "x: int = 1\n",
    "*args",
    "**kwargs",
    "if __name__ == \"__main__\":\n",
    "    ",
    "\n\t",
    "...",
    "@",
    "->",
    "**",
    "//=",
    "not in",
    "is not",
    "0x_1",
    "1_000j",
    ".5e-3",
    "super().__init__()",
    "getattr(request, \"args\")",
    "self.x = request.args",
    "return ",
    "for a, b in zip(x, y):\n",
    "while True:\n",
    "[x for x in request.args if x]",
    "{k: v for k, v in d.items()}",
    "x if c else y",
    "print(*a, sep='')",
];

const TEMPLATE_DICT: &[&str] = &[
    "{{ name }}",
    "{{ name|safe }}",
    "{{ items|join(',')|safe }}",
    "{{- ",
    " -}}",
    "{% ",
    " %}",
    "{%- ",
    " -%}",
    "{# ",
    " #}",
    "{% autoescape false %}",
    "{% autoescape true %}",
    "{% endautoescape %}",
    "{% extends \"other.html\" %}",
    "{% extends name %}",
    "{% include \"other.html\" %}",
    "{% include \"x.html\" %}",
    "{% import \"x.html\" as m %}",
    "{% from \"other.html\" import a %}",
    "{% macro m(a, b=1) %}",
    "{% endmacro %}",
    "{% call m(name) %}",
    "{% endcall %}",
    "{% raw %}",
    "{% endraw %}",
    "{% block body %}",
    "{% endblock %}",
    "{{ super() }}",
    "{% for i in items %}",
    "{% endfor %}",
    "{% if name %}",
    "{% elif x %}",
    "{% else %}",
    "{% endif %}",
    "{% set x = name %}",
    "{% set y %}",
    "{% endset %}",
    "{% filter upper %}",
    "{% endfilter %}",
    "{% with a = name %}",
    "{% endwith %}",
    "<form method=\"post\" action=\"/x\">",
    "<form method=post>",
    "</form>",
    "{{ csrf_token() }}",
    "{{ form.hidden_tag() }}",
    "<input type=\"hidden\" name=\"csrf_token\" value=\"{{ csrf_token() }}\">",
    "<script src=\"https://cdn.example.com/a.js\"></script>",
    "<script src=//evil.example/x.js integrity=\"\">",
    "<link rel=\"stylesheet\" href=\"https://x/y.css\">",
    "<script>",
    "</script>",
    "<style>",
    "</style>",
    "<textarea>",
    "</textarea>",
    "<a href={{ name }}>",
    "<img src=x onerror={{ name }}>",
    "<div class='{{ name }}' ",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<!doctype html>",
    "&amp;",
    "&#x",
    "=",
    "\"",
    "'",
    "<",
    ">",
    "/>",
    "name",
    "loop.index",
    "request.args.q",
    "|e",
    "|escape",
    "|tojson",
    "|default(name, true)",
    "name ~ 'x'",
    "x[1:2]",
    "'%s'|format(name)",
];

const REQUIREMENTS_DICT: &[&str] = &[
    "flask==0.12.2\n",
    "jinja2==2.10\n",
    "werkzeug>=0.15,<3\n",
    "requests[security]==2.19.1\n",
    "Django\n",
    "pyyaml~=5.1\n",
    "-r requirements-base.txt\n",
    "-r requirements.txt\n",
    "-r untouched/requirements.txt\n",
    "-r ../../etc/passwd\n",
    "-c constraints.txt\n",
    "--requirement=other.txt\n",
    "-e git+https://github.com/a/b.git#egg=b\n",
    "-e .\n",
    "--index-url https://pypi.example/simple\n",
    "--extra-index-url ",
    "--hash=sha256:0000000000000000000000000000000000000000000000000000000000000000",
    " \\\n    ",
    "==",
    "===",
    ">=",
    "<=",
    "~=",
    "!=",
    "<",
    ">",
    ",",
    ".*",
    "*",
    "1!2.0",
    "1.0.post1.dev2+local.7",
    "2.0rc1",
    "0",
    "; python_version < \"3.8\"",
    "; sys_platform == 'win32' and extra == \"x\"",
    "[extra1,extra2]",
    " @ https://files.example/flask-2.0.tar.gz",
    " @ file:///tmp/x",
    "# via flask\n",
    "#    -r requirements.in\n",
    "# This file is autogenerated by pip-compile with Python 3.11\n",
    "#    uv pip compile requirements.in\n",
    "  # comment",
    "./local/pkg",
    "pkg.whl",
    "((((((((((((((((((((((((((((((((((((",
];

const TOML_DICT: &[&str] = &[
    "[[package]]\n",
    "name = \"flask\"\n",
    "name = \"Flask\"\n",
    "version = \"0.12.2\"\n",
    "version = \"1!2.0.post1\"\n",
    "version = 1\n",
    "[package.dependencies]\n",
    "[package.source]\n",
    "type = \"directory\"\n",
    "source = { registry = \"https://pypi.org/simple\" }\n",
    "source = { editable = \".\" }\n",
    "source = { git = \"https://g/x\" }\n",
    "develop = true\n",
    "optional = false\n",
    "dependencies = [\"flask>=2\", \"jinja2==2.10\"]\n",
    "dependencies = [\n",
    "]\n",
    "[project]\n",
    "[project.optional-dependencies]\n",
    "dev = [\"pytest\"]\n",
    "[dependency-groups]\n",
    "[tool.poetry.dependencies]\n",
    "[tool.poetry.group.dev.dependencies]\n",
    "python = \"^3.10\"\n",
    "flask = \"^2.0\"\n",
    "flask = { version = \"~2.2\", extras = [\"async\"], optional = true }\n",
    "requests = { git = \"https://g/r\" }\n",
    "werkzeug = [{ version = \"<3\", python = \"<3.8\" }, { version = \">=3\" }]\n",
    "[tool.flaskscan]\n",
    "[tool.pdm.dev-dependencies]\n",
    "[[packages]]\n",
    "[metadata]\n",
    "lock-version = \"2.0\"\n",
    "lock-version = \"1.0\"\n",
    "requires-python = \">=3.8\"\n",
    "markers = \"python_version < '3.8'\"\n",
    "groups = [\"default\"]\n",
    "[package.optional-dependencies]\n",
    "created-by = \"uv\"\n",
    "\"\"\"",
    "'''",
    "= inf\n",
    "= nan\n",
    "= 1979-05-27T07:32:00Z\n",
    "= [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "= {a = {b = {c = {d = {e = {",
    "\"\\u00e9\"",
    "\"\\UFFFFFFFF\"",
    "a.b.c = 1\n",
    "[a.\"b\".c]\n",
    "^",
    "~",
    "*",
    ">=1,<2",
    "==",
    "\n",
];

const SETUP_CFG_DICT: &[&str] = &[
    "[options]\n",
    "install_requires =\n",
    "    flask==0.12.2\n",
    "    jinja2>=2.10\n",
    "[options.extras_require]\n",
    "dev =\n",
    "tests = pytest; flask==0.12\n",
    "setup_requires = setuptools\n",
    "[metadata]\n",
    "name = x\n",
    "install_requires = flask==0.12.2, werkzeug\n",
    "; comment\n",
    "# comment\n",
    "%(here)s",
    "\n    ",
    "=",
    ":",
    "==",
    ">=",
    "; python_version < \"3.8\"",
    "[extra]",
    "[",
    "]",
];

const JSON_DICT: &[&str] = &[
    "{\"default\": {",
    "\"develop\": {",
    "\"_meta\": {\"hash\": {\"sha256\": \"00\"}, \"requires\": {}}",
    "\"flask\": {\"version\": \"==0.12.2\"}",
    "\"version\": \"==2.10\"",
    "\"version\": \"*\"",
    "\"version\": 1",
    "\"hashes\": [\"sha256:00\"]",
    "\"markers\": \"python_version < '3.8'\"",
    "\"editable\": true",
    "\"path\": \".\"",
    "\"git\": \"https://g/x\"",
    "\"ref\": \"abc\"",
    "\"index\": \"pypi\"",
    "\"extras\": [\"x\"]",
    "null",
    "true",
    "false",
    "[]",
    "{}",
    ":",
    ",",
    "\"\\ud800\"",
    "\"\\u0000\"",
    "1e400",
    "-0.0",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
];

const SARIF_DICT: &[&str] = &[
    "\"version\": \"2.1.0\"",
    "\"version\": \"2.0.0\"",
    "\"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\"",
    "\"runs\": []",
    "\"runs\": [{\"tool\": {\"driver\": {\"name\": \"Bandit\"}}}]",
    "{\"tool\": {\"driver\": {\"name\": \"flaskscan\"}}, \"automationDetails\": {\"id\": \"flaskscan/code/\"}}",
    "\"tool\": {\"driver\": {\"name\": \"\"}}",
    "\"automationDetails\": {\"id\": \"a/b/c\"}",
    "\"automationDetails\": {\"id\": \"/\"}",
    "\"automationDetails\": {\"id\": \"\"}",
    "\"automationDetails\": {\"id\": \"flaskscan/code-2/x\"}",
    "\"automationDetails\": null",
    "\"automationDetails\": []",
    "\"guid\": \"01234567-89ab-cdef-0123-456789abcdef\"",
    "\"correlationGuid\": \"x\"",
    "\"description\": {\"text\": \"d\"}",
    "\"results\": []",
    "\"results\": {}",
    "\"results\": [{\"ruleId\": \"X\", \"message\": {\"text\": \"m\"}}]",
    "\"artifactLocation\": {\"uri\": \"src/a.py\"}",
    "\"artifactLocation\": {\"uri\": \"./a.py\"}",
    "\"artifactLocation\": {\"uri\": \"file:///a.py\"}",
    "\"artifactLocation\": {\"uri\": 1}",
    "\"location\": {\"uri\": \"b.py\"}",
    "\"uriBaseId\": \"%SRCROOT%\"",
    "\"originalUriBaseIds\": {\"%SRCROOT%\": {\"uri\": \"file:///w/\"}}",
    "\"originalUriBaseIds\": {\"%SRCROOT%\": 1}",
    "\"name\": \"Semgrep OSS\"",
    "\"name\": \"flaskscan\"",
    "\"name\": \"é/ü\"",
    "\"ghs_0123456789abcdefghijklmnopqrstuvwxyz\"",
    "null",
    "true",
    "[]",
    "{}",
    ",",
    ":",
    "\"\\ud800\"",
    "1e400",
];

const OSV_DICT: &[&str] = &[
    "\"id\": \"PYSEC-2099-1\"",
    "\"id\": \"PYSEC-2023-62\"",
    "\"aliases\": [\"CVE-2023-30861\", \"GHSA-m2qf-hxjv-5gpq\"]",
    "\"aliases\": null",
    "\"withdrawn\": \"2024-01-01T00:00:00Z\"",
    "\"modified\": \"2024-13-45T99:99:99Z\"",
    "\"published\": null",
    "\"affected\": []",
    "\"affected\": null",
    "{\"package\": {\"ecosystem\": \"PyPI\", \"name\": \"flask\"}, \"ranges\": [",
    "\"package\": {\"ecosystem\": \"PyPI\", \"name\": \"Jinja2\"}",
    "\"package\": {\"ecosystem\": \"npm\", \"name\": \"flask\"}",
    "\"package\": {\"ecosystem\": \"PyPI\", \"name\": \"py-yaml\"}",
    "\"type\": \"ECOSYSTEM\"",
    "\"type\": \"SEMVER\"",
    "\"type\": \"GIT\", \"repo\": \"https://g/x\"",
    "\"events\": [{\"introduced\": \"0\"}, {\"fixed\": \"2.2.5\"}]",
    "\"events\": []",
    "{\"introduced\": \"0\"}",
    "{\"introduced\": \"2.3.0\"}",
    "{\"fixed\": \"2.3.2\"}",
    "{\"fixed\": \"not-a-version\"}",
    "{\"last_affected\": \"1.0\"}",
    "{\"limit\": \"*\"}",
    "{\"fixed\": \"1!0.1.post2.dev3+l\"}",
    "{\"introduced\": \"99999999999999999999999.0\"}",
    "\"versions\": [\"0.12.2\", \"2.10\", \"x\"]",
    "\"severity\": [{\"type\": \"CVSS_V3\", \"score\": \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}]",
    "\"severity\": [{\"type\": \"CVSS_V4\", \"score\": \"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N\"}]",
    "\"severity\": [{\"type\": \"CVSS_V2\", \"score\": \"AV:N/AC:L/Au:N/C:P/I:P/A:P\"}]",
    "\"score\": \"CVSS:3.1/AV:X\"",
    "\"database_specific\": {\"severity\": \"HIGH\"}",
    "\"ecosystem_specific\": {\"severity\": \"CRITICAL\"}",
    "\"summary\": \"s\"",
    "\"details\": \"d\"",
    "\"references\": [{\"type\": \"WEB\", \"url\": \"https://x\"}]",
    "null",
    "[]",
    "{}",
    ",",
    ":",
    "\"\\ud800\"",
    "1e400",
];

const CONFIG_DICT: &[&str] = &[
    "[tool.flaskscan]\n",
    "[tool.flaskscan.severity]\n",
    "[[tool.flaskscan.ignore-vulns]]\n",
    "select = [\"FS\"]\n",
    "select = \"FS1\"\n",
    "extend-select = [\"FS302\", \"ALL\"]\n",
    "ignore = [\"FS109\", \"\"]\n",
    "include-tests = true\n",
    "include-tests = \"yes\"\n",
    "exclude = [\"tests/fixtures\", \"[\", \"**/{\"]\n",
    "fail-on = \"medium\"\n",
    "fail-on = \"bogus\"\n",
    "max-file-size = 4194304\n",
    "max-file-size = -1\n",
    "max-file-size = 18446744073709551615\n",
    "FS402 = \"high\"\n",
    "FS999 = \"low\"\n",
    "id = \"PYSEC-2023-62\"\n",
    "reason = \"r\"\n",
    "until = 2027-01-01\n",
    "until = \"2027-13-45\"\n",
    "until = 1979-05-27T07:32:00Z\n",
    "tool.flaskscan = 1\n",
    "[tool]\nflaskscan = [1]\n",
    "unknown-key = 1\n",
    "\"\"\"",
    "= [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "= {a = {b = {c = {d = {",
];

const ENV_DICT: &[&str] = &[
    "FLASK_DEBUG=1\n",
    "FLASK_ENV=development\n",
    "SECRET_KEY=hunter2hunter2hunter2\n",
    "FLASK_SECRET_KEY='abc'\n",
    "export ",
    "=",
    "\"",
    "'",
    " # comment",
    "#",
    "\\\n",
    "${HOME}",
    "é",
];

const EVENT_DICT: &[&str] = &[
    "\"pull_request\": {",
    "\"pull_request\": null",
    "\"pull_request\": []",
    "\"number\": 7",
    "\"number\": 0",
    "\"number\": -1",
    "\"number\": 18446744073709551615",
    "\"number\": 18446744073709551616",
    "\"number\": 7.5",
    "\"number\": \"7\"",
    "\"head\": {\"sha\": \"1111111111111111111111111111111111111111\", \"repo\": null}",
    "\"head\": {\"sha\": \"\"}",
    "\"sha\": null",
    "\"repo\": {\"full_name\": \"OCTO/Shop\", \"fork\": true}",
    "\"full_name\": \"\"",
    "\"fork\": \"yes\"",
    "\"base\": {\"ref\": \"main\", \"sha\": 1}",
    "\"ref\": \"refs/heads/main\"",
    "\"action\": \"synchronize\"",
    "null",
    "true",
    "[]",
    "{}",
    ",",
    ":",
    "\"\\ud800\"",
    "1e400",
];

// ---------------------------------------------------------------------------------------------
// Mutation
// ---------------------------------------------------------------------------------------------

/// SplitMix64: small, fast, and good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Mostly small lengths, sometimes large ones.
    fn len(&mut self, max: usize) -> usize {
        let cap = match self.below(4) {
            0 | 1 => 8,
            2 => 64,
            _ => max,
        };
        1 + self.below(cap.min(max).max(1))
    }
}

const INTERESTING_BYTES: &[u8] = &[
    0, 0xff, 0x7f, 0x80, 0xc0, 0xed, b'\r', b'\n', b'\t', b'"', b'\'', b'\\', b' ', b'{', b'}',
    b'(', b')', b'[', b']', b'#', b'=', b'<', b'>', b'%', b':', b',', b'-', b'|', b'.', b'@',
];

/// Byte sequences that are not valid UTF-8 or are Unicode edge cases.
const ODD_BYTES: &[&[u8]] = &[
    b"\xff\xfe",
    b"\xfe\xff",
    b"\xef\xbb\xbf",
    b"\xed\xa0\x80",
    b"\xc0\x80",
    b"\xf4\x90\x80\x80",
    b"\xe2\x80\xa8",
    b"\xcc\x81",
    b"\xf0\x9f\x92\xa9",
    b"\x80",
    b"\xc3",
];

/// Opening and closing shapes for deep nesting.
const NESTING: &[(&str, &str)] = &[
    ("(", ")"),
    ("[", "]"),
    ("{", "}"),
    ("{\"a\":", "}"),
    ("[[", "]]"),
    ("f\"{", "}\""),
    ("f'{x:{", "}}'"),
    ("{{ (", ") }}"),
    ("{% if x %}", "{% endif %}"),
    ("{% for a in b %}", "{% endfor %}"),
    ("{% block b %}", "{% endblock %}"),
    ("<div>", "</div>"),
    ("if x:\n", ""),
    ("def f():\n", ""),
    ("lambda: ", ""),
    ("not ", ""),
    ("-", ""),
    ("a.", ""),
    ("x[", "]"),
    ("{a = ", "}"),
    ("\"a\": [", "]"),
];

const HUGE_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211457",
    "99999999999999999999999999999999999999999999999999",
    "1e309",
    "-1e309",
    "0.0000000000000000000000000000000000001",
    "1.7976931348623157e308",
    "00000000000000000000001",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967295",
    "65536",
];

fn pick_bytes(rng: &mut Rng, items: &[&'static [u8]]) -> &'static [u8] {
    items[rng.below(items.len())]
}

/// Lines of `data` as byte ranges (line ending included).
fn lines(data: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in data.iter().enumerate() {
        if *b == b'\n' {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < data.len() {
        out.push((start, data.len()));
    }
    out
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A random word (identifier) of `data`, as a byte range.
fn word_at(rng: &mut Rng, data: &[u8]) -> Option<(usize, usize)> {
    for _ in 0..8 {
        let mut i = rng.below(data.len());
        if !is_word(*data.get(i)?) {
            continue;
        }
        while i > 0 && is_word(data[i - 1]) {
            i -= 1;
        }
        let mut j = i;
        while j < data.len() && is_word(data[j]) {
            j += 1;
        }
        return Some((i, j));
    }
    None
}

/// Applies 1 to 8 stacked mutations to `data`.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>, pool: &[Vec<u8>], dict: &[&str], max_len: usize) {
    let rounds = 1 + if rng.chance(4) {
        rng.below(8)
    } else {
        rng.below(3)
    };
    for _ in 0..rounds {
        mutate_once(rng, data, pool, dict, max_len);
        if data.len() > max_len {
            data.truncate(max_len);
        }
    }
}

fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, pool: &[Vec<u8>], dict: &[&str], max_len: usize) {
    let pos = |rng: &mut Rng, data: &Vec<u8>| rng.below(data.len() + 1);
    let token = |rng: &mut Rng| -> Vec<u8> {
        if rng.chance(3) {
            rng.pick(GENERIC_DICT).as_bytes().to_vec()
        } else {
            rng.pick(dict).as_bytes().to_vec()
        }
    };
    match rng.below(20) {
        0 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] ^= 1 << rng.below(8);
        }
        1 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] = rng.next() as u8;
        }
        2 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] = *rng.pick(INTERESTING_BYTES);
        }
        3 if !data.is_empty() => {
            let i = rng.below(data.len());
            let n = rng.len(data.len() - i);
            data.drain(i..(i + n).min(data.len()));
        }
        4 | 5 => {
            let t = token(rng);
            let i = pos(rng, data);
            data.splice(i..i, t);
        }
        6 if !data.is_empty() => {
            // Overwrite with a token.
            let t = token(rng);
            let i = rng.below(data.len());
            let end = (i + t.len()).min(data.len());
            data.splice(i..end, t);
        }
        7 if !data.is_empty() => {
            // Duplicate a range elsewhere.
            let i = rng.below(data.len());
            let n = rng.len(data.len() - i);
            let chunk = data[i..(i + n).min(data.len())].to_vec();
            let at = pos(rng, data);
            data.splice(at..at, chunk);
        }
        8 => {
            // Insert a chunk of another input.
            let other = rng.pick(pool);
            if !other.is_empty() {
                let i = rng.below(other.len());
                let n = rng.len(other.len() - i);
                let chunk = other[i..(i + n).min(other.len())].to_vec();
                let at = pos(rng, data);
                data.splice(at..at, chunk);
            }
        }
        9 => {
            // Crossover: our prefix, another input's suffix.
            let other = rng.pick(pool);
            let cut = pos(rng, data);
            let from = rng.below(other.len() + 1);
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        10 | 11 => {
            // Line operations keep most inputs well formed.
            let ls = lines(data);
            if ls.is_empty() {
                return;
            }
            let (a, b) = *rng.pick(&ls);
            match rng.below(5) {
                0 => {
                    data.drain(a..b);
                }
                1 => {
                    let line = data[a..b].to_vec();
                    data.splice(a..a, line);
                }
                2 => {
                    let (c, d) = *rng.pick(&ls);
                    if (c, d) != (a, b) {
                        let (first, second) = if a < c {
                            ((a, b), (c, d))
                        } else {
                            ((c, d), (a, b))
                        };
                        let l1 = data[first.0..first.1].to_vec();
                        let l2 = data[second.0..second.1].to_vec();
                        data.splice(second.0..second.1, l1);
                        data.splice(first.0..first.1, l2);
                    }
                }
                3 => {
                    let other = rng.pick(pool);
                    let ols = lines(other);
                    if !ols.is_empty() {
                        let (c, d) = *rng.pick(&ols);
                        let line = other[c..d].to_vec();
                        data.splice(a..a, line);
                    }
                }
                _ => {
                    let indent: &[u8] = pick_bytes(rng, &[b"    ", b"\t", b"  ", b" "]);
                    data.splice(a..a, indent.iter().copied());
                }
            }
        }
        12 | 13 => {
            // Replace a word with another word of the pool or a token.
            let Some((a, b)) = word_at(rng, data) else {
                return;
            };
            let replacement = if rng.chance(2) {
                let other = rng.pick(pool);
                match word_at(rng, other) {
                    Some((c, d)) => other[c..d].to_vec(),
                    None => token(rng),
                }
            } else {
                token(rng)
            };
            data.splice(a..b, replacement);
        }
        14 => {
            // A number, somewhere, becomes a huge or odd one.
            let digits: Vec<usize> = (0..data.len())
                .filter(|&i| data[i].is_ascii_digit())
                .collect();
            let n = rng.pick(HUGE_NUMBERS).as_bytes().to_vec();
            if digits.is_empty() {
                let at = pos(rng, data);
                data.splice(at..at, n);
            } else {
                let mut a = *rng.pick(&digits);
                while a > 0 && data[a - 1].is_ascii_digit() {
                    a -= 1;
                }
                let mut b = a;
                while b < data.len() && (data[b].is_ascii_digit() || data[b] == b'.') {
                    b += 1;
                }
                data.splice(a..b, n);
            }
        }
        15 => {
            // Deep nesting.
            let (open, close) = *rng.pick(NESTING);
            let depth = match rng.below(4) {
                0 => 1 + rng.below(40),
                1 => 100 + rng.below(200),
                2 => 900 + rng.below(300),
                _ => 1 + rng.below(5000),
            };
            let depth = depth.min(max_len / open.len().max(1));
            let at = pos(rng, data);
            let mut chunk = open.repeat(depth).into_bytes();
            chunk.extend_from_slice(pick_bytes(rng, &[b"x", b"1", b"", b"\"s\""]));
            if rng.chance(3) || close.is_empty() {
                // Unbalanced.
            } else {
                chunk.extend_from_slice(close.repeat(depth).as_bytes());
            }
            data.splice(at..at, chunk);
        }
        16 if !data.is_empty() => {
            // Repeat a short chunk many times.
            let i = rng.below(data.len());
            let n = 1 + rng.below(16.min(data.len() - i));
            let chunk = data[i..i + n].to_vec();
            let times = 1 + rng.below(max_len / n / 4 + 1);
            let at = pos(rng, data);
            data.splice(at..at, chunk.repeat(times));
        }
        17 => {
            let odd = rng.pick(ODD_BYTES).to_vec();
            let at = pos(rng, data);
            data.splice(at..at, odd);
        }
        18 if !data.is_empty() => {
            // Line endings.
            let ending: &[u8] = pick_bytes(rng, &[b"\r\n", b"\r", b"\n\n", b"\x0c\n", b"\\\n"]);
            let mut out = Vec::with_capacity(data.len() + 64);
            for &b in data.iter() {
                if b == b'\n' && rng.chance(2) {
                    out.extend_from_slice(ending);
                } else {
                    out.push(b);
                }
            }
            *data = out;
        }
        19 if !data.is_empty() => {
            data.truncate(rng.below(data.len()));
        }
        _ => {
            let t = token(rng);
            let i = pos(rng, data);
            data.splice(i..i, t);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Execution: panics, deadlines, memory
// ---------------------------------------------------------------------------------------------

/// One input at a time in the whole test binary: the panic log and the peak memory are then
/// the input's.
static EXEC: Mutex<()> = Mutex::new(());
/// Panic messages (with their location) since the current input started.
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// While an input runs, panics are recorded instead of printed.
static QUIET: AtomicBool = AtomicBool::new(false);

fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.load(Ordering::SeqCst) {
                let what = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                if let Ok(mut p) = PANICS.lock() {
                    p.push(format!("panic at {at}: {what}"));
                }
            } else {
                previous(info);
            }
        }));
    });
}

/// What running one input found.
#[derive(Debug)]
enum Verdict {
    Ok(Signature),
    /// A panic (caught by the scan or not) or a broken property.
    Fail(String),
    /// Finished, but after its deadline.
    Slow(Duration),
    /// Still running long after its deadline; its thread is abandoned.
    Hang,
    /// The peak resident memory of the run, in bytes, over the bound.
    Memory(u64),
}

/// Wall time one input of `len` bytes may take: a second plus 20 µs a byte (a scan reads a
/// few MB a second; 64 KiB get 2.3 s). Debug builds get ten times that. What it catches is
/// work super-linear in the input: 30 KB taking 2.7 s is 2 MiB taking hours.
fn deadline(len: usize) -> Duration {
    let scale = if cfg!(debug_assertions) { 10 } else { 1 };
    let base_ms: u64 = std::env::var("FUZZ_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    Duration::from_millis((base_ms + len as u64 / 50) * scale)
}

/// After the deadline, how much longer a run may go on before it is called a hang.
const HANG_GRACE: Duration = Duration::from_secs(60);
/// Peak memory allowed for one input (inputs are at most 64 KiB).
const MEMORY_BOUND: u64 = 1536 * 1024 * 1024;

/// User plus system CPU time of this process so far, from `/proc/self/stat` (Linux, whose
/// clock tick is 1/100 s on every architecture it reports in these fields).
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// CPU time spent since `before` was read.
fn cpu_spent(before: Option<Duration>) -> Option<Duration> {
    Some(process_cpu()?.saturating_sub(before?))
}

/// The peak resident set size since the last reset, from `/proc/self/status` (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Runs `input` on `target` in a thread of its own, with a deadline.
fn execute(target: &'static Target, input: &[u8]) -> (Verdict, Duration, Option<u64>) {
    install_panic_hook();
    let _one = EXEC.lock().unwrap_or_else(|p| p.into_inner());
    PANICS.lock().unwrap_or_else(|p| p.into_inner()).clear();
    reset_peak_rss();
    QUIET.store(true, Ordering::SeqCst);
    let (tx, rx) = mpsc::channel();
    let owned = input.to_vec();
    let started = Instant::now();
    let cpu_before = process_cpu();
    let spawned = std::thread::Builder::new()
        .name(format!("fuzz-{}", target.name))
        .stack_size(8 * 1024 * 1024)
        .spawn(move || {
            let r = catch_unwind(AssertUnwindSafe(|| (target.exec)(&owned)));
            let _ = tx.send(r);
        })
        .expect("spawn a fuzz worker");
    let limit = deadline(input.len());
    let result = match rx.recv_timeout(limit) {
        Ok(r) => Some((r, false)),
        Err(_) => rx.recv_timeout(HANG_GRACE).ok().map(|r| (r, true)),
    };
    let elapsed = started.elapsed();
    let verdict = match result {
        None => {
            // Abandon the thread; the run ends with this input.
            std::mem::forget(spawned);
            QUIET.store(false, Ordering::SeqCst);
            return (Verdict::Hang, elapsed, None);
        }
        Some((r, late)) => {
            let _ = spawned.join();
            let panics = std::mem::take(&mut *PANICS.lock().unwrap_or_else(|p| p.into_inner()));
            match (r, panics.first()) {
                (_, Some(p)) => Verdict::Fail(p.clone()),
                (Err(_), None) => Verdict::Fail("panic without a message".into()),
                (Ok(Err(why)), None) => Verdict::Fail(why),
                // On a loaded machine a run can miss its deadline waiting for a core: slow is
                // judged by the CPU time the process spent, when the system tells it.
                (Ok(Ok(_)), None)
                    if late && cpu_spent(cpu_before).is_none_or(|cpu| cpu > limit) =>
                {
                    Verdict::Slow(elapsed)
                }
                (Ok(Ok(sig)), None) => Verdict::Ok(sig),
            }
        }
    };
    QUIET.store(false, Ordering::SeqCst);
    let peak = peak_rss();
    let verdict = match (verdict, peak) {
        (Verdict::Ok(_), Some(p)) if p > MEMORY_BOUND => Verdict::Memory(p),
        (v, _) => v,
    };
    (verdict, elapsed, peak)
}

// ---------------------------------------------------------------------------------------------
// The loop
// ---------------------------------------------------------------------------------------------

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// The extension saved inputs get, so editors show them right.
fn extension(target: &Target) -> &'static str {
    match target.file.rsplit_once('.') {
        Some((_, ext)) => ext,
        None => "bin",
    }
}

/// Files under `dir` (recursively) whose name ends with one of `suffixes`, sorted.
fn files_under(dir: &Path, suffixes: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            files_under(&path, suffixes, out);
        } else if suffixes.is_empty()
            || suffixes.iter().any(|s| path.to_string_lossy().ends_with(s))
        {
            out.push(path);
        }
    }
}

fn corpus_dir(target: &Target) -> PathBuf {
    crate_dir().join("tests/fuzz/corpus").join(target.name)
}

fn crashes_dir(target: &Target) -> PathBuf {
    crate_dir().join("tests/fuzz/crashes").join(target.name)
}

/// The seeds: the fixtures of the target and its corpus directory.
fn seeds(target: &Target) -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    for dir in target.seed_dirs {
        files_under(&crate_dir().join(dir), target.seed_suffixes, &mut paths);
    }
    files_under(&corpus_dir(target), &[], &mut paths);
    let mut seeds: Vec<Vec<u8>> = paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter(|b| b.len() <= target.max_len)
        .collect();
    if seeds.is_empty() {
        seeds.push(Vec::new());
    }
    seeds
}

/// Where the input being run is written first: if the process dies on it (a stack overflow, an
/// abort, the OOM killer), the next run finds it there and files it as a crash.
fn in_flight_path(target: &Target) -> PathBuf {
    crate_dir()
        .join("target/fuzz-in-flight")
        .join(format!("{}.{}", target.name, extension(target)))
}

fn save(dir: &Path, kind: &str, target: &Target, input: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("{kind}-{:016x}.{}", fnv(input), extension(target)));
    std::fs::write(&path, input).unwrap();
    path
}

/// What a run of one target found.
#[derive(Debug, Default)]
struct Summary {
    execs: u64,
    elapsed: Duration,
    failures: Vec<String>,
    slow: Vec<String>,
    behaviours: usize,
    slowest: Duration,
    slowest_len: usize,
    peak_rss: u64,
    /// Inputs the scan analysed (scan targets only).
    analysed: u64,
}

/// How long to run: an iteration count, a wall-clock budget, or both (whichever ends first).
struct Budget {
    iterations: Option<u64>,
    time: Option<Duration>,
    /// Run every seed unmutated first.
    replay_seeds: bool,
}

/// Fuzzes one target; failing inputs are saved when `save_failures` is set.
fn fuzz(target: &'static Target, budget: &Budget, seed: u64, save_failures: bool) -> Summary {
    let mut summary = Summary::default();
    let in_flight = in_flight_path(target);
    if save_failures {
        if let Ok(input) = std::fs::read(&in_flight) {
            let saved = save(&crashes_dir(target), "abort", target, &input);
            summary.failures.push(format!(
                "the previous run died on an input, saved as {}",
                saved.display()
            ));
        }
        std::fs::create_dir_all(in_flight.parent().unwrap()).unwrap();
    }
    let seeds = seeds(target);
    let mut pool: Vec<Vec<u8>> = seeds.clone();
    let mut seen: HashSet<Signature> = HashSet::new();
    let mut failed: HashSet<String> = HashSet::new();
    let mut rng = Rng(seed ^ fnv(target.name.as_bytes()));
    let started = Instant::now();
    let save_corpus = std::env::var_os("FUZZ_SAVE_CORPUS").is_some();
    let mut new_corpus: Vec<Vec<u8>> = Vec::new();
    let mut i: u64 = 0;
    let analysed_before = ANALYSED.load(Ordering::Relaxed);
    loop {
        if budget.iterations.is_some_and(|n| i >= n)
            || budget.time.is_some_and(|t| started.elapsed() >= t)
        {
            break;
        }
        // Seeds first, unmutated; then mutants of the pool.
        let input = if budget.replay_seeds && (i as usize) < seeds.len() {
            seeds[i as usize].clone()
        } else {
            let mut data = if rng.chance(4) {
                rng.pick(&seeds).clone()
            } else {
                rng.pick(&pool).clone()
            };
            mutate(&mut rng, &mut data, &pool, target.dict, target.max_len);
            data
        };
        i += 1;
        if save_failures {
            std::fs::write(&in_flight, &input).unwrap();
        }
        let (verdict, took, peak) = execute(target, &input);
        summary.execs += 1;
        summary.peak_rss = summary.peak_rss.max(peak.unwrap_or(0));
        if took > summary.slowest {
            summary.slowest = took;
            summary.slowest_len = input.len();
            if save_failures {
                // For a look at what is slow even within the deadline.
                let _ = std::fs::write(
                    in_flight.with_extension(format!("slowest.{}", extension(target))),
                    &input,
                );
            }
        }
        match verdict {
            Verdict::Ok(sig) => {
                if seen.insert(sig) {
                    summary.behaviours += 1;
                    if pool.len() < 2000 {
                        pool.push(input.clone());
                    } else {
                        let at = rng.below(pool.len());
                        pool[at] = input.clone();
                    }
                    if save_corpus && input.len() <= 4096 && (i as usize) > seeds.len() {
                        new_corpus.push(input);
                    }
                }
            }
            Verdict::Fail(why) => {
                // One saved input per distinct failure: a panic is known by its location, a
                // broken property by its first words.
                let key: String = match why.strip_prefix("panic at ") {
                    Some(rest) => rest.split(": ").next().unwrap_or(rest).to_string(),
                    None => why
                        .chars()
                        .filter(|c| !c.is_ascii_digit())
                        .take(80)
                        .collect(),
                };
                if failed.insert(key) {
                    let saved = if save_failures {
                        save(&crashes_dir(target), "crash", target, &input)
                            .display()
                            .to_string()
                    } else {
                        format!("{:?}", String::from_utf8_lossy(&input))
                    };
                    summary.failures.push(format!("{why}\n    input: {saved}"));
                }
            }
            Verdict::Memory(bytes) => {
                let saved = if save_failures {
                    save(&crashes_dir(target), "memory", target, &input)
                        .display()
                        .to_string()
                } else {
                    String::new()
                };
                summary.failures.push(format!(
                    "peak memory {} MiB on a {}-byte input {saved}",
                    bytes >> 20,
                    input.len()
                ));
            }
            Verdict::Slow(d) => {
                let saved = if save_failures {
                    save(&crashes_dir(target), "slow", target, &input)
                        .display()
                        .to_string()
                } else {
                    String::new()
                };
                summary.slow.push(format!(
                    "{:.1} s on a {}-byte input (deadline {:.1} s) {saved}",
                    d.as_secs_f64(),
                    input.len(),
                    deadline(input.len()).as_secs_f64()
                ));
            }
            Verdict::Hang => {
                let saved = if save_failures {
                    save(&crashes_dir(target), "hang", target, &input)
                        .display()
                        .to_string()
                } else {
                    format!("{:?}", String::from_utf8_lossy(&input))
                };
                summary.failures.push(format!(
                    "hang: still running {} s after the deadline on a {}-byte input {saved}",
                    HANG_GRACE.as_secs(),
                    input.len()
                ));
                // The abandoned thread still runs (and holds the input): stop here.
                let _ = std::fs::remove_file(&in_flight);
                break;
            }
        }
    }
    if save_failures {
        let _ = std::fs::remove_file(&in_flight);
    }
    if save_corpus {
        // Only a few small, behaviour-novel inputs are worth keeping in the repository.
        new_corpus.sort_by_key(Vec::len);
        for input in new_corpus.iter().take(12) {
            save(&corpus_dir(target), "new", target, input);
        }
    }
    summary.elapsed = started.elapsed();
    summary.analysed = ANALYSED.load(Ordering::Relaxed) - analysed_before;
    summary
}

fn report(target: &Target, s: &Summary) -> String {
    let mut out = format!(
        "{:<13} {:>8} execs in {:>6.1} s ({:>6.1}/s), {} behaviours, slowest {:.2} s ({} bytes), peak RSS {} MiB, {} analysed, {} failure(s), {} slow",
        target.name,
        s.execs,
        s.elapsed.as_secs_f64(),
        s.execs as f64 / s.elapsed.as_secs_f64().max(1e-9),
        s.behaviours,
        s.slowest.as_secs_f64(),
        s.slowest_len,
        s.peak_rss >> 20,
        s.analysed,
        s.failures.len(),
        s.slow.len(),
    );
    for f in &s.failures {
        out.push_str(&format!("\n  FAIL {f}"));
    }
    for f in &s.slow {
        out.push_str(&format!("\n  SLOW {f}"));
    }
    out
}

fn env_seed() -> u64 {
    std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

/// The real run: `FUZZ_SECONDS` per target (default 60), `FUZZ_TARGET` a comma-separated list
/// (default: all), `FUZZ_SEED` to replay a run, `FUZZ_SAVE_CORPUS` to keep new behaviours.
#[test]
#[ignore = "long: run by scripts/fuzz.sh"]
fn fuzz_targets() {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let names = std::env::var("FUZZ_TARGET").unwrap_or_default();
    let selected: Vec<&'static Target> = if names.trim().is_empty() {
        TARGETS.iter().collect()
    } else {
        names.split(',').map(|n| target(n.trim())).collect()
    };
    let seed = env_seed();
    let mut failures = 0;
    let mut lines = Vec::new();
    for t in selected {
        let budget = Budget {
            iterations: None,
            time: Some(Duration::from_secs(seconds)),
            replay_seeds: true,
        };
        let s = fuzz(t, &budget, seed, true);
        failures += s.failures.len() + s.slow.len();
        let line = report(t, &s);
        eprintln!("{line}");
        lines.push(line);
        let _ = std::io::stderr().flush();
    }
    eprintln!("seed {seed}");
    assert_eq!(failures, 0, "fuzzing found failures:\n{}", lines.join("\n"));
}

/// Every target for a few dozen inputs: the harness still builds and runs, and the untouched
/// files' findings are there on the seeds.
#[test]
fn smoke_every_target() {
    let started = Instant::now();
    let mut failures = Vec::new();
    for t in TARGETS {
        let iterations = match t.name {
            "python" | "template" => 80,
            _ => 120,
        };
        let budget = Budget {
            iterations: Some(iterations),
            time: Some(Duration::from_secs(3)),
            replay_seeds: false,
        };
        let s = fuzz(t, &budget, 0x5eed, false);
        assert!(s.execs > 0, "{}: nothing ran", t.name);
        eprintln!("{}", report(t, &s));
        if !s.failures.is_empty() {
            failures.push(report(t, &s));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("smoke run: {:.1} s", started.elapsed().as_secs_f64());
}

/// The corpus and every saved crash, replayed: fixed crashes stay fixed.
#[test]
fn corpus_and_crashes_replay() {
    let mut failures = Vec::new();
    for t in TARGETS {
        let mut paths = Vec::new();
        files_under(&corpus_dir(t), &[], &mut paths);
        files_under(&crashes_dir(t), &[], &mut paths);
        for p in paths {
            let input = std::fs::read(&p).unwrap();
            match execute(t, &input).0 {
                Verdict::Ok(_) => {}
                other => failures.push(format!("{}: {other:?}", p.display())),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs one input on a target and fails with the verdict unless it passes.
#[allow(dead_code)]
fn assert_passes(target_name: &str, input: &[u8]) {
    match execute(target(target_name), input).0 {
        Verdict::Ok(_) => {}
        other => panic!("{target_name}: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Regression tests: each crash the fuzzer found, minimised
// ---------------------------------------------------------------------------------------------

/// pep508_rs panicked on a package or extra name ending with `-`, `_` or `.` (`flask-==1.0`):
/// one line of a pull request's requirements file ended the whole scan.
#[test]
fn regression_requirements_name_ending_in_separator() {
    for line in [
        "flask-==2.19.1",
        "flask_ >=1",
        "flask. ; python_version < '3'",
        "flask[x-]==1.0",
        "flask[a, b_ ]",
        "flask [ok,x.]",
        "flask[x-",
    ] {
        assert_requirement_passes(line);
    }
}

/// Runs one requirement line through every manifest front end that reads PEP 508 lines.
fn assert_requirement_passes(line: &str) {
    assert_passes(
        "requirements",
        format!("{line}\nflask==0.12.2\n").as_bytes(),
    );
    assert_passes(
        "pyproject",
        format!("[project]\nname = \"p\"\ndependencies = [{line:?}]\n").as_bytes(),
    );
    assert_passes(
        "setup-cfg",
        format!("[options]\ninstall_requires =\n    {line}\n").as_bytes(),
    );
}

/// pep508_rs sliced its input inside a character when reporting an error after a non-ASCII one
/// (`pyyaml; python_version < "3.8"ml==5.2a1💩`).
#[test]
fn regression_requirements_non_ascii_after_marker() {
    for line in [
        "pyya; python_version < \"3.8\"ml==5.2a1💩",
        "flask-wtf; sys_platform == 'win32' and extra == \"x\"==1.2.💩1",
        "flask==1.0 ; platform_machine == 'é'",
        "flaské==1.0",
    ] {
        assert_requirement_passes(line);
    }
}

/// Configuration errors quoted whole values and keys (a 24 KB `ignore` entry came back in the
/// message); they quote a short excerpt now, as every other error about file content does.
#[test]
fn regression_config_errors_quote_an_excerpt() {
    let long = "x".repeat(5000);
    for text in [
        format!("ignore = [\"FS109{long}\"]\n"),
        format!("select = [\"{long}\"]\n"),
        format!("fail-on = \"low{long}\"\n"),
        format!("unknown-{long} = 1\n"),
        format!("exclude = [\"[{long}\"]\n"),
        format!("[severity]\nFS{long} = \"low\"\n"),
        format!("[[ignore-vulns]]\nid = \"X\"\nreason = \"r\"\n{long} = 1\n"),
        format!("[tool.flaskscan]\nignore = [\"FS109{long}\"]\n"),
    ] {
        assert_passes("config", text.as_bytes());
    }
}

/// The taint engine resolved the dotted name of an attribute chain at each of its links, in
/// time square in its length: 30 KB of `request.ast.ast...` took 2.7 s, 2 MiB would take
/// hours. A file chaining more than 1,000 links is not analysed (a warning says so).
#[test]
fn regression_python_long_attribute_chain() {
    for link in [".ast", ".get()", "[0]", ".a(x)[1]"] {
        let chain = link.repeat(60_000 / link.len());
        let source =
            format!("from flask import request\n\n\ndef helper(x):\n    return request{chain}\n");
        assert_passes("python", source.as_bytes());
    }
    // Chains real code writes are analysed.
    let dir = tempfile::tempdir().unwrap();
    let chain = ".filter(x)".repeat(400);
    write(dir.path(), "app.py", APP_WITH_MODULE.as_bytes());
    write(
        dir.path(),
        "fuzzed.py",
        format!("def helper(x):\n    return x{chain}\n").as_bytes(),
    );
    let report = scan::run(&scan_options(dir.path(), false)).unwrap();
    assert!(
        !report
            .notifications
            .iter()
            .any(|n| n.message.contains("file not analysed")),
        "{:?}",
        report.notifications
    );
}
