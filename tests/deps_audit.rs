//! The dependency audit end to end on the fixtures in `tests/fixtures/deps/`, offline.
//!
//! `osv/` holds small OSV records reduced from real PyPA/GHSA advisories (facts only), including the
//! hard cases: unsorted events, a withdrawn record, `last_affected`, a pre-release fix, two intervals,
//! a PYSEC/GHSA alias pair, display-case package names and an unparsable `fixed` version.

use std::path::{Path, PathBuf};

use flaskscan::deps::{audit, AdvisoryMode, IgnoreVuln, Options, Outcome, Spec};
use flaskscan::finding::{Finding, NotificationLevel, Severity};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deps")
}

fn offline() -> Options {
    Options {
        mode: AdvisoryMode::Offline,
        advisory_db: Some(fixtures().join("osv")),
        no_cache: true,
        today: Some("2025-01-01".into()),
        ..Options::default()
    }
}

fn run(dir: &Path, manifests: &[&str], options: &Options) -> Outcome {
    let manifests: Vec<PathBuf> = manifests.iter().map(PathBuf::from).collect();
    audit(dir, &manifests, options)
}

fn at<'a>(o: &'a Outcome, rule: &str, path: &str, line: u32) -> Vec<&'a Finding> {
    o.findings
        .iter()
        .filter(|f| f.rule.id == rule && f.location.path == path && f.location.start.line == line)
        .collect()
}

/// The vulnerability ids of FS601 findings at a line, primary ids sorted.
fn vulns(o: &Outcome, path: &str, line: u32) -> Vec<String> {
    let mut ids: Vec<String> = at(o, "FS601", path, line)
        .iter()
        .map(|f| {
            let after = f.message.split("vulnerability: ").nth(1).unwrap();
            after.split([' ', ';']).next().unwrap().to_string()
        })
        .collect();
    ids.sort();
    ids
}

fn notes_at(o: &Outcome, path: &str, line: u32) -> Vec<String> {
    o.notifications
        .iter()
        .filter(|n| n.path.as_deref() == Some(path) && n.line == Some(line))
        .map(|n| n.message.clone())
        .collect()
}

fn traps() -> Outcome {
    run(
        &fixtures().join("traps"),
        &[
            "requirements.txt",
            "requirements-base.txt",
            "nested/requirements-extra.txt",
        ],
        &offline(),
    )
}

#[test]
fn requirements_traps_pinned_findings() {
    let o = traps();
    let r = "requirements.txt";
    assert_eq!(
        o.source,
        format!(
            "local advisory database {}",
            fixtures().join("osv").display()
        )
    );
    // Include: reported once, at its own file and line, with the include site.
    let pyjwt: Vec<_> = o
        .findings
        .iter()
        .filter(|f| f.message.starts_with("pyjwt"))
        .collect();
    assert_eq!(pyjwt.len(), 1, "{pyjwt:#?}");
    assert_eq!(pyjwt[0].location.path, "requirements-base.txt");
    assert_eq!(pyjwt[0].location.start.line, 1);
    assert!(pyjwt[0].message.contains("PYSEC-2022-202"));
    assert!(
        pyjwt[0].message.contains("(via requirements.txt:4)"),
        "{}",
        pyjwt[0].message
    );
    // Alias merge: PYSEC-2023-62 and GHSA-m2qf-hxjv-5gpq are one finding naming both.
    let flask = at(&o, "FS601", r, 7);
    assert_eq!(flask.len(), 1);
    assert!(
        flask[0]
            .message
            .contains("PYSEC-2023-62 (GHSA-m2qf-hxjv-5gpq, CVE-2023-30861)"),
        "{}",
        flask[0].message
    );
    assert!(flask[0].message.contains("fixed in 2.2.5"));
    assert_eq!(
        flask[0].severity,
        Severity::High,
        "CVSS 7.5 from the GHSA record"
    );
    assert_eq!(flask[0].snippet, "Flask==2.2.0  # trailing comment");
    assert_eq!(flask[0].location.end.column, 33);
    assert!(flask[0].fix.contains("2.2.5"));
    // Markers are kept and said.
    assert_eq!(
        vulns(&o, r, 8),
        [
            "GHSA-2g68-c3qc-8985",
            "PYSEC-2023-221",
            "PYSEC-2023-57",
            "PYSEC-2023-58"
        ]
    );
    assert!(at(&o, "FS601", r, 8)[0]
        .message
        .contains("conditional: only when python_full_version >= '3.8'"));
    assert_eq!(
        vulns(&o, r, 9),
        ["GHSA-h5c8-rqwp-cp95", "GHSA-h75v-3vvj-5mfj"]
    );
    assert_eq!(
        vulns(&o, r, 10),
        ["PYSEC-2024-71"],
        "Flask_Cors on both sides"
    );
    assert_eq!(
        vulns(&o, r, 13),
        ["GHSA-9wx4-h78v-vm56"],
        "--hash continuation, first line"
    );
    assert_eq!(vulns(&o, r, 19), ["PYSEC-2020-96", "PYSEC-2021-142"]);
    assert_eq!(
        vulns(&o, r, 21),
        ["PYSEC-2019-123", "PYSEC-2019-124"],
        "=== is a pin"
    );
    assert_eq!(
        vulns(&o, r, 25),
        ["PYSEC-2022-42969"],
        "last_affected is inclusive"
    );
    assert!(vulns(&o, r, 27).is_empty(), "withdrawn PYSEC-2021-13");
    assert_eq!(
        vulns(&o, r, 28),
        ["PYSEC-2023-192", "PYSEC-2023-212"],
        "unsorted events"
    );
    assert_eq!(
        vulns(&o, "nested/requirements-extra.txt", 1),
        ["PYSEC-2020-176", "PYSEC-2020-96", "PYSEC-2021-142"],
        "5.2a1 is below the 5.2b1 fix"
    );
}

#[test]
fn requirements_traps_ranges_skips_and_warnings() {
    let o = traps();
    let r = "requirements.txt";
    let low = |line| {
        let f = at(&o, "FS602", r, line);
        assert_eq!(f.len(), 1, "line {line}");
        assert_eq!(
            f[0].severity,
            Severity::Low,
            "line {line}: {}",
            f[0].message
        );
    };
    low(11);
    low(12);
    assert!(at(&o, "FS602", r, 12)[0].message.contains("(any version)"));
    let pillow = at(&o, "FS602", r, 22);
    assert_eq!(pillow[0].severity, Severity::Medium);
    assert!(
        pillow[0].message.contains("PYSEC-2023-175")
            && pillow[0].message.contains("PYSEC-2023-227")
    );
    let crypto = &at(&o, "FS602", r, 23)[0];
    assert!(crypto.message.contains("PYSEC-2023-112") && crypto.message.contains("PYSEC-2023-254"));
    assert!(
        !crypto.message.contains("PYSEC-2023-11 "),
        "fixed in 39.0.1, below the range"
    );
    assert!(crypto.fix.contains(">=41.0.6"), "{}", crypto.fix);
    // The constraint pins lxml; constraints alone (django) are never dependencies.
    assert!(at(&o, "FS602", r, 24).is_empty());
    let lxml = o.dependencies.iter().find(|d| d.name == "lxml").unwrap();
    assert_eq!(lxml.spec.to_string(), "==4.9.0");
    assert_eq!(lxml.constraint.as_deref(), Some("constraints.txt:2"));
    assert!(o.dependencies.iter().all(|d| d.name != "django"));
    // The wheel's file name gives name and version.
    let blinker = o.dependencies.iter().find(|d| d.name == "blinker").unwrap();
    assert_eq!(
        (blinker.line, blinker.spec.to_string()),
        (18, "==1.6.2".to_string())
    );
    // Skipped with reasons.
    assert!(notes_at(&o, r, 15)[0].contains("URL requirement"));
    assert!(notes_at(&o, r, 16)[0].contains("editable"));
    assert!(notes_at(&o, r, 17)[0].contains("editable"));
    assert!(notes_at(&o, r, 20)[0].contains("${GUNICORN_VERSION}"));
    // Unevaluable range: said, not guessed.
    assert!(at(&o, "FS601", r, 26).is_empty());
    assert!(
        notes_at(&o, r, 26)[0].contains("PYSEC-2019-125"),
        "{:?}",
        notes_at(&o, r, 26)
    );
    // Malformed line: a warning naming file and line; the rest is audited.
    let bad = &o.notifications.iter().find(|n| n.line == Some(29)).unwrap();
    assert_eq!(bad.level, NotificationLevel::Warning);
    assert!(bad.message.contains("cannot parse requirement"));
    // Global options are no packages; pyjwt is one dependency although reached twice.
    assert_eq!(
        o.dependencies.iter().filter(|d| d.name == "pyjwt").count(),
        1
    );
    assert!(o.dependencies.iter().all(|d| d.line != 2 || d.path != r));
}

#[test]
fn lockfiles_give_exact_versions_at_their_lines() {
    let locks = fixtures().join("locks");
    let o = run(
        &locks,
        &["poetry/poetry.lock", "poetry/pyproject.toml"],
        &offline(),
    );
    assert_eq!(vulns(&o, "poetry/poetry.lock", 4), ["PYSEC-2023-62"]);
    assert!(o
        .findings
        .iter()
        .all(|f| f.location.path != "poetry/poetry.lock" || f.location.start.line == 4));
    // pyproject ranges pinned by the lockfile next to it are not "unpinned"; pytest is not locked.
    let pyproject: Vec<_> = o
        .findings
        .iter()
        .filter(|f| f.location.path == "poetry/pyproject.toml")
        .collect();
    assert_eq!(pyproject.len(), 1, "{pyproject:#?}");
    assert_eq!(
        (pyproject[0].rule.id, pyproject[0].location.start.line),
        ("FS602", 12)
    );
    assert!(notes_at(&o, "poetry/poetry.lock", 25)[0].contains("directory source"));

    let o = run(&locks, &["uv/uv.lock"], &offline());
    assert_eq!(
        vulns(&o, "uv/uv.lock", 13),
        [
            "GHSA-h5c8-rqwp-cp95",
            "GHSA-h75v-3vvj-5mfj",
            "PYSEC-2019-217",
            "PYSEC-2021-66"
        ]
    );
    assert_eq!(
        o.dependencies.len(),
        1,
        "the project itself and git sources are skipped"
    );

    let o = run(&locks, &["pipenv/Pipfile.lock"], &offline());
    assert_eq!(
        vulns(&o, "pipenv/Pipfile.lock", 9),
        ["PYSEC-2018-66", "PYSEC-2019-179", "PYSEC-2023-62"]
    );
    assert_eq!(vulns(&o, "pipenv/Pipfile.lock", 20).len(), 3);
    let pyyaml = o.dependencies.iter().find(|d| d.name == "pyyaml").unwrap();
    assert_eq!(pyyaml.group.as_deref(), Some("develop"));
    assert!(notes_at(&o, "pipenv/Pipfile.lock", 14)[0].contains("mylib"));

    let o = run(&locks, &["pylock/pylock.toml"], &offline());
    assert_eq!(vulns(&o, "pylock/pylock.toml", 6), ["PYSEC-2023-212"]);
    assert_eq!(o.dependencies.len(), 1);

    let o = run(&locks, &["pdm/pdm.lock"], &offline());
    assert_eq!(vulns(&o, "pdm/pdm.lock", 15), ["PYSEC-2022-42969"]);
    let py = o.dependencies.iter().find(|d| d.name == "py").unwrap();
    assert_eq!(py.group.as_deref(), Some("test"));
    assert!(o.dependencies.iter().all(|d| d.name != "vcsdep"));
}

#[test]
fn setup_cfg_and_pyproject_ranges() {
    let o = run(
        &fixtures().join("locks"),
        &["setupcfg/setup.cfg"],
        &offline(),
    );
    let p = "setupcfg/setup.cfg";
    let flask = &at(&o, "FS602", p, 7)[0];
    assert_eq!(flask.severity, Severity::Medium);
    assert!(flask.message.contains("PYSEC-2023-62"));
    assert!(flask.fix.contains(">=2.2.5"), "{}", flask.fix);
    assert_eq!(at(&o, "FS603", p, 8).len(), 1, "bleach");
    assert!(at(&o, "FS603", p, 8)[0].message.contains("nh3"));
    assert_eq!(at(&o, "FS603", p, 9).len(), 1, "pycrypto");
    assert!(notes_at(&o, p, 10)[0].contains("cannot parse requirement"));
    assert_eq!(
        at(&o, "FS602", p, 13)[0].severity,
        Severity::Low,
        "pyyaml>=5.4 admits nothing"
    );

    let o = run(
        &fixtures().join("pyproject"),
        &["pep621/pyproject.toml"],
        &offline(),
    );
    let p = "pep621/pyproject.toml";
    let flask = &at(&o, "FS602", p, 5)[0];
    assert!(
        flask.message.contains("safe floor >=2.3.2"),
        "{}",
        flask.message
    );
    assert_eq!(vulns(&o, p, 6).len(), 4, "werkzeug 2.2.2");
    assert_eq!(vulns(&o, p, 10), ["PYSEC-2024-71"]);
    assert_eq!(
        o.dependencies
            .iter()
            .find(|d| d.name == "flask-cors")
            .unwrap()
            .group
            .as_deref(),
        Some("cors")
    );
    assert_eq!(at(&o, "FS602", p, 13).len(), 1, "pytest in group test");
    assert_eq!(at(&o, "FS602", p, 14).len(), 1, "ruff in group lint");
    assert!(notes_at(&o, p, 15)[0].contains("names no group"));
    assert!(notes_at(&o, p, 16)[0].contains("cycle"));

    let o = run(
        &fixtures().join("pyproject"),
        &["poetry/pyproject.toml"],
        &offline(),
    );
    let p = "poetry/pyproject.toml";
    let flask = &at(&o, "FS602", p, 6)[0];
    assert!(
        flask.message.contains(">=2.2.0, <3"),
        "caret translated: {}",
        flask.message
    );
    assert_eq!(flask.severity, Severity::Medium);
    assert!(at(&o, "FS602", p, 7)[0]
        .message
        .contains("GHSA-9wx4-h78v-vm56"));
    assert!(notes_at(&o, p, 8)[0].contains("git dependency"));
    let urllib3 = o.dependencies.iter().find(|d| d.name == "urllib3").unwrap();
    assert!(matches!(urllib3.spec, Spec::Range { .. }));
    assert_eq!(at(&o, "FS602", p, 9)[0].severity, Severity::Medium);
    assert!(o.dependencies.iter().all(|d| d.name != "python"));
}

#[test]
fn ignores_apply_by_alias_until_they_expire() {
    let mut options = offline();
    options.ignore_vulns = vec![IgnoreVuln {
        id: "cve-2023-30861".into(),
        reason: "behind a proxy that strips Set-Cookie".into(),
        until: Some("2025-06-30".into()),
    }];
    let o = run(&fixtures().join("traps"), &["requirements.txt"], &options);
    assert!(at(&o, "FS601", "requirements.txt", 7).is_empty());
    assert!(notes_at(&o, "requirements.txt", 7)[0].contains("ignored by configuration"));
    options.today = Some("2025-07-01".into());
    let o = run(&fixtures().join("traps"), &["requirements.txt"], &options);
    assert_eq!(at(&o, "FS601", "requirements.txt", 7).len(), 1);
    assert!(notes_at(&o, "requirements.txt", 7)[0].contains("expired on 2025-06-30"));
}

#[test]
fn fingerprints_survive_line_moves() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "flask==0.12.2\n").unwrap();
    let a = run(dir.path(), &["requirements.txt"], &offline());
    std::fs::write(
        dir.path().join("requirements.txt"),
        "# moved\n\nflask==0.12.2\n",
    )
    .unwrap();
    let b = run(dir.path(), &["requirements.txt"], &offline());
    let prints = |o: &Outcome| {
        o.findings
            .iter()
            .map(|f| f.fingerprint.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(a.findings.len(), 3);
    assert_eq!(prints(&a), prints(&b));
    assert_eq!(b.findings[0].location.start.line, 3);
    assert!(a
        .findings
        .iter()
        .all(|f| f.line_hash.is_none() && f.suppressed.is_none() && f.flow.is_empty()));
}

#[test]
fn includes_never_leave_the_root_and_cycles_stop() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("project");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(outer.path().join("secret.txt"), "flask==0.12.2\n").unwrap();
    std::fs::write(
        root.join("requirements.txt"),
        "-r ../secret.txt\n-r a-requirements.txt\n",
    )
    .unwrap();
    std::fs::write(
        root.join("a-requirements.txt"),
        "werkzeug==3.0.6\n-r b-requirements.txt\n",
    )
    .unwrap();
    std::fs::write(root.join("b-requirements.txt"), "-r a-requirements.txt\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        outer.path().join("secret.txt"),
        root.join("link-requirements.txt"),
    )
    .unwrap();
    let o = run(
        &root,
        &["requirements.txt", "link-requirements.txt"],
        &offline(),
    );
    assert!(
        o.dependencies.iter().all(|d| d.name != "flask"),
        "{:?}",
        o.dependencies
    );
    assert!(notes_at(&o, "requirements.txt", 1)[0].contains("outside the scan root"));
    assert!(notes_at(&o, "b-requirements.txt", 1)[0].contains("include cycle"));
    #[cfg(unix)]
    assert!(o
        .notifications
        .iter()
        .any(|n| n.path.as_deref() == Some("link-requirements.txt")
            && n.message.contains("outside the scan root")));
    assert_eq!(o.dependencies.len(), 1, "werkzeug once");

    // A deep include chain is cut, not followed forever.
    for i in 0..40 {
        std::fs::write(
            root.join(format!("d{i}-requirements.txt")),
            format!("-r d{}-requirements.txt\n", i + 1),
        )
        .unwrap();
    }
    let o = run(&root, &["d0-requirements.txt"], &offline());
    assert!(o
        .notifications
        .iter()
        .any(|n| n.message.contains("nested deeper")));
}

#[test]
fn malformed_manifests_are_notifications_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(
        p.join("pyproject.toml"),
        "[project]\ndependencies = [\n  \"flask\",\n  oops\n]\n",
    )
    .unwrap();
    std::fs::write(p.join("Pipfile.lock"), "{\"default\": {\"flask\": ").unwrap();
    std::fs::write(
        p.join("poetry.lock"),
        "[[package]]\nname = 3\nversion = \"x\"\n",
    )
    .unwrap();
    std::fs::write(p.join("pylock.toml"), "lock-version = \"2.0\"\n").unwrap();
    std::fs::write(p.join("requirements.txt"), b"flask==\xff\n".as_slice()).unwrap();
    std::fs::write(
        p.join("uv.lock"),
        "[[package]]\nname = \"flask\"\nversion = \"not a version\"\n",
    )
    .unwrap();
    let o = run(
        p,
        &[
            "pyproject.toml",
            "Pipfile.lock",
            "poetry.lock",
            "pylock.toml",
            "requirements.txt",
            "uv.lock",
            "missing-requirements.txt",
        ],
        &offline(),
    );
    let warned = |path: &str| {
        o.notifications
            .iter()
            .any(|n| n.path.as_deref() == Some(path) && n.level == NotificationLevel::Warning)
    };
    for path in [
        "pyproject.toml",
        "Pipfile.lock",
        "poetry.lock",
        "pylock.toml",
        "requirements.txt",
        "uv.lock",
        "missing-requirements.txt",
    ] {
        assert!(warned(path), "{path}: {:#?}", o.notifications);
    }
    assert_eq!(
        notes_at(&o, "pyproject.toml", 4).len(),
        1,
        "TOML error at its line"
    );
    assert!(o.findings.is_empty());
}

#[test]
fn embedded_snapshot_serves_offline_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("requirements.txt"),
        "flask==0.12.2\njinja2==2.10\n",
    )
    .unwrap();
    let options = Options {
        mode: AdvisoryMode::Offline,
        cache_dir: Some(dir.path().join("empty-cache")),
        ..Options::default()
    };
    let o = run(dir.path(), &["requirements.txt"], &options);
    assert_eq!(o.source, "embedded snapshot of 2024-10-10");
    assert_eq!(
        vulns(&o, "requirements.txt", 1),
        ["PYSEC-2018-66", "PYSEC-2019-179", "PYSEC-2023-62"]
    );
    assert_eq!(
        vulns(&o, "requirements.txt", 2),
        [
            "GHSA-h5c8-rqwp-cp95",
            "GHSA-h75v-3vvj-5mfj",
            "PYSEC-2019-217",
            "PYSEC-2021-66"
        ]
    );
}

#[test]
fn is_manifest_classifies_discovered_files() {
    use flaskscan::deps::is_manifest;
    assert!(is_manifest(Path::new("requirements.txt")));
    assert!(is_manifest(Path::new("app/requirements-dev.txt")));
    assert!(is_manifest(Path::new("uv.lock")));
    assert!(!is_manifest(Path::new("app.py")));
    assert!(!is_manifest(Path::new("README.txt")));
}

/// One FS601 per package version and advisory, at the lockfile that decides what is installed;
/// the other manifests pinning the same version are named in the message.
#[test]
fn a_version_pinned_in_several_manifests_is_reported_once_at_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "flask==0.12.2\n").unwrap();
    std::fs::write(
        dir.path().join("requirements-dev.txt"),
        "pytest==8.0.0\nflask==0.12.2\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("poetry.lock"),
        "[[package]]\nname = \"flask\"\nversion = \"0.12.2\"\n",
    )
    .unwrap();
    let o = run(
        dir.path(),
        &["requirements.txt", "requirements-dev.txt", "poetry.lock"],
        &offline(),
    );
    let fs601: Vec<&Finding> = o.findings.iter().filter(|f| f.rule.id == "FS601").collect();
    assert!(!fs601.is_empty());
    assert!(
        fs601.iter().all(|f| f.location.path == "poetry.lock"),
        "{fs601:?}"
    );
    let ids = vulns(&o, "poetry.lock", 1);
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique, "one finding per advisory");
    assert!(fs601[0]
        .message
        .contains("(also pinned at requirements-dev.txt:2, requirements.txt:1)"));
}

/// A requirements file compiled by pip-compile or uv pins the environment like a lockfile: the
/// ranges of the pyproject beside it are not "unpinned".
#[test]
fn a_compiled_requirements_file_counts_as_a_lock() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"app\"\nversion = \"1\"\ndependencies = [\"click>=8\"]\n",
    )
    .unwrap();
    for (header, unpinned) in [
        ("# This file was autogenerated by uv via the following command:\n#    uv pip compile pyproject.toml -o requirements.txt\n", 0),
        ("#\n# This file is autogenerated by pip-compile with Python 3.12\n#\n", 0),
        ("# pinned by hand\n", 1),
    ] {
        std::fs::write(
            dir.path().join("requirements.txt"),
            format!("{header}click==8.1.7\n    # via app (pyproject.toml)\n"),
        )
        .unwrap();
        let o = run(dir.path(), &["pyproject.toml", "requirements.txt"], &offline());
        let fs602 = o.findings.iter().filter(|f| f.rule.id == "FS602").count();
        assert_eq!(fs602, unpinned, "{header}");
    }
}
