//! Fixes: every rule fixture whose findings carry a fix has a fixed twin in
//! `tests/fixtures/fixes/` (the fixture with every fix applied) that must parse and no longer
//! have the fixed findings; `--fix` and `--diff` work on the demo app.
//!
//! `FLASKSCAN_BLESS_FIXES=1 cargo test --test fixes` writes the twins after a deliberate change;
//! review them like any snapshot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use flaskscan::finding::Finding;
use flaskscan::fix;
use flaskscan::scan::{self, ScanOptions, ScanReport};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scan_all(root: &Path, target: &Path) -> ScanReport {
    let options = ScanOptions {
        paths: vec![target.to_path_buf()],
        root: Some(root.to_path_buf()),
        select: vec!["ALL".into()],
        threads: Some(1),
        ..ScanOptions::default()
    };
    scan::run(&options).expect("scan runs")
}

fn fixable(report: &ScanReport) -> Vec<&Finding> {
    report.active().filter(|f| f.autofix.is_some()).collect()
}

fn parses(text: &str) -> bool {
    ruff_python_parser::parse_module(text).is_ok()
}

#[test]
fn every_fixable_fixture_has_a_fixed_twin_that_parses_and_is_clean() {
    let rules_dir = manifest_dir().join("tests/fixtures/rules");
    let twins_dir = manifest_dir().join("tests/fixtures/fixes");
    let bless = std::env::var_os("FLASKSCAN_BLESS_FIXES").is_some();
    let mut problems = Vec::new();
    let mut twins_used = BTreeSet::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&rules_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let report = scan_all(&rules_dir, &file);
        let found = fixable(&report);
        if found.is_empty() {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let fixed = fix::apply_to_text(&text, &found);
        assert_eq!(fixed.fixed.len(), found.len(), "{name}: overlapping fixes");
        let twin_name = name.replace(".py", ".fixed.py");
        let twin = twins_dir.join(&twin_name);
        twins_used.insert(twin_name.clone());
        if bless {
            std::fs::write(&twin, &fixed.text).unwrap();
        }
        match std::fs::read_to_string(&twin) {
            Ok(expected) if expected == fixed.text => {}
            Ok(_) => problems.push(format!("{twin_name}: differs from {name} with its fixes applied (FLASKSCAN_BLESS_FIXES=1 rewrites it)")),
            Err(_) => problems.push(format!("{name} has fixes but no twin {twin_name}")),
        }
        if !parses(&fixed.text) {
            problems.push(format!("{name}: the fixed text does not parse"));
        }
        // The twin, scanned in the fixture's place, no longer has the fixed findings.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(&name), &fixed.text).unwrap();
        let after = scan_all(dir.path(), &dir.path().join(&name));
        for f in &found {
            let line = f.location.start.line;
            if after
                .active()
                .any(|g| g.rule.id == f.rule.id && g.location.start.line == line)
            {
                problems.push(format!(
                    "{name}:{line}: {} is still reported after its fix",
                    f.rule.id
                ));
            }
        }
    }
    for entry in std::fs::read_dir(&twins_dir).unwrap().flatten() {
        let twin = entry.file_name().to_string_lossy().into_owned();
        if !twins_used.contains(&twin) {
            problems.push(format!("{twin}: no fixture with fixes matches this twin"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_that_fixes_anywhere_has_a_twin() {
    // Fixes found in any fixture (folders and taint fixtures too) must belong to rules whose
    // fixes the twins above pin down.
    let mut with_twin = BTreeSet::new();
    for entry in std::fs::read_dir(manifest_dir().join("tests/fixtures/fixes"))
        .unwrap()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().to_uppercase();
        with_twin.insert(name[..5].to_string());
    }
    let mut missing = BTreeSet::new();
    for dir in ["tests/fixtures/rules", "tests/fixtures/taint"] {
        let root = manifest_dir().join(dir);
        for entry in std::fs::read_dir(&root).unwrap().flatten() {
            let report = scan_all(&root, &entry.path());
            for f in fixable(&report) {
                if !with_twin.contains(f.rule.id) {
                    missing.insert(f.rule.id);
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fixable rules without a fixed twin: {missing:?}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn flaskscan(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flaskscan"))
        .args(args)
        .env("FLASKSCAN_OSV_URL", "http://127.0.0.1:9")
        .output()
        .unwrap()
}

#[test]
fn fix_on_the_demo_app_leaves_code_that_parses_without_those_findings() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("flask-app");
    copy_dir(&manifest_dir().join("examples/flask-app"), &app);
    let app_arg = app.to_str().unwrap();
    let before = scan_all(&app, &app);
    let fixable: Vec<(String, u32, String)> = fixable(&before)
        .iter()
        .map(|f| {
            (
                f.location.path.clone(),
                f.location.start.line,
                f.rule.id.to_string(),
            )
        })
        .collect();
    assert!(fixable.len() >= 4, "{fixable:?}");

    let diff = flaskscan(&["scan", app_arg, "--diff", "--no-deps"]);
    assert_eq!(
        diff.status.code(),
        Some(1),
        "--diff exits 1 when there are fixes"
    );
    let diff_text = String::from_utf8_lossy(&diff.stdout);
    assert!(diff_text.contains("+++ b/run.py"), "{diff_text}");
    assert!(
        diff_text.contains("+    app.run(host=\"0.0.0.0\", debug=False)"),
        "{diff_text}"
    );
    let untouched = std::fs::read_to_string(app.join("run.py")).unwrap();
    assert!(untouched.contains("debug=True"), "--diff writes nothing");

    let out = flaskscan(&["scan", app_arg, "--fix", "--no-deps", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("fixed {} finding(s)", fixable.len())),
        "{stderr}"
    );
    // The report after --fix lists what remains, not what was fixed.
    let remaining: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let remaining = remaining["findings"].as_array().unwrap();
    for (path, line, rule) in &fixable {
        assert!(!remaining.iter().any(|f| f["rule"] == rule.as_str()
            && f["path"] == path.as_str()
            && f["line"] == *line));
        let text = std::fs::read_to_string(app.join(path)).unwrap();
        assert!(parses(&text), "{path} does not parse after --fix");
    }
    let after = scan_all(&app, &app);
    for (path, line, rule) in &fixable {
        assert!(
            !after.active().any(|f| f.rule.id == rule
                && &f.location.path == path
                && f.location.start.line == *line),
            "{rule} at {path}:{line} survived --fix"
        );
    }
    // Nothing left to fix: a second run changes nothing.
    let again = flaskscan(&["scan", app_arg, "--diff", "--no-deps"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty());
}

#[test]
fn a_file_changed_since_the_scan_is_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.py");
    std::fs::write(
        &file,
        "from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n",
    )
    .unwrap();
    let report = scan_all(dir.path(), dir.path());
    assert_eq!(fixable(&report).len(), 1);
    // Someone edits the file between the scan and the fix.
    let edited = "from flask import Flask\n\napp = Flask(__name__)\napp.run(debug=True)\n";
    std::fs::write(&file, edited).unwrap();
    let applied = fix::apply_to_files(dir.path(), &report.findings);
    assert!(applied.files.is_empty());
    assert_eq!(applied.skipped.len(), 1);
    assert!(applied.skipped[0].1.contains("changed since the scan"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);
}
