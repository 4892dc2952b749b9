//! Benchmark: audit 1,000 pinned requirements against the embedded advisory snapshot.
//!
//! `cargo bench --bench deps_audit`. Prints the median of several runs; each run includes
//! parsing the file, decoding the snapshot and matching, i.e. what one offline scan pays.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use flaskscan::deps::sources::snapshot;
use flaskscan::deps::{audit, AdvisoryMode, Options};

fn main() {
    // 1,000 real (package, version) pairs: versions named by the snapshot's own events, so many hit.
    let snap = snapshot::embedded().expect("embedded snapshot");
    let mut lines = Vec::new();
    'outer: for a in &snap.advisories {
        for aff in &a.affected {
            for range in &aff.ranges {
                for e in range {
                    let v = e.version();
                    if v != "0" && v.parse::<pep508_rs::pep440_rs::Version>().is_ok() {
                        lines.push(format!("{}=={v}", aff.package));
                        if lines.len() == 1000 {
                            break 'outer;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(lines.len(), 1000);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requirements.txt"), lines.join("\n")).unwrap();
    let options = Options {
        mode: AdvisoryMode::Offline,
        no_cache: true,
        ..Options::default()
    };
    let manifests = [PathBuf::from("requirements.txt")];
    let mut times: Vec<Duration> = Vec::new();
    let mut findings = 0;
    for _ in 0..7 {
        let start = Instant::now();
        let outcome = audit(dir.path(), &manifests, &options);
        times.push(start.elapsed());
        findings = outcome.findings.len();
        assert_eq!(outcome.dependencies.len(), 1000);
    }
    times.sort();
    println!(
        "deps_audit: 1000 pinned requirements against the {} advisories of the embedded snapshot: median {:.1} ms (min {:.1} ms), {findings} findings",
        snap.advisories.len(),
        times[3].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0
    );
}
