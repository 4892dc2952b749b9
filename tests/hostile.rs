//! Hostile pull requests (issue 10's defects): files and arguments an attacker controls must not
//! leak the environment, hang, exhaust memory, or make a failed audit look clean.

use std::path::Path;
use std::process::{Command, Output};

const TOKEN: &str = "ghs_hostile_0123456789abcdef";

/// Runs the binary with a token in the environment, as the Action does.
fn flaskscan(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flaskscan"))
        .args(args)
        .env("INPUT_TOKEN", TOKEN)
        .env("FLASKSCAN_OSV_URL", "http://127.0.0.1:9")
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

fn text(o: &Output) -> String {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!all.contains(TOKEN), "the token was printed:\n{all}");
    all
}

/// The JSON report a `--format json` run printed.
fn json_report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("a JSON report on stdout")
}

fn app_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.py"),
        "from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n",
    )
    .unwrap();
    dir
}

#[cfg(unix)]
#[test]
fn config_links_out_of_the_root_are_not_read() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("pyproject.toml");
    std::fs::write(&secret, format!("INPUT_TOKEN={TOKEN}\0PATH=/bin\n")).unwrap();
    for name in ["pyproject.toml", "flaskscan.toml"] {
        let dir = app_dir();
        std::os::unix::fs::symlink(&secret, dir.path().join(name)).unwrap();
        let out = flaskscan(
            &["scan", ".", "--advisories", "offline", "--format", "json"],
            dir.path(),
        );
        let all = text(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "the scan runs with the defaults: {all}"
        );
        assert!(
            all.contains("a symbolic link that leaves its folder; not read"),
            "{all}"
        );
        assert!(all.contains("FS101"), "{all}");
    }
}

#[test]
fn toml_errors_are_one_line_without_the_file_content() {
    let dir = app_dir();
    let long = "x".repeat(5000);
    std::fs::write(
        dir.path().join("flaskscan.toml"),
        format!("select = [\"FS1\"]\nstolen = {TOKEN} {long}\n"),
    )
    .unwrap();
    let out = flaskscan(&["scan", ".", "--advisories", "offline"], dir.path());
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert_eq!(all.lines().count(), 1, "{all}");
    assert!(
        all.contains("flaskscan.toml: invalid TOML at line 2"),
        "{all}"
    );
    assert!(!all.contains("xxxx"), "content was echoed: {all}");
}

/// D12: another tool's broken pyproject.toml does not stop the scan; flaskscan's own table does.
#[test]
fn a_broken_pyproject_stops_the_scan_only_when_it_has_our_table() {
    let dir = app_dir();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[tool.black\nline-length = 88\n",
    )
    .unwrap();
    let out = flaskscan(
        &["scan", ".", "--advisories", "offline", "--format", "json"],
        dir.path(),
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("it has no [tool.flaskscan] table, so the scan uses the defaults"),
        "{all}"
    );

    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[tool.flaskscan]\nselect = [\n",
    )
    .unwrap();
    let out = flaskscan(&["scan", ".", "--advisories", "offline"], dir.path());
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert_eq!(all.lines().count(), 1, "{all}");
}

/// D8: files named on the command line are regular files of bounded size.
#[cfg(unix)]
#[test]
fn special_files_named_explicitly_are_refused() {
    let dir = app_dir();
    let out = flaskscan(&["scan", ".", "--config", "/dev/zero"], dir.path());
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("/dev/zero: cannot read: not a regular file"),
        "{all}"
    );

    let fifo = dir.path().join("fifo.toml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let out = flaskscan(&["scan", ".", "--config", "fifo.toml"], dir.path());
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let out = flaskscan(&["merge", "fifo.toml", "-o", "out.sarif"], dir.path());
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains("not a regular file"));
    }
    let out = flaskscan(&["merge", "/dev/zero", "-o", "out.sarif"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// D6: an audit that could not run exits 2 and says so, never "No findings" with exit 0.
#[test]
fn a_dependency_audit_that_cannot_run_fails_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.py"), "x = 1\n").unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "flask==3.0.3\n").unwrap();
    for args in [
        &["scan", ".", "--advisory-db", "/nonexistent"][..],
        &["scan", ".", "--advisory-db", "/dev/zero"][..],
        &["scan", ".", "--advisories", "online"][..],
    ] {
        let out = flaskscan(args, dir.path());
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {all}");
        assert!(
            all.contains("dependency audit: no advisory data"),
            "{args:?}: {all}"
        );
        assert!(all.contains("the report is incomplete"), "{args:?}: {all}");
    }
    // The same scan with the embedded data is clean and exits 0.
    let out = flaskscan(&["scan", ".", "--advisories", "offline"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// D13: a wrong type is named as such, not as a missing key.
#[test]
fn ignore_vulns_id_of_the_wrong_type_says_so() {
    let dir = app_dir();
    std::fs::write(
        dir.path().join("flaskscan.toml"),
        "[[ignore-vulns]]\nid = 5\nreason = \"x\"\n",
    )
    .unwrap();
    let out = flaskscan(&["scan", ".", "--advisories", "offline"], dir.path());
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("id must be a string"), "{all}");
}

/// D2: a marker nested 20,000 parentheses deep is a warning for its line, not a crash.
#[test]
fn deeply_nested_markers_are_refused_per_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.py"), "x = 1\n").unwrap();
    let marker = format!(
        "{}python_version > '3'{}",
        "(".repeat(20_000),
        ")".repeat(20_000)
    );
    std::fs::write(
        dir.path().join("requirements.txt"),
        format!("flask==0.12.2\nrequests==2.0.0 ; {marker}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        format!("[project]\nname = \"x\"\nversion = \"1\"\ndependencies = [\"click==8.0.0 ; {marker}\"]\n"),
    )
    .unwrap();
    let out = flaskscan(
        &["scan", ".", "--advisories", "offline", "--format", "json"],
        dir.path(),
    );
    let all = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        &all[..all.len().min(2000)]
    );
    let report = json_report(&out);
    let notes = report["notifications"].as_array().unwrap();
    for path in ["requirements.txt", "pyproject.toml"] {
        assert!(
            notes.iter().any(|n| n["path"] == path
                && n["message"]
                    .as_str()
                    .unwrap()
                    .contains("nests parentheses 20000 deep")),
            "{path}: {notes:?}"
        );
    }
    // The rest of the file is still audited: flask 0.12.2 has known advisories.
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "FS601" && f["path"] == "requirements.txt"));
}

/// D3: tens of thousands of findings on one line are capped per rule and file, with a
/// notification; frames of huge lines are left out. (Time and memory are measured by
/// `scripts/hostile-sizes.sh`, not asserted here.)
#[test]
fn findings_on_one_huge_line_are_capped_per_rule() {
    let dir = tempfile::tempdir().unwrap();
    let calls: Vec<String> = (0..3000)
        .map(|i| format!("hashlib.md5(b\"{i}\")"))
        .collect();
    std::fs::write(
        dir.path().join("a.py"),
        format!("import hashlib\nx = [{}]\n", calls.join(", ")),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("templates")).unwrap();
    let attrs: String = (0..1500)
        .map(|i| format!("<p class={{{{ x{i} }}}}>"))
        .collect();
    std::fs::write(dir.path().join("templates/t.html"), attrs).unwrap();
    let out = flaskscan(
        &[
            "scan",
            ".",
            "--select",
            "ALL",
            "--no-deps",
            "--format",
            "json",
        ],
        dir.path(),
    );
    let report = json_report(&out);
    let findings = report["findings"].as_array().unwrap();
    let count = |rule: &str| findings.iter().filter(|f| f["rule"] == rule).count();
    assert_eq!(count("FS404"), 1000);
    assert_eq!(count("FS307"), 1000);
    let notes: Vec<&str> = report["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"].as_str().unwrap())
        .collect();
    assert!(notes.contains(&"2000 more FS404 findings in this file are not reported (at most 1000 per rule and file)"), "{notes:?}");
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("500 more FS307 findings")),
        "{notes:?}"
    );
    // Fingerprints stay distinct: the occurrence number tells identical lines apart.
    let mut fps: Vec<&str> = findings
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), findings.len());
}

/// D4: nested f-strings (quadratic to parse) and brackets past 1,000 levels are refused before
/// parsing, with a warning; the other files are scanned.
#[test]
fn deeply_nested_code_is_refused_before_parsing() {
    let dir = app_dir();
    let n = 20_000;
    std::fs::write(
        dir.path().join("deep.py"),
        format!("x = {}1{}\n", "f\"{".repeat(n), "}\"".repeat(n)),
    )
    .unwrap();
    let out = flaskscan(&["scan", ".", "--no-deps", "--format", "json"], dir.path());
    let report = json_report(&out);
    let notes = report["notifications"].to_string();
    assert!(
        notes.contains("brackets or f-strings nest 20000 deep (more than 1000); file not parsed"),
        "{notes}"
    );
    assert!(
        report["findings"].to_string().contains("FS101"),
        "app.py is still scanned"
    );
}

/// D13: messages name the flag or the encoding at fault.
#[test]
fn unclear_errors_say_what_is_wrong() {
    let dir = app_dir();
    let out = flaskscan(&["scan", ".", "--threads", "100000"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("--threads 100000: expected 1 to 1024"),
        "{}",
        text(&out)
    );
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "x = 1\n".encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    std::fs::write(dir.path().join("wide.py"), utf16).unwrap();
    let out = flaskscan(&["scan", ".", "--no-deps", "--format", "json"], dir.path());
    assert!(text(&out).contains("UTF-16 text"), "{}", text(&out));
}

/// D16: a special file named explicitly is skipped with a reason (exit 2 when it was all there
/// was to scan); a scan root that is itself a link is followed, links inside it are not.
#[cfg(unix)]
#[test]
fn special_paths_and_linked_roots() {
    let out = flaskscan(&["scan", "/dev/zero"], Path::new("/"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("/dev/zero: not a regular file or folder"),
        "{}",
        text(&out)
    );

    let dir = app_dir();
    if Command::new("mkfifo")
        .arg(dir.path().join("fifo.py"))
        .status()
        .is_ok_and(|s| s.success())
    {
        let out = flaskscan(&["scan", "fifo.py"], dir.path());
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let out = flaskscan(
            &["scan", "app.py", "fifo.py", "--no-deps", "--format", "json"],
            dir.path(),
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "app.py is still scanned: {}",
            text(&out)
        );
        assert!(text(&out).contains("fifo.py: not a regular file or folder"));
    }

    let parent = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(dir.path(), parent.path().join("linked")).unwrap();
    let out = flaskscan(
        &["scan", "linked", "--no-deps", "--format", "json"],
        parent.path(),
    );
    let report = json_report(&out);
    assert_eq!(report["findings"][0]["path"], "app.py", "{}", text(&out));
    assert_eq!(out.status.code(), Some(1));
}

/// D9: past the call-depth bound a flow is not lost silently: a warning names the function.
#[test]
fn a_call_chain_past_the_depth_bound_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut code = String::from("from flask import Flask, request\napp = Flask(__name__)\n");
    for i in 0..30 {
        code.push_str(&format!("def f{i}(x):\n    return f{}(x)\n", i + 1));
    }
    code.push_str("def f30(x):\n    return eval(x)\n@app.route('/')\ndef v():\n    f0(request.args['q'])\n    return 'ok'\n");
    std::fs::write(dir.path().join("app.py"), code).unwrap();
    let out = flaskscan(&["scan", ".", "--no-deps", "--format", "json"], dir.path());
    let report = json_report(&out);
    let notes = report["notifications"].to_string();
    assert!(
        notes.contains("is reached only through a chain of more than 16 project function calls"),
        "{notes}"
    );
}
