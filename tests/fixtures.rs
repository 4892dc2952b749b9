//! Annotated fixture runner: a line `# expect: FS101` (or `{# expect: FS303 #}` in templates)
//! says the next line must be flagged by that rule; any finding without such a line fails.
//!
//! Each file directly under `tests/fixtures/rules/` is scanned alone; each folder is scanned as
//! one project (for app-level and cross-module rules).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use flaskscan::scan::{self, ScanOptions};

type Expectations = BTreeMap<(String, u32), Vec<String>>;

fn expectations(root: &Path, target: &Path) -> Expectations {
    let mut out = Expectations::new();
    let files: Vec<PathBuf> = if target.is_dir() {
        walk(target)
    } else {
        vec![target.to_path_buf()]
    };
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for (i, line) in text.lines().enumerate() {
            let Some(pos) = line.find("expect:") else {
                continue;
            };
            let ids = line[pos + 7..]
                .trim()
                .trim_end_matches("#}")
                .trim_end_matches("-->")
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| s.starts_with("FS"))
                .map(str::to_string)
                .collect::<Vec<_>>();
            if !ids.is_empty() {
                let mut ids = ids;
                ids.sort();
                out.insert((rel.clone(), i as u32 + 2), ids);
            }
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn check_target(root: &Path, target: &Path) -> Vec<String> {
    // Every rule and every audit finding: fixtures test each rule's logic; which findings the
    // default suite shows is tested in `tests/cli.rs`.
    let options = ScanOptions {
        paths: vec![target.to_path_buf()],
        root: Some(root.to_path_buf()),
        select: vec!["ALL".into()],
        threads: Some(1),
        ..ScanOptions::default()
    };
    let report = scan::run(&options).expect("scan runs");
    let mut actual = Expectations::new();
    for f in report.active() {
        actual
            .entry((f.location.path.clone(), f.location.start.line))
            .or_default()
            .push(f.rule.id.to_string());
    }
    for ids in actual.values_mut() {
        ids.sort();
        ids.dedup();
    }
    let expected = expectations(root, target);
    let mut problems = Vec::new();
    for (key, ids) in &expected {
        let got = actual.get(key).cloned().unwrap_or_default();
        for id in ids {
            if !got.contains(id) {
                problems.push(format!("MISSED {id} at {}:{}", key.0, key.1));
            }
        }
    }
    for (key, ids) in &actual {
        let want = expected.get(key).cloned().unwrap_or_default();
        for id in ids {
            if !want.contains(id) {
                let msg = report
                    .findings
                    .iter()
                    .find(|f| {
                        f.rule.id == id
                            && f.location.path == key.0
                            && f.location.start.line == key.1
                    })
                    .map(|f| f.message.clone())
                    .unwrap_or_default();
                problems.push(format!("FALSE POSITIVE {id} at {}:{}: {msg}", key.0, key.1));
            }
        }
    }
    for n in &report.notifications {
        problems.push(format!("NOTIFICATION {:?}: {}", n.path, n.message));
    }
    problems
}

fn run_fixture_dir(dir: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut problems = Vec::new();
    let mut count = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for target in entries {
        count += 1;
        problems.extend(check_target(&root, &target));
    }
    assert!(count > 0, "no fixtures in {dir}");
    assert!(
        problems.is_empty(),
        "{} fixture problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn rule_fixtures() {
    run_fixture_dir("tests/fixtures/rules");
}

#[test]
fn template_fixtures() {
    run_fixture_dir("tests/fixtures/templates");
}

/// Every template rule is expected somewhere under `tests/fixtures/templates/`.
#[test]
fn every_template_rule_has_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/templates");
    let all: String = walk(&root)
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    for rule in flaskscan::rules::ALL {
        if rule.kind == flaskscan::rules::RuleKind::Template {
            assert!(
                all.contains(&format!("expect: {}", rule.id)),
                "no template fixture for {}",
                rule.id
            );
        }
    }
}

/// Every rule of the source families has a fixture file or folder naming it.
#[test]
fn every_pattern_rule_has_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_lowercase())
        .collect();
    for rule in flaskscan::rules::ALL {
        if matches!(
            rule.kind,
            flaskscan::rules::RuleKind::Pattern | flaskscan::rules::RuleKind::App
        ) {
            let prefix = rule.id.to_lowercase();
            assert!(
                names.iter().any(|n| n.starts_with(&prefix)),
                "no fixture for {}",
                rule.id
            );
        }
    }
}

#[test]
fn taint_fixtures() {
    run_fixture_dir("tests/fixtures/taint");
}
