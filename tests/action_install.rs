//! The Action's installer, `action/install.sh`, run as the runner runs it (bash, with the
//! variables a runner sets) against a fake GitHub release served on 127.0.0.1 by each test:
//! a right checksum installs and caches the binary, a wrong or missing one refuses to run it,
//! and a ref without a release builds from source with `cargo install`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

const OWNER_REPO: &str = "acme/flaskscan";
const TAG: &str = "v9.9.9";
const LINUX_X64: &str = "flaskscan-x86_64-unknown-linux-musl.tar.gz";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("action/install.sh")
}

/// A release's files by name, served under `/OWNER/REPO/releases/download/TAG/`; other paths 404.
struct FakeRelease {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeRelease {
    fn start(files: BTreeMap<String, (u16, Vec<u8>)>) -> Self {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let prefix = format!("/{OWNER_REPO}/releases/download/{TAG}/");
        let thread = std::thread::spawn(move || {
            // Bounded: ends when the test drops the fake, or after a minute at most.
            for _ in 0..600 {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(Some(req)) = server.recv_timeout(Duration::from_millis(100)) else {
                    continue;
                };
                let path = req.url().to_string();
                seen2.lock().unwrap().push(path.clone());
                let (status, body) = path
                    .strip_prefix(&prefix)
                    .and_then(|name| files.get(name))
                    .cloned()
                    .unwrap_or((404, b"Not Found".to_vec()));
                let _ = req.respond(tiny_http::Response::from_data(body).with_status_code(status));
            }
        });
        Self {
            url,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for FakeRelease {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A stand-in binary: prints a version line and the arguments it got.
const FAKE_BINARY: &str = "#!/bin/sh\necho \"flaskscan 9.9.9 (fake) $*\"\n";

/// `flaskscan-<target>.tar.gz` holding `flaskscan-<target>/flaskscan`, as the release job packs it.
fn tar_archive(dir: &Path, target: &str) -> Vec<u8> {
    let folder = dir.join(format!("pack-{target}"));
    let inner = folder.join(format!("flaskscan-{target}"));
    std::fs::create_dir_all(&inner).unwrap();
    write_executable(&inner.join("flaskscan"), FAKE_BINARY);
    let out = dir.join(format!("{target}.tar.gz"));
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&out)
        .arg("-C")
        .arg(&folder)
        .arg(format!("flaskscan-{target}"))
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(out).unwrap()
}

fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA256SUMS in `sha256sum`'s format.
fn sums(entries: &[(&str, &[u8])]) -> Vec<u8> {
    entries
        .iter()
        .map(|(name, bytes)| format!("{}  {name}\n", sha256_hex(bytes)))
        .collect::<String>()
        .into_bytes()
}

/// A runner: its tool cache, temp folder, output file, and the action checked out where the
/// runner puts it (`.../_actions/OWNER/REPO/REF`).
struct Runner {
    dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
}

struct Run {
    code: i32,
    stderr: String,
    /// `bin=` from `$GITHUB_OUTPUT`, when the script set it.
    bin: Option<PathBuf>,
    elapsed: Duration,
}

impl Runner {
    fn new(server: &FakeRelease, action_ref: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let action = dir
            .path()
            .join("_actions")
            .join(OWNER_REPO)
            .join(action_ref);
        std::fs::create_dir_all(&action).unwrap();
        for sub in ["tool-cache", "temp"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let p = |s: &str| dir.path().join(s).display().to_string();
        let env = BTreeMap::from([
            ("GITHUB_SERVER_URL".into(), server.url.clone()),
            ("GITHUB_ACTION_PATH".into(), action.display().to_string()),
            ("RUNNER_OS".into(), "Linux".into()),
            ("RUNNER_ARCH".into(), "X64".into()),
            ("RUNNER_TOOL_CACHE".into(), p("tool-cache")),
            ("RUNNER_TEMP".into(), p("temp")),
            ("GITHUB_OUTPUT".into(), p("output")),
        ]);
        Self { dir, env }
    }

    fn set(&mut self, key: &str, value: &str) {
        self.env.insert(key.to_string(), value.to_string());
    }

    fn run(&self) -> Run {
        let output_file = self.dir.path().join("output");
        let _ = std::fs::remove_file(&output_file);
        let started = Instant::now();
        let out = Command::new("bash")
            .arg(script())
            .env_remove("GITHUB_ACTION_REF")
            .env_remove("GITHUB_ACTION_REPOSITORY")
            .env_remove("FLASKSCAN_VERSION")
            .envs(&self.env)
            .output()
            .unwrap();
        let elapsed = started.elapsed();
        let bin = std::fs::read_to_string(&output_file).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("bin="))
                .map(PathBuf::from)
        });
        Run {
            code: out.status.code().unwrap_or(-1),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            bin,
            elapsed,
        }
    }
}

fn release_with(archive_name: &str, archive: Vec<u8>, sums: Option<Vec<u8>>) -> FakeRelease {
    let mut files = BTreeMap::from([(archive_name.to_string(), (200, archive))]);
    if let Some(s) = sums {
        files.insert("SHA256SUMS".into(), (200, s));
    }
    FakeRelease::start(files)
}

#[test]
fn a_verified_release_is_installed_then_reused_from_the_tool_cache() {
    let dir = tempfile::tempdir().unwrap();
    let archive = tar_archive(dir.path(), "x86_64-unknown-linux-musl");
    let other = b"another target's archive".to_vec();
    let checksums = sums(&[
        ("flaskscan-aarch64-apple-darwin.tar.gz", &other),
        (LINUX_X64, &archive),
    ]);
    let server = release_with(LINUX_X64, archive, Some(checksums));
    let runner = Runner::new(&server, TAG);

    let cold = runner.run();
    assert_eq!(cold.code, 0, "{}", cold.stderr);
    assert!(cold.stderr.contains("verified"), "{}", cold.stderr);
    let bin = cold.bin.expect("bin= in GITHUB_OUTPUT");
    assert!(bin.starts_with(runner.dir.path().join("tool-cache")));
    let version = Command::new(&bin).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).contains("flaskscan 9.9.9"));
    let base = format!("/{OWNER_REPO}/releases/download/{TAG}");
    assert_eq!(
        server.requests(),
        [format!("{base}/{LINUX_X64}"), format!("{base}/SHA256SUMS")]
    );

    let warm = runner.run();
    assert_eq!(warm.code, 0, "{}", warm.stderr);
    assert!(
        warm.stderr.contains("from the tool cache"),
        "{}",
        warm.stderr
    );
    assert_eq!(warm.bin.as_deref(), Some(bin.as_path()));
    assert_eq!(server.requests().len(), 2, "a warm start downloads nothing");
    // Start-up times for the README's table (`cargo test --test action_install -- --nocapture`).
    eprintln!(
        "install: cold {} ms, warm {} ms",
        cold.elapsed.as_millis(),
        warm.elapsed.as_millis()
    );
}

#[test]
fn a_checksum_mismatch_refuses_to_run_the_download() {
    let dir = tempfile::tempdir().unwrap();
    let archive = tar_archive(dir.path(), "x86_64-unknown-linux-musl");
    let tampered_sums = sums(&[(LINUX_X64, b"what the release job built")]);
    let server = release_with(LINUX_X64, archive, Some(tampered_sums));
    let runner = Runner::new(&server, TAG);
    let run = runner.run();
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("checksum mismatch"), "{}", run.stderr);
    assert!(run.stderr.contains("refusing to run it"), "{}", run.stderr);
    assert!(run.bin.is_none());
    // Nothing half-installed is taken from the cache next time either.
    let again = runner.run();
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(!again.stderr.contains("tool cache"), "{}", again.stderr);
}

#[test]
fn a_release_without_its_checksum_refuses_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let archive = tar_archive(dir.path(), "x86_64-unknown-linux-musl");
    let no_sums = release_with(LINUX_X64, archive.clone(), None);
    let run = Runner::new(&no_sums, TAG).run();
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no SHA256SUMS"), "{}", run.stderr);

    let unlisted = release_with(LINUX_X64, archive, Some(sums(&[("other.tar.gz", b"x")])));
    let run = Runner::new(&unlisted, TAG).run();
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("does not list"), "{}", run.stderr);
}

/// A fake `cargo` first on PATH: records its arguments and installs a stand-in binary where
/// `cargo install --root R` would.
fn fake_cargo(runner: &mut Runner) -> PathBuf {
    let bin_dir = runner.dir.path().join("fake-bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let log = runner.dir.path().join("cargo-args");
    let script = format!(
        "#!/bin/sh\necho \"$@\" > '{}'\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=$2; shift; done\n\
         mkdir -p \"$root/bin\" && printf '%s' '{}' > \"$root/bin/flaskscan\" && chmod +x \"$root/bin/flaskscan\"\n",
        log.display(),
        FAKE_BINARY.replace('\'', "'\\''")
    );
    write_executable(&bin_dir.join("cargo"), &script);
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    runner.set("PATH", &path);
    log
}

#[test]
fn a_ref_without_a_release_is_built_from_the_action_source() {
    let server = FakeRelease::start(BTreeMap::new());
    let mut runner = Runner::new(&server, "main");
    let log = fake_cargo(&mut runner);
    let run = runner.run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("building from source"),
        "{}",
        run.stderr
    );
    let args = std::fs::read_to_string(log).unwrap();
    let action = &runner.env["GITHUB_ACTION_PATH"];
    assert!(
        args.starts_with(&format!("install --locked --quiet --path {action} --root ")),
        "{args}"
    );
    assert!(run.bin.is_some());
    assert_eq!(
        server.requests(),
        [format!("/{OWNER_REPO}/releases/download/main/{LINUX_X64}")]
    );
    // A branch moves: its build is not reused from the tool cache.
    let again = runner.run();
    assert!(
        again.stderr.contains("building from source"),
        "{}",
        again.stderr
    );
}

#[test]
fn the_version_input_overrides_the_action_ref() {
    let dir = tempfile::tempdir().unwrap();
    let archive = tar_archive(dir.path(), "x86_64-unknown-linux-musl");
    let checksums = sums(&[(LINUX_X64, &archive)]);
    let server = release_with(LINUX_X64, archive, Some(checksums));
    let mut runner = Runner::new(&server, "0123456789abcdef0123456789abcdef01234567");
    runner.set("FLASKSCAN_VERSION", TAG);
    let run = runner.run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(server.requests()[0].contains(&format!("/download/{TAG}/")));
}

#[test]
fn a_server_error_is_not_mistaken_for_a_missing_release() {
    let files = BTreeMap::from([(LINUX_X64.to_string(), (403, b"rate limited".to_vec()))]);
    let server = FakeRelease::start(files);
    let mut runner = Runner::new(&server, TAG);
    let log = fake_cargo(&mut runner);
    let run = runner.run();
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("HTTP 403"), "{}", run.stderr);
    assert!(!log.exists(), "no build from source on a server error");
}

#[test]
fn an_unknown_runner_gets_a_clear_error() {
    let server = FakeRelease::start(BTreeMap::new());
    let mut runner = Runner::new(&server, TAG);
    runner.set("RUNNER_OS", "FreeBSD");
    let run = runner.run();
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no flaskscan build for FreeBSD/X64"),
        "{}",
        run.stderr
    );
    assert!(server.requests().is_empty());
}

#[test]
fn windows_runners_get_the_zip_archive() {
    if Command::new("unzip").arg("-v").output().is_err() {
        eprintln!("skipped: no unzip on this machine (hosted Windows runners have it in Git Bash)");
        return;
    }
    let name = "flaskscan-x86_64-pc-windows-msvc.zip";
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let options = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
        zip.start_file("flaskscan.exe", options).unwrap();
        zip.write_all(FAKE_BINARY.as_bytes()).unwrap();
        zip.finish().unwrap();
    }
    let archive = buf.into_inner();
    let checksums = sums(&[(name, &archive)]);
    let server = release_with(name, archive, Some(checksums));
    let mut runner = Runner::new(&server, TAG);
    runner.set("RUNNER_OS", "Windows");
    let run = runner.run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.bin.unwrap().ends_with("bin/flaskscan.exe"));
}

#[test]
fn a_local_action_is_built_from_source_and_never_cached() {
    let server = FakeRelease::start(BTreeMap::new());
    let mut runner = Runner::new(&server, TAG);
    let local = runner.dir.path().join("workspace");
    std::fs::create_dir_all(&local).unwrap();
    runner.set("GITHUB_ACTION_PATH", &local.display().to_string());
    fake_cargo(&mut runner);
    let run = runner.run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("local path"), "{}", run.stderr);
    assert!(server.requests().is_empty());
    assert!(!runner.dir.path().join("tool-cache/flaskscan").exists());
}
