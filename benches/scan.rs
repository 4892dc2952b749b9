//! Speed benchmark: parse-only time against the full scan on the same tree, single-threaded
//! (CPU cost) and with all cores (wall time). Run with `cargo bench --bench scan -- TREE`
//! or `scripts/bench.sh TREE`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use flaskscan::python::source::decode;
use flaskscan::python::SourceFile;
use flaskscan::scan::{self, ScanOptions};
use flaskscan::workspace::{self, DiscoverOptions, FileKind};

// The same allocator as the binary, so the figures are the ones users see.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn best_of(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut out = 0;
    for _ in 0..runs {
        let t = Instant::now();
        out = f();
        best = best.min(t.elapsed());
    }
    (best, out)
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
        .unwrap_or(3);
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
            .sum()
    });
    let full = |threads: usize| {
        best_of(runs, || {
            let options = ScanOptions {
                paths: vec![tree.clone()],
                threads: Some(threads),
                ..ScanOptions::default()
            };
            scan::run(&options).expect("scan runs").findings.len()
        })
    };
    let (scan1, findings) = full(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (scan_n, _) = full(cores);
    println!(
        "tree: {} ({} Python files, {} lines)",
        tree.display(),
        python.len(),
        lines
    );
    println!(
        "discovery  (1 thread):     {:>8.3} s   (walking the tree; in the full scan only)",
        discovery.as_secs_f64()
    );
    println!("parse only (1 thread):     {:>8.3} s", parse.as_secs_f64());
    println!(
        "full scan  (1 thread):     {:>8.3} s   ratio {:.2}x parse-only   ({findings} findings)",
        scan1.as_secs_f64(),
        scan1.as_secs_f64() / parse.as_secs_f64()
    );
    let analysis = scan1.saturating_sub(discovery);
    println!(
        "full scan less discovery:  {:>8.3} s   ratio {:.2}x parse-only",
        analysis.as_secs_f64(),
        analysis.as_secs_f64() / parse.as_secs_f64()
    );
    println!(
        "full scan  ({cores} threads):    {:>8.3} s wall",
        scan_n.as_secs_f64()
    );
}
