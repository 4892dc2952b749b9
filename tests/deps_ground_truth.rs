//! Conformance checks against the project's shared OSV data, when it is present.
//!
//! These are `#[ignore]`d: a fresh clone has no `../shared`. `scripts/check-osv-ground-truth.sh`
//! runs them (and `.ci/run` may), and `scripts/build-advisories.sh` rebuilds the embedded snapshot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use flaskscan::deps::advisory::db::Database;
use flaskscan::deps::advisory::eval::Verdict;
use flaskscan::deps::dependency::normalize_name;
use flaskscan::deps::sources::{local, snapshot};
use pep508_rs::pep440_rs::{Version, VersionSpecifiers};
use version_ranges::Ranges;

fn shared() -> PathBuf {
    std::env::var_os("FLASKSCAN_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/contracts/data"))
}

fn db_of(paths: &[PathBuf]) -> Database {
    let mut all = Vec::new();
    for p in paths {
        let export = local::load(p).unwrap();
        assert!(export.errors.is_empty(), "{:?}", export.errors);
        all.extend(export.advisories);
    }
    Database::new(all)
}

/// Rebuilds `data/advisories.json.gz` from the shared PyPA export plus the GHSA supplement.
#[test]
#[ignore = "needs ../shared; run by scripts/build-advisories.sh"]
fn build_embedded_snapshot() {
    let osv = shared().join("osv");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/advisories.json.gz");
    let report =
        flaskscan::deps::db_build(&osv.join("pypi-all.zip"), &[osv.join("flask-ghsa")], &out)
            .unwrap();
    eprintln!("{report:?}");
    assert!(report.unreadable.is_empty());
}

/// The matcher against `ground-truth.json` (pinned versions, alias merging).
#[test]
#[ignore = "needs ../shared"]
fn pinned_ground_truth() {
    let osv = shared().join("osv");
    let flask = db_of(&[osv.join("flask")]);
    let flask_ghsa = db_of(&[osv.join("flask"), osv.join("flask-ghsa")]);
    let all = db_of(&[osv.join("pypi-all.zip")]);
    let all_ghsa = db_of(&[osv.join("pypi-all.zip"), osv.join("flask-ghsa")]);
    let embedded = Database::new(snapshot::embedded().unwrap().advisories);
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(osv.join("ground-truth.json")).unwrap())
            .unwrap();
    let mut checked = 0;
    for case in cases.as_array().unwrap() {
        let name = normalize_name(case["package"].as_str().unwrap());
        let version = Version::from_str(case["version"].as_str().unwrap()).unwrap();
        let db = match case["db"].as_str().unwrap() {
            "osv-flask" => &flask,
            "osv-flask+ghsa" => &flask_ghsa,
            "osv-pypi-all" => &all,
            other => panic!("unknown db {other}"),
        };
        let (groups, unknown) = db.affecting_version(&name, &version);
        assert!(unknown.is_empty(), "{name} {version}: {unknown:?}");
        let got: BTreeSet<String> = groups
            .iter()
            .flat_map(|g| g.records.iter().map(|r| r.id.clone()))
            .collect();
        let want: BTreeSet<String> = case["affected_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, want, "{name} {version} ({})", case["note"]);
        let got_groups: BTreeSet<(String, BTreeSet<String>)> = groups
            .iter()
            .map(|g| {
                (
                    g.primary().to_string(),
                    g.records.iter().map(|r| r.id.clone()).collect(),
                )
            })
            .collect();
        let want_groups: BTreeSet<(String, BTreeSet<String>)> = case["deduplicated"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let members = d["members"].as_array().unwrap().iter();
                (
                    d["primary"].as_str().unwrap().to_string(),
                    members.map(|m| m.as_str().unwrap().to_string()).collect(),
                )
            })
            .collect();
        assert_eq!(got_groups, want_groups, "{name} {version}");
        for g in &groups {
            let want_fixed: BTreeSet<Version> = case["fixed_versions"][g.primary()]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| Version::from_str(v.as_str().unwrap()).unwrap())
                        .collect()
                })
                .unwrap_or_default();
            if !want_fixed.is_empty() {
                let got_fixed: BTreeSet<Version> = g.fixed.iter().cloned().collect();
                assert!(
                    want_fixed.is_subset(&got_fixed),
                    "{name} {version} {}: {got_fixed:?}",
                    g.primary()
                );
            }
        }
        // The compacted embedded snapshot must answer exactly like its sources.
        let ids = |db: &Database| -> BTreeSet<String> {
            db.affecting_version(&name, &version)
                .0
                .iter()
                .flat_map(|g| g.records.iter().map(|r| r.id.clone()))
                .collect()
        };
        assert_eq!(
            ids(&embedded),
            ids(&all_ghsa),
            "embedded vs sources: {name} {version}"
        );
        checked += 1;
    }
    eprintln!("{checked} pinned ground-truth cases agree");
}

/// Range checks against `ground-truth-ranges.json` (which advisories a specifier admits).
#[test]
#[ignore = "needs ../shared"]
fn range_ground_truth() {
    let osv = shared().join("osv");
    let flask = db_of(&[osv.join("flask")]);
    let cases: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(osv.join("ground-truth-ranges.json")).unwrap(),
    )
    .unwrap();
    for case in cases.as_array().unwrap() {
        let name = normalize_name(case["package"].as_str().unwrap());
        let spec = case["specifier"].as_str().unwrap();
        let range = Ranges::from(VersionSpecifiers::from_str(spec).unwrap());
        let got: BTreeSet<String> = flask
            .affecting_range(&name, &range)
            .iter()
            .flat_map(|g| g.records.iter().map(|r| r.id.clone()))
            .collect();
        let want: BTreeSet<String> = case["admits"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(got, want, "{name} {spec:?}");
    }
}

/// Every record of the full export parses, and every pinned version listed in any record is
/// matched by that record (a self-consistency check over all 2,661 PyPA advisories).
#[test]
#[ignore = "needs ../shared"]
fn full_export_self_consistency() {
    let osv = shared().join("osv");
    let export = local::load(&osv.join("pypi-all.zip")).unwrap();
    assert!(export.errors.is_empty());
    let db = Database::new(export.advisories.clone());
    let mut checked = 0;
    for a in export.advisories.iter().filter(|a| a.withdrawn.is_none()) {
        for aff in &a.affected {
            for v in aff
                .versions
                .iter()
                .filter_map(|v| Version::from_str(v).ok())
            {
                let affected = db
                    .entries(&aff.package)
                    .filter(|(r, _)| r.id == a.id)
                    .any(|(_, c)| c.verdict(&v) == Verdict::Affected);
                assert!(
                    affected,
                    "{} does not match its own listed version {} {v}",
                    a.id, aff.package
                );
                checked += 1;
            }
        }
    }
    eprintln!("{checked} listed versions matched by their own advisory");
}
