//! The binary as users run it: exit codes, formats (insta snapshots), SARIF validated against the
//! official schema, configuration errors, and hostile input that must not stop a scan.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary; scans use offline advisories so no test touches the network.
fn flaskscan(args: &[&str], cwd: &Path) -> Output {
    let mut args: Vec<&str> = args.to_vec();
    if args.first() == Some(&"scan") {
        args.extend(["--advisories", "offline"]);
    }
    Command::new(env!("CARGO_BIN_EXE_flaskscan"))
        .args(&args)
        .env("FLASKSCAN_OSV_URL", "http://127.0.0.1:9")
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn snapshot_app() -> PathBuf {
    manifest_dir().join("tests/fixtures/snapshot_app")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The SARIF schema serde-sarif ships (`src/schema.json` in its crate source), found through
/// `cargo metadata` so no network is needed.
fn sarif_schema() -> serde_json::Value {
    let rustc = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc runs");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc names its host");
    // Filtering to the host keeps cargo from wanting other platforms' crates (no network).
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
            &host,
        ])
        .current_dir(manifest_dir())
        .output()
        .expect("cargo metadata runs");
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("serde-sarif in the dependency graph");
    let schema = Path::new(manifest)
        .parent()
        .unwrap()
        .join("src/schema.json");
    serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap()
}

/// Validates `log` against the official SARIF 2.1.0 schema; returns the errors.
pub fn sarif_errors(log: &serde_json::Value) -> Vec<String> {
    let schema = sarif_schema();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator
        .iter_errors(log)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

#[test]
fn text_output_snapshot() {
    let out = flaskscan(&["scan", "."], &snapshot_app());
    assert_eq!(out.status.code(), Some(1), "high findings exit 1");
    insta::assert_snapshot!("text_output", stdout(&out));
}

#[test]
fn sarif_output_snapshot_and_schema() {
    let app = snapshot_app();
    let out = flaskscan(&["scan", ".", "--format", "sarif"], &app);
    let text = stdout(&out);
    let root = app.canonicalize().unwrap().to_string_lossy().into_owned();
    let log: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let errors = sarif_errors(&log);
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
    insta::assert_snapshot!("sarif_output", text.replace(&root, "<ROOT>"));
}

#[test]
fn sarif_of_the_demo_app_is_valid() {
    let out = flaskscan(
        &["scan", "examples/flask-app", "--format", "sarif"],
        &manifest_dir(),
    );
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let errors = sarif_errors(&log);
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() > 10);
    for r in results {
        assert!(r["partialFingerprints"]["primaryLocationLineHash"].is_string());
        assert!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_i64()
                .unwrap()
                >= 1
        );
    }
}

/// A finding that points elsewhere (FS412 to a sibling's role check) carries it as a SARIF
/// related location the message links to, as a JSON `related` entry and a text `related:` line;
/// its fingerprint is the same whatever it points to.
#[test]
fn related_locations_in_every_format() {
    let fixture = manifest_dir().join("tests/fixtures/rules/fs412_admin_blueprint");
    let scan = |format: &str| {
        let out = flaskscan(
            &["scan", ".", "--select", "FS412", "--format", format],
            &fixture,
        );
        stdout(&out)
    };
    let log: serde_json::Value = serde_json::from_str(&scan("sarif")).unwrap();
    let errors = sarif_errors(&log);
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
    let result = &log["runs"][0]["results"][0];
    let related = &result["relatedLocations"][0];
    assert_eq!(related["id"], 1);
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 37);
    let text = related["message"]["text"].as_str().unwrap();
    assert!(result["message"]["text"]
        .as_str()
        .unwrap()
        .ends_with(&format!("Related: [{text}](1).")));

    let doc: serde_json::Value = serde_json::from_str(&scan("json")).unwrap();
    let finding = &doc["findings"][0];
    assert_eq!(finding["related"][0]["path"], "admin.py");
    assert_eq!(finding["related"][0]["line"], 37);
    assert_eq!(
        finding["fingerprint"],
        result["partialFingerprints"]["flaskscan/v1"]
    );
    assert!(scan("text").contains("  related: admin.py:37: `save_settings` checks the role here"));
}

#[test]
fn json_and_github_and_markdown_formats() {
    let app = snapshot_app();
    let json = flaskscan(&["scan", ".", "--format", "json"], &app);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, vec!["FS102", "FS506", "FS101"]);
    assert_eq!(doc["findings"][1]["suppressed"], true);
    assert_eq!(doc["notifications"][0]["path"], "broken.py");

    let gh = stdout(&flaskscan(&["scan", ".", "--format", "github"], &app));
    assert!(gh.starts_with("::error file=app.py,line="), "{gh}");
    assert!(
        !gh.contains("FS404"),
        "suppressed findings are not annotated"
    );

    let md = stdout(&flaskscan(&["scan", ".", "--format", "markdown"], &app));
    assert!(md.contains("| high | 2 |"), "{md}");
}

#[test]
fn exit_codes_follow_fail_on() {
    let app = snapshot_app();
    assert_eq!(
        flaskscan(&["scan", ".", "--fail-on", "critical"], &app)
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        flaskscan(&["scan", ".", "--fail-on", "none"], &app)
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        flaskscan(&["scan", ".", "--fail-on", "low"], &app)
            .status
            .code(),
        Some(1)
    );
    // Suppressed findings do not count: only FS404 (medium) is suppressed here.
    assert_eq!(
        flaskscan(
            &["scan", ".", "--select", "FS404", "--fail-on", "low"],
            &app
        )
        .status
        .code(),
        Some(0)
    );
    let fixed = flaskscan(&["scan", "examples/flask-app-fixed"], &manifest_dir());
    assert_eq!(fixed.status.code(), Some(0), "{}", stdout(&fixed));
    assert!(stdout(&fixed).contains("No findings"));
}

#[test]
fn select_and_ignore() {
    let app = snapshot_app();
    let only = stdout(&flaskscan(
        &["scan", ".", "--select", "FS101", "--format", "json"],
        &app,
    ));
    assert!(only.contains("FS101") && !only.contains("FS102"));
    let without = stdout(&flaskscan(
        &[
            "scan",
            ".",
            "--ignore",
            "FS1",
            "--format",
            "json",
            "--show-suppressed",
        ],
        &app,
    ));
    assert!(!without.contains("\"FS101\"") && !without.contains("\"FS102\""));
}

#[test]
fn usage_and_config_errors_exit_2_with_one_line() {
    let app = snapshot_app();
    let bad_rule = flaskscan(&["scan", ".", "--select", "XX1"], &app);
    assert_eq!(bad_rule.status.code(), Some(2));
    assert!(stderr(&bad_rule).contains("names no rule"));
    let missing = flaskscan(&["scan", "no/such/dir"], &app);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no such file"));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[tool.flaskscan]\nfail-on = \"often\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("app.py"), "x = 1\n").unwrap();
    let bad = flaskscan(&["scan", "."], dir.path());
    assert_eq!(bad.status.code(), Some(2));
    let err = stderr(&bad);
    assert!(
        err.contains("pyproject.toml") && err.contains("fail-on") && err.contains("expected"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn config_file_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("flaskscan.toml"),
        "ignore = [\"FS101\", \"FS102\"]\nexclude = [\"vendored\"]\n[severity]\nFS109 = \"critical\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("app.py"), "from flask import Flask\napp = Flask(__name__)\napp.secret_key = 'x'\napp.run(host='0.0.0.0', debug=True)\n").unwrap();
    std::fs::create_dir(dir.path().join("vendored")).unwrap();
    std::fs::write(
        dir.path().join("vendored/lib.py"),
        "import flask\nflask.Flask(__name__).run(debug=True)\n",
    )
    .unwrap();
    let out = flaskscan(&["scan", ".", "--format", "json"], dir.path());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(found, vec![("FS109".to_string(), "critical".to_string())]);
}

#[test]
fn rules_and_rule_commands() {
    let list = stdout(&flaskscan(&["rules"], &manifest_dir()));
    assert!(list.contains("FS101") && list.contains("debug-mode-enabled"));
    let json: serde_json::Value =
        serde_json::from_slice(&flaskscan(&["rules", "--format", "json"], &manifest_dir()).stdout)
            .unwrap();
    assert_eq!(json.as_array().unwrap().len(), flaskscan::rules::ALL.len());
    let one = stdout(&flaskscan(&["rule", "fs101"], &manifest_dir()));
    assert!(one.contains("Flagged:") && one.contains("Fixed:") && one.contains("Fix:"));
    assert_eq!(
        flaskscan(&["rule", "FS999"], &manifest_dir()).status.code(),
        Some(2)
    );
}

#[test]
fn readme_rule_table_is_current() {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).unwrap();
    let table = flaskscan::cli::rules_markdown();
    assert!(
        readme.contains(&table),
        "README.md's rule table is stale; replace it with the output of `flaskscan rules --format markdown`"
    );
}

#[test]
fn hostile_input_becomes_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(
        p.join("good.py"),
        "from flask import Flask\nFlask(__name__).run(debug=True)\n",
    )
    .unwrap();
    std::fs::write(p.join("binary.py"), b"\x00\x01\x02ELF\x00").unwrap();
    std::fs::write(p.join("latin.py"), b"x = '\xe9\xe8'\n").unwrap();
    std::fs::write(
        p.join("cookie.py"),
        b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
    )
    .unwrap();
    std::fs::write(p.join("syntax.py"), "def f(:\n  return [\n").unwrap();
    std::fs::write(p.join("huge.py"), "x = 1\n".repeat(500_000)).unwrap();
    // 5,000 nested brackets and a 100,000-term expression: deep trees must not crash the scan.
    std::fs::write(
        p.join("deep.py"),
        format!("x = {}1{}\n", "(".repeat(5000), ")".repeat(5000)),
    )
    .unwrap();
    std::fs::write(
        p.join("long.py"),
        format!("x = {}1\n", "1 + ".repeat(100_000)),
    )
    .unwrap();
    std::fs::write(p.join("templates.html"), b"\x00\xff").unwrap();
    #[cfg(unix)]
    {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(
            outside.path().join("secret.py"),
            "from flask import Flask\nFlask(__name__).run(debug=True)\n",
        )
        .unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.py"), p.join("link.py")).unwrap();
        std::os::unix::fs::symlink(outside.path(), p.join("linkdir")).unwrap();
    }
    let out = flaskscan(&["scan", ".", "--format", "json"], p);
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "the good file's finding still counts: {err}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        findings,
        vec!["good.py"],
        "nothing from outside the root, nothing from bad files"
    );
    let notes = doc["notifications"].to_string();
    for expected in ["binary.py", "latin.py", "syntax.py", "huge.py", "link.py"] {
        assert!(
            notes.contains(expected),
            "no notification for {expected}: {notes}"
        );
    }
    assert!(
        !notes.contains("cookie.py"),
        "a PEP 263 cookie makes Latin-1 readable: {notes}"
    );
    let sarif = flaskscan(&["scan", ".", "--format", "sarif"], p);
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let notifications = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert!(notifications.as_array().unwrap().len() >= 5);
    assert!(sarif_errors(&log).is_empty());
}

#[test]
fn test_code_is_reported_only_with_include_tests() {
    let dir = tempfile::tempdir().unwrap();
    let risky = "import yaml\nfrom flask import Flask\n\nPASSWORD = \"Tr0ub4dor&3\"\napp = Flask(__name__)\napp.run(debug=True)\nyaml.load(open('x').read())\n";
    std::fs::write(dir.path().join("app.py"), risky).unwrap();
    std::fs::create_dir(dir.path().join("tests")).unwrap();
    std::fs::write(dir.path().join("tests/test_app.py"), risky).unwrap();
    std::fs::write(
        dir.path().join("tests/test_views.py"),
        "import os\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n@app.route('/run')\ndef run():\n    os.system(request.args['cmd'])\n    return 'ok'\n",
    )
    .unwrap();
    let rules_in = |path: &str| -> Vec<String> {
        let out = stdout(&flaskscan(&["scan", ".", "--format", "json"], dir.path()));
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"] == path)
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let app = rules_in("app.py");
    for rule in ["FS101", "FS402"] {
        assert!(
            app.iter().any(|r| r == rule),
            "{rule} missing in app.py: {app:?}"
        );
    }
    // Neither pattern nor taint findings in test code by default...
    assert_eq!(rules_in("tests/test_app.py"), Vec::<String>::new());
    assert_eq!(rules_in("tests/test_views.py"), Vec::<String>::new());
    // ...and all of them with `include-tests`.
    std::fs::write(dir.path().join("flaskscan.toml"), "include-tests = true\n").unwrap();
    assert!(rules_in("tests/test_app.py").iter().any(|r| r == "FS101"));
    assert!(rules_in("tests/test_views.py").iter().any(|r| r == "FS203"));
}

#[test]
fn declared_sanitizers_clear_their_rules_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("shelf")).unwrap();
    std::fs::write(dir.path().join("shelf/__init__.py"), "").unwrap();
    // A check flaskscan cannot read as one: the library decides through a lookup table.
    std::fs::write(
        dir.path().join("shelf/paths.py"),
        "import os\n\nfrom .catalogue import catalogue\n\ndef inside_library(name):\n    path = os.path.join('/srv/books', name)\n    if not catalogue.holds(path):\n        raise LookupError(name)\n    return path\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("shelf/views.py"),
        "from flask import Flask, request, send_file\n\nfrom .paths import inside_library\n\napp = Flask(__name__)\n\n@app.route('/book')\ndef book():\n    return send_file(inside_library(request.args['name']))\n\n@app.route('/where')\ndef where():\n    return '<p>' + inside_library(request.args['name']) + '</p>'\n",
    )
    .unwrap();
    let rules = || -> Vec<String> {
        let out = stdout(&flaskscan(
            &["scan", ".", "--select", "FS502,FS301", "--format", "json"],
            dir.path(),
        ));
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(rules(), ["FS502", "FS301"]);
    // Declared for path traversal by its module tail: the path sink is cleared, nothing else.
    std::fs::write(
        dir.path().join("flaskscan.toml"),
        "[sanitizers]\n\"paths.inside_library\" = [\"FS502\"]\n",
    )
    .unwrap();
    assert_eq!(rules(), ["FS301"]);
    // A rule that is not about a sink is refused with the key named.
    std::fs::write(
        dir.path().join("flaskscan.toml"),
        "[sanitizers]\n\"paths.inside_library\" = [\"FS101\"]\n",
    )
    .unwrap();
    let out = flaskscan(&["scan", "."], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("sanitizers"), "{}", stderr(&out));
}

#[test]
fn line_hashes_are_of_the_file_as_github_reads_it() {
    // A BOM and a Latin-1 file decode to text that differs from their bytes; GitHub hashes the
    // bytes, so the hash of the flagged line must match that of the raw file.
    let dir = tempfile::tempdir().unwrap();
    let bom = b"\xEF\xBB\xBFPASSWORD = \"Tr0ub4dor&3\"\n".to_vec();
    let latin1 = b"# -*- coding: latin-1 -*-\nAPI_TOKEN = \"caf\xE9-9f8e7d6c5b4a3210\"\n".to_vec();
    std::fs::write(dir.path().join("bom.py"), &bom).unwrap();
    std::fs::write(dir.path().join("latin.py"), &latin1).unwrap();
    let out = stdout(&flaskscan(&["scan", ".", "--format", "sarif"], dir.path()));
    let log: serde_json::Value = serde_json::from_str(&out).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    for (name, bytes, line) in [("bom.py", &bom, 1usize), ("latin.py", &latin1, 2)] {
        let result = results
            .iter()
            .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == name)
            .unwrap_or_else(|| panic!("no finding in {name}: {out}"));
        let expected = &flaskscan::report::fingerprint::line_hashes(bytes)[line];
        assert_eq!(
            result["partialFingerprints"]["primaryLocationLineHash"],
            expected.as_str(),
            "{name}"
        );
    }
}

#[test]
fn audit_rules_run_only_when_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.py"),
        "import hashlib\nimport requests\n\nETAG = hashlib.md5(b'x').hexdigest()\nrequests.get('https://example.com', verify=False)\n",
    )
    .unwrap();
    let rules = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["scan", ".", "--format", "json"];
        all.extend(args);
        let out = stdout(&flaskscan(&all, dir.path()));
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(rules(&[]), ["FS506"], "the default suite");
    assert_eq!(
        rules(&["--select", "FS4,FS5"]),
        ["FS506"],
        "prefixes keep to it"
    );
    assert_eq!(rules(&["--select", "FS404"]), ["FS404"]);
    assert_eq!(rules(&["--select", "ALL"]), ["FS404", "FS506"]);
    assert_eq!(rules(&["--extend-select", "FS404"]), ["FS404", "FS506"]);
    std::fs::write(
        dir.path().join("flaskscan.toml"),
        "extend-select = [\"FS404\"]\n",
    )
    .unwrap();
    assert_eq!(
        rules(&[]),
        ["FS404", "FS506"],
        "extend-select in the config"
    );
    let listing = stdout(&flaskscan(&["rules"], dir.path()));
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("FS404") && l.contains(" audit ")),
        "{listing}"
    );
}

/// `(rule, line)` of the JSON findings of the `rules` a scan of `dir` with `args` reports.
fn finding_lines(dir: &Path, args: &[&str], rules: &[&str]) -> Vec<(String, u64)> {
    let mut all = vec!["scan", ".", "--format", "json", "--no-deps"];
    all.extend(args);
    let out = stdout(&flaskscan(&all, dir));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .filter(|(rule, _)| rules.contains(&rule.as_str()))
        .collect()
}

/// FS410 is linked: exception text known to reveal internals (tracebacks, database, driver and
/// operating-system errors, a broad handler around database or filesystem work) is a default
/// finding; other exception text (an outbound call's error shown to the operator) is audit.
#[test]
fn exception_text_of_outbound_calls_is_an_audit_finding() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.py"),
        r#"import traceback

import requests
from flask import Flask, jsonify
from sqlalchemy.exc import OperationalError

from store import db, read_settings

app = Flask(__name__)


@app.post("/save")
def save():
    try:
        db.session.commit()
    except OperationalError as e:
        return jsonify(error=str(e))
    return jsonify(ok=True)


@app.post("/delete")
def delete():
    try:
        db.session.delete(1)
        db.session.commit()
    except Exception as e:
        return jsonify(error=str(e))
    return jsonify(ok=True)


@app.get("/settings")
def settings():
    try:
        return jsonify(read_settings())
    except Exception as e:
        return jsonify(error=str(e))


@app.get("/crash")
def crash():
    try:
        return jsonify(read_settings())
    except Exception:
        return traceback.format_exc(), 500


@app.get("/check-update")
def check_update():
    try:
        r = requests.get("https://api.example.com/releases", timeout=10)
        r.raise_for_status()
    except requests.exceptions.HTTPError as e:
        return jsonify(message="HTTP error " + str(e))
    return jsonify(r.json())


@app.post("/test-notification")
def test_notification():
    try:
        send_test_message()
    except Exception as e:
        return str(e), 400
    return "sent"


def send_test_message():
    requests.post("https://hooks.example.com/notify", json={"text": "test"}, timeout=10)
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("store.py"),
        "db = None


def read_settings():
    with open('settings.json') as f:
        return f.read()
",
    )
    .unwrap();
    let lines = |args: &[&str]| -> Vec<u64> {
        finding_lines(dir.path(), args, &["FS410"])
            .into_iter()
            .map(|(_, line)| line)
            .collect()
    };
    assert_eq!(lines(&[]), [17, 27, 36, 44], "the default suite");
    assert_eq!(lines(&["--select", "FS4"]), [17, 27, 36, 44], "a prefix");
    assert_eq!(
        lines(&["--select", "FS410"]),
        [17, 27, 36, 44, 53, 62],
        "named, with the audit part"
    );
}

/// A flow through a library call the analysis has no model for (it assumes the call hands back
/// what it is given) is the audit part of its rule: `client.authorize_redirect(...)` answers a
/// redirect, `searcher.search(q)` stored records. Flows through modelled steps (text methods,
/// the standard library, a nested function, a method a schema class inherits) stay default.
#[test]
fn flows_through_unmodelled_library_calls_are_audit_findings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.py"),
        r#"import base64
import os

from flask import Flask, request
from marshmallow import Schema, fields
from markupsafe import Markup

from auth import oauth
from search import searcher

app = Flask(__name__)


class JobSchema(Schema):
    name = fields.Str()


@app.route("/login/<name>")
def login(name):
    client = oauth.create_client(name)
    return client.authorize_redirect("/back")


@app.route("/search")
def search():
    hits = searcher.search(request.args["q"])
    return Markup(hits[0])


@app.route("/greet/<name>")
def greet(name):
    return "<p>" + name.strip().title() + "</p>"


@app.route("/decode")
def decode():
    return base64.b64decode(request.args["d"]).decode()


@app.route("/wrap")
def wrap():
    def bold(text):
        return "<b>" + text + "</b>"

    return bold(request.args["q"])


@app.post("/job")
def job():
    data = JobSchema().load(request.get_json())
    os.system("enqueue " + data["name"])
    return "ok"
"#,
    )
    .unwrap();
    let lines = |args: &[&str]| finding_lines(dir.path(), args, &["FS301", "FS203"]);
    let found = |pairs: &[(&str, u64)]| -> Vec<(String, u64)> {
        pairs.iter().map(|(r, l)| (r.to_string(), *l)).collect()
    };
    assert_eq!(
        lines(&[]),
        found(&[("FS301", 32), ("FS301", 37), ("FS301", 45), ("FS203", 51)]),
        "the default suite"
    );
    assert_eq!(
        lines(&["--select", "FS301,FS203"]),
        found(&[
            ("FS301", 21),
            ("FS301", 27),
            ("FS301", 32),
            ("FS301", 37),
            ("FS301", 45),
            ("FS203", 51)
        ]),
        "named, with the guessed flows"
    );
}

/// Scans one written Python file and checks the lines `rule` reports in the default suite and
/// when the rule is named (its audit part included).
fn check_audit_split(file: &str, source: &str, rule: &str, default: &[u64], named: &[u64]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), source).unwrap();
    let lines = |args: &[&str]| -> Vec<u64> {
        finding_lines(dir.path(), args, &[rule])
            .into_iter()
            .map(|(_, line)| line)
            .collect()
    };
    assert_eq!(lines(&[]), default, "the default suite");
    assert_eq!(lines(&["--select", rule]), named, "named");
}

/// An operating-system exception class the application raises itself with a message it writes
/// (`raise PermissionError(f"You may not preview {uri}")`) is its own signal: a handler relaying it
/// is audit, unless the `try` body also opens files, whose errors name paths. The same class
/// raised by an unrelated function says nothing of what a mail server's error holds.
#[test]
fn own_operating_system_errors_are_audit_findings() {
    check_audit_split(
        "app.py",
        r#"import smtplib

from flask import Flask, jsonify

app = Flask(__name__)


def preview_image(uri):
    if not uri.startswith("dashboard://"):
        raise PermissionError(f"You may not preview {uri}")
    return b""


@app.route("/preview/<uri>")
def preview(uri):
    try:
        return preview_image(uri)
    except PermissionError as e:
        return jsonify(msg=str(e)), 403


@app.route("/settings")
def settings():
    try:
        with open("/etc/app/settings.json") as f:
            return f.read()
    except PermissionError as e:
        return jsonify(msg=str(e)), 403


def bundle():
    raise OSError("Error bundling the application")


@app.route("/mail")
def mail():
    try:
        smtplib.SMTP("mail.internal").sendmail("a@example.com", ["b@example.com"], "hi")
    except OSError as e:
        return jsonify(msg=str(e)), 503
    return "sent"
"#,
        "FS410",
        &[28, 40],
        &[19, 28, 40],
    );
}

/// Two guessed steps: `EditView().get(kind, id)` is a library view's handler (a method of the
/// object its class made), not a mapping lookup handing back its default; and request data after
/// a literal `?` moves the URL only when an earlier piece carries it too, which here it does only
/// through a library service's answer. Both are audit findings; the same data glued to the front
/// of the URL stays default.
#[test]
fn library_methods_and_guessed_prefixes_are_audit_findings() {
    check_audit_split(
        "views.py",
        r#"from flask import Blueprint, abort, redirect, request
from ckan.views.dataset import EditView
from invenio_records_resources.proxies import current_service

bp = Blueprint("x", __name__)


@bp.route("/dataset/edit/<id>")
def edit(id):
    return EditView().get("dataset", id)


@bp.route("/access")
def access():
    token = request.args.get("access_request_token")
    access_request = current_service.access.create_guest_access_request(token=token)
    if access_request is None:
        abort(404)
    return redirect(f"{access_request.links['self_html']}?access_request_token={token}")


@bp.route("/direct")
def direct():
    token = request.args.get("token")
    return redirect(f"{token}?access_request_token={token}")
"#,
        "FS501",
        &[25],
        &[19, 25],
    );
    check_audit_split(
        "views.py",
        r#"from flask import Blueprint
from ckan.views.dataset import EditView

bp = Blueprint("x", __name__)


@bp.route("/dataset/edit/<id>")
def edit(id):
    return EditView().get("dataset", id)


@bp.route("/lookup/<id>")
def lookup(id):
    return {"a": "b"}.get("x", id)
"#,
        "FS301",
        &[14],
        &[9, 14],
    );
}

/// FS502's listing sinks (`os.listdir`, `os.scandir`) reveal names, not content: on real
/// applications they are folder choosers for privileged users, so their flows are audit
/// findings, also through a helper; opening or deleting the same path stays default.
#[test]
fn folder_listings_are_audit_path_findings() {
    check_audit_split(
        "app.py",
        r#"import os

from flask import Flask, request

app = Flask(__name__)


def entries(folder):
    return sorted(e.name for e in os.scandir(folder))


@app.route("/browse")
def browse():
    return {"names": os.listdir(request.args["dir"])}


@app.route("/browse-helper")
def browse_helper():
    return {"names": entries(request.args["dir"])}


@app.route("/read")
def read():
    with open(request.args["path"]) as fh:
        return fh.read()
"#,
        "FS502",
        &[24],
        &[9, 14, 24],
    );
}

/// FS504 is linked: deserialising request data is a default finding; a full YAML loader on a
/// file the operator or the package supplies (logging config, locale files) is audit.
#[test]
fn yaml_of_local_files_is_an_audit_deserialisation_finding() {
    check_audit_split(
        "app.py",
        r#"import os

import yaml
from flask import Flask, request

app = Flask(__name__)


def logging_config():
    with open(os.environ.get("LOG_CONFIG_FILE", "logging.yml")) as fh:
        return yaml.load(fh, Loader=yaml.FullLoader)


@app.post("/import")
def import_settings():
    return yaml.load(request.get_data(), Loader=yaml.Loader)
"#,
        "FS504",
        &[16],
        &[11, 16],
    );
}

/// FS112: an `Environment` without autoescape (how pages are served) is a default finding; a
/// `Template` compiled from one string (configuration, documents, prompts) is audit.
#[test]
fn string_templates_are_audit_autoescape_findings() {
    check_audit_split(
        "app.py",
        r#"import jinja2
from flask import Flask

app = Flask(__name__)
pages = jinja2.Environment(loader=jinja2.FileSystemLoader("templates"))
COMPS = "<comps>{{ group }}</comps>"


@app.route("/")
def index():
    return pages.get_template("index.html").render()


def comps_xml(group):
    return jinja2.Template(COMPS).render(group=group)
"#,
        "FS112",
        &[5],
        &[5, 15],
    );
}

/// FS506: an HTTP client's `verify=False` and a `cert_reqs=ssl.CERT_NONE` argument are default
/// findings; an `SSLContext` weakened by hand (a peer without a public identity) is audit.
#[test]
fn hand_made_tls_contexts_are_audit_findings() {
    check_audit_split(
        "client.py",
        r#"import socket
import ssl

import requests


def fetch(url):
    return requests.get(url, verify=False, timeout=5).text


def peer(host, port):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context.wrap_socket(socket.create_connection((host, port)))


def irc(sock):
    return ssl.wrap_socket(sock, cert_reqs=ssl.CERT_NONE)
"#,
        "FS506",
        &[8, 19],
        &[8, 14, 19],
    );
}

/// D14: another tool's malformed `automationDetails` must not make the merged log invalid.
#[test]
fn merge_repairs_invalid_automation_details() {
    let dir = tempfile::tempdir().unwrap();
    let run = |details: serde_json::Value| {
        serde_json::json!({"tool": {"driver": {"name": "other"}}, "results": [],
            "automationDetails": details})
    };
    let log = serde_json::json!({"version": "2.1.0", "runs": [
        run(serde_json::json!("not an object")),
        run(serde_json::json!({"id": 5, "guid": "nope", "description": "text"})),
        run(serde_json::json!({"id": "keep/", "guid": "8c2d4a10-1b2c-4d3e-9f00-aabbccddeeff"})),
    ]});
    std::fs::write(dir.path().join("other.sarif"), log.to_string()).unwrap();
    let out = flaskscan(&["merge", "other.sarif", "-o", "merged.sarif"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let merged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("merged.sarif")).unwrap())
            .unwrap();
    assert!(
        sarif_errors(&merged).is_empty(),
        "{:?}",
        sarif_errors(&merged)
    );
    let ids: Vec<&str> = merged["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["automationDetails"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["other/", "other-2/", "keep/"]);
    assert_eq!(
        merged["runs"][2]["automationDetails"]["guid"],
        "8c2d4a10-1b2c-4d3e-9f00-aabbccddeeff"
    );
}

#[test]
fn version_names_the_commit_and_the_embedded_advisory_snapshot() {
    let out = flaskscan(&["--version"], &manifest_dir());
    assert!(out.status.success());
    let text = stdout(&out);
    let snapshot = flaskscan::deps::sources::snapshot::embedded().unwrap();
    let expected = format!("flaskscan {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(text.starts_with(&expected), "{text}");
    assert!(
        text.contains(&format!("advisory snapshot {})", snapshot.date)),
        "{text}"
    );
}

#[test]
fn a_list_of_files_checks_every_template_it_names() {
    // Scanned whole, the folder shows no code renders `leftover.html`; handed file by file (as
    // a pre-commit hook does), the code that renders it may be among the files left out.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("shop/templates")).unwrap();
    std::fs::write(
        dir.path().join("shop/__init__.py"),
        "from flask import Flask, render_template\napp = Flask(__name__)\n\n@app.route('/')\ndef index():\n    return render_template('index.html')\n",
    )
    .unwrap();
    let script = "<script src=\"https://cdn.jsdelivr.net/npm/lib@1/lib.js\"></script>\n";
    std::fs::write(dir.path().join("shop/templates/index.html"), script).unwrap();
    std::fs::write(dir.path().join("shop/templates/leftover.html"), script).unwrap();
    let flagged = |args: &[&str]| -> Vec<String> {
        let out = flaskscan(args, dir.path());
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut paths: Vec<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "FS306")
            .map(|f| {
                let path = f["path"].as_str().unwrap();
                path.rsplit('/').next().unwrap_or(path).to_string()
            })
            .collect();
        paths.sort();
        paths
    };
    let common = ["--no-deps", "--format", "json", "--fail-on", "none"];
    let whole: Vec<&str> = ["scan", "."].into_iter().chain(common).collect();
    assert_eq!(flagged(&whole), vec!["index.html"]);
    let files: Vec<&str> = ["scan", "shop/__init__.py", "shop/templates/leftover.html"]
        .into_iter()
        .chain(common)
        .collect();
    assert_eq!(flagged(&files), vec!["leftover.html"]);
}
