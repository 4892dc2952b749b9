//! Speed benchmark: parse-only time against parse + the checker walk's rules (pattern and
//! app-level) and against the full scan on the same tree, single-threaded (CPU cost) with each
//! stage's time, and the full scan with all cores (wall time). Run with
//! `cargo bench --bench scan -- TREE` or `scripts/bench.sh TREE`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use flaskscan::python::source::decode;
use flaskscan::python::SourceFile;
use flaskscan::rules::{self, RuleKind};
use flaskscan::scan::{self, ScanOptions};
use flaskscan::workspace::{self, DiscoverOptions, FileKind};

// The same allocator as the binary, so the figures are the ones users see.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The fastest of `runs` runs, with what that run returned.
fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = (Duration::MAX, None);
    for _ in 0..runs {
        let t = Instant::now();
        let out = f();
        let took = t.elapsed();
        if took < best.0 {
            best = (took, Some(out));
        }
    }
    (best.0, best.1.expect("at least one run"))
}

fn main() {
    let tree = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("examples"));
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let discover = || {
        workspace::discover(
            &tree,
            std::slice::from_ref(&tree),
            &DiscoverOptions {
                exclude: Vec::new(),
                max_file_size: scan::DEFAULT_MAX_FILE_SIZE,
            },
        )
    };
    let (discovery, _) = best_of(runs, || discover().files.len());
    let discovered = discover();
    let python: Vec<_> = discovered
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Python)
        .collect();
    // Parse-only: read, decode and parse every Python file once, as the scan does.
    let (parse, lines) = best_of(runs, || {
        python
            .iter()
            .filter_map(|f| std::fs::read(&f.path).ok().and_then(|b| decode(&b).ok()))
            .map(|text| SourceFile::parse("bench.py", text).0.lines.len())
            .sum::<usize>()
    });
    // A scan with `select` (empty: every rule) on `threads` threads; returns the best run's time
    // less discovery (walking the tree is not parsing or checking), findings and stage times.
    let scan = |select: Vec<String>, threads: usize| {
        let (_, best) = best_of(runs, || {
            let options = ScanOptions {
                paths: vec![tree.clone()],
                threads: Some(threads),
                select: select.clone(),
                ..ScanOptions::default()
            };
            let report = scan::run(&options).expect("scan runs");
            let total: Duration = report.stats.phases.iter().map(|(_, d)| *d).sum();
            let walking: Duration = report
                .stats
                .phases
                .iter()
                .filter(|(name, _)| *name == "discovery")
                .map(|(_, d)| *d)
                .sum();
            (total - walking, report.findings.len(), report.stats.phases)
        });
        best
    };
    // Issue 2's budget covers the single checker walk: the pattern and app-level rules.
    let walk_rules: Vec<String> = rules::ALL
        .iter()
        .filter(|r| matches!(r.kind, RuleKind::Pattern | RuleKind::App))
        .map(|r| r.id.to_string())
        .collect();
    let (walk, walk_findings, walk_phases) = scan(walk_rules, 1);
    let (full, findings, phases) = scan(Vec::new(), 1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (full_n, _, _) = scan(Vec::new(), cores);
    let ratio = |d: Duration| d.as_secs_f64() / parse.as_secs_f64();
    println!(
        "tree: {} ({} Python files, {} lines)",
        tree.display(),
        python.len(),
        lines
    );
    println!(
        "discovery            (1 thread): {:>7.3} s   (walking the tree; left out below)",
        discovery.as_secs_f64()
    );
    println!(
        "parse only           (1 thread): {:>7.3} s",
        parse.as_secs_f64()
    );
    println!(
        "parse + walk rules   (1 thread): {:>7.3} s   {:.2}x parse-only   ({walk_findings} findings; pattern and app rules)",
        walk.as_secs_f64(),
        ratio(walk)
    );
    print_phases(&walk_phases);
    println!(
        "full scan            (1 thread): {:>7.3} s   {:.2}x parse-only   ({findings} findings; every rule but the dependency audit)",
        full.as_secs_f64(),
        ratio(full)
    );
    print_phases(&phases);
    println!(
        "full scan            ({cores} threads): {:>6.3} s wall",
        full_n.as_secs_f64()
    );
}

fn print_phases(phases: &[(&str, Duration)]) {
    for (phase, took) in phases.iter().filter(|(name, _)| *name != "discovery") {
        println!("    {phase:<24} {:>7.3} s", took.as_secs_f64());
    }
}
