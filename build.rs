//! Build facts for `flaskscan --version`: the commit the binary was built from and the date of
//! the advisory snapshot compiled into it.

use std::io::Read as _;
use std::path::Path;
use std::process::Command;

const SNAPSHOT: &str = "data/advisories.json.gz";

fn main() {
    println!("cargo:rerun-if-changed={SNAPSHOT}");
    println!("cargo:rerun-if-env-changed=FLASKSCAN_COMMIT");
    watch_git_head();
    println!("cargo:rustc-env=FLASKSCAN_COMMIT={}", commit());
    println!(
        "cargo:rustc-env=FLASKSCAN_SNAPSHOT_DATE={}",
        snapshot_date()
    );
}

/// `FLASKSCAN_COMMIT` when the release job sets it, else the checkout's HEAD; an sdist has no
/// `.git`, so it says `unknown`.
fn commit() -> String {
    if let Ok(c) = std::env::var("FLASKSCAN_COMMIT") {
        if !c.trim().is_empty() {
            return c.trim().chars().take(12).collect();
        }
    }
    Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| "unknown".to_string())
}

/// Rebuild when HEAD moves: HEAD itself (branch switch) and the branch file it names (commit).
fn watch_git_head() {
    let head = Path::new(".git/HEAD");
    let Ok(text) = std::fs::read_to_string(head) else {
        return;
    };
    println!("cargo:rerun-if-changed=.git/HEAD");
    if let Some(reference) = text.trim().strip_prefix("ref: ") {
        println!("cargo:rerun-if-changed=.git/{reference}");
        println!("cargo:rerun-if-changed=.git/packed-refs");
    }
}

/// The snapshot's `date`, read from the start of the gzip stream: the encoder writes
/// `{"format":..,"source":..,"date":"YYYY-MM-DD","advisories":[...]}` in that order.
fn snapshot_date() -> String {
    let mut head = Vec::new();
    if let Ok(f) = std::fs::File::open(SNAPSHOT) {
        let _ = flate2::read::GzDecoder::new(f)
            .take(4096)
            .read_to_end(&mut head);
    }
    let text = String::from_utf8_lossy(&head);
    text.split_once("\"date\":\"")
        .and_then(|(_, rest)| rest.get(..10))
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit() || b == b'-'))
        .unwrap_or("unknown")
        .to_string()
}
