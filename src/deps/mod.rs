//! The dependency audit: manifests and lockfiles → dependencies → OSV advisories → findings.
//!
//! Entry points for the scan pipeline and the CLI: [`audit`], [`is_manifest`], [`db_update`],
//! [`db_build`].

pub mod advisory;
pub mod audit;
pub mod dependency;
pub mod deprecated;
pub mod manifest;
pub mod sources;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use dependency::{Dependency, Spec};

use crate::finding::{Finding, Notification};

/// The default OSV API base URL (without `/v1`).
pub const DEFAULT_OSV_URL: &str = "https://api.osv.dev";
/// The default URL of OSV's PyPI bulk export, for `db update`.
pub const DEFAULT_EXPORT_URL: &str =
    "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip";

/// Where advisories may come from (also the values of `--advisories`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AdvisoryMode {
    /// Ask the OSV API; fall back to local data (and say so) when the network fails.
    #[default]
    Auto,
    /// Ask the OSV API; a network failure is reported.
    Online,
    /// Never touch the network: the cached export or the embedded snapshot.
    Offline,
}

impl AdvisoryMode {
    /// Parses `auto`, `online` or `offline`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(Self::Auto),
            "online" => Some(Self::Online),
            "offline" => Some(Self::Offline),
            _ => None,
        }
    }
}

/// One `[[tool.flaskscan.ignore-vulns]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct IgnoreVuln {
    /// Any id or alias of the vulnerability.
    pub id: String,
    pub reason: String,
    /// `YYYY-MM-DD`; after this day the ignore expires and the finding returns.
    #[serde(default)]
    pub until: Option<String>,
}

/// How to audit.
#[derive(Debug, Clone)]
pub struct Options {
    pub mode: AdvisoryMode,
    /// A local OSV export (directory or `all.zip`); when set it is the whole database.
    pub advisory_db: Option<PathBuf>,
    /// OSV API base URL without `/v1`.
    pub osv_url: String,
    /// `None` = the default cache directory (see [`sources::cache::default_dir`]).
    pub cache_dir: Option<PathBuf>,
    pub ignore_vulns: Vec<IgnoreVuln>,
    /// Today as `YYYY-MM-DD`, for tests; `None` = the system clock.
    pub today: Option<String>,
    /// URL of the PyPI bulk export for [`db_update`].
    pub export_url: String,
    /// Connect and overall timeout of each HTTP request.
    pub timeout: Duration,
    /// Retries after a failed request (5xx, 429, transport errors).
    pub retries: u32,
    /// First retry delay, doubled each time.
    pub backoff: Duration,
    /// How long a cached querybatch answer is trusted.
    pub cache_ttl: Duration,
    /// Disable the on-disk cache entirely.
    pub no_cache: bool,
}

impl Default for Options {
    /// Defaults, with `FLASKSCAN_OSV_URL` and `FLASKSCAN_OSV_EXPORT_URL` honoured.
    fn default() -> Self {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Options {
            mode: AdvisoryMode::Auto,
            advisory_db: None,
            osv_url: env("FLASKSCAN_OSV_URL").unwrap_or_else(|| DEFAULT_OSV_URL.to_string()),
            cache_dir: None,
            ignore_vulns: Vec::new(),
            today: None,
            export_url: env("FLASKSCAN_OSV_EXPORT_URL")
                .unwrap_or_else(|| DEFAULT_EXPORT_URL.to_string()),
            timeout: Duration::from_secs(15),
            retries: 2,
            backoff: Duration::from_millis(500),
            cache_ttl: Duration::from_secs(24 * 3600),
            no_cache: false,
        }
    }
}

impl Options {
    /// The effective cache directory, if any.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        self.cache_dir.clone().or_else(sources::cache::default_dir)
    }

    fn client_config(&self) -> sources::osv_api::ClientConfig {
        sources::osv_api::ClientConfig {
            base_url: self.osv_url.clone(),
            timeout: self.timeout,
            retries: self.retries,
            backoff: self.backoff,
        }
    }

    /// Today as `YYYY-MM-DD`.
    pub fn today(&self) -> String {
        self.today
            .clone()
            .unwrap_or_else(|| civil_date(SystemTime::now()))
    }
}

/// What the audit produced.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub notifications: Vec<Notification>,
    /// Where the advisories came from, e.g. "OSV API (...)" or "embedded snapshot of 2024-10-10".
    pub source: String,
    /// Every dependency found, sorted by path and line.
    pub dependencies: Vec<Dependency>,
    /// Why the audit could not run, when it could not: its silence then means nothing.
    pub failure: Option<String>,
}

/// Audits the given manifests (paths relative to `root`).
pub fn audit(root: &Path, manifests: &[PathBuf], options: &Options) -> Outcome {
    audit::run(root, manifests, options)
}

/// Whether discovery should hand this file (path relative to the root) to [`audit`].
pub fn is_manifest(rel_path: &Path) -> bool {
    manifest::format_of(rel_path).is_some()
}

/// What `db update` did.
#[derive(Debug, Clone)]
pub struct UpdateReport {
    pub path: PathBuf,
    pub advisories: usize,
    pub bytes: usize,
}

/// Downloads a fresh OSV PyPI export into the cache, where offline runs then find it;
/// `progress` hears the bytes downloaded so far and the total size when known.
pub fn db_update(
    options: &Options,
    progress: &dyn Fn(u64, Option<u64>),
) -> Result<UpdateReport, String> {
    let dir = options
        .cache_dir()
        .ok_or("no cache directory (set XDG_CACHE_HOME or HOME, or pass --cache-dir)")?;
    let client = sources::osv_api::Client::new(options.client_config());
    let bytes = client.download(&options.export_url, progress)?;
    // Validate before replacing a working export with a broken one.
    let mut export = sources::local::Export::default();
    sources::local::load_zip(std::io::Cursor::new(&bytes), &mut export)
        .map_err(|e| format!("downloaded export: {e}"))?;
    if export.advisories.is_empty() {
        return Err("downloaded export holds no OSV record".into());
    }
    let path = sources::cache::export_path(&dir);
    sources::snapshot::write_atomic(&path, &bytes)?;
    Ok(UpdateReport {
        path,
        advisories: export.advisories.len(),
        bytes: bytes.len(),
    })
}

/// Builds a compact snapshot (`flaskscan db build --from <all.zip|dir> [--ghsa-dir DIR] --out FILE`).
pub fn db_build(
    from: &Path,
    extra: &[PathBuf],
    out: &Path,
) -> Result<sources::snapshot::BuildReport, String> {
    let mut inputs: Vec<&Path> = vec![from];
    inputs.extend(extra.iter().map(PathBuf::as_path));
    sources::snapshot::build(
        &inputs,
        "OSV (PyPA advisory-database and GitHub Advisory Database), CC-BY-4.0",
        out,
    )
}

/// A `SystemTime` as a UTC `YYYY-MM-DD` date.
pub fn civil_date(t: SystemTime) -> String {
    let days = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(UNIX_EPOCH), "1970-01-01");
        let t = UNIX_EPOCH + Duration::from_secs(1_728_518_400); // 2024-10-10
        assert_eq!(civil_date(t), "2024-10-10");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(civil_date(leap), "2000-02-29");
    }

    #[test]
    fn modes_parse() {
        assert_eq!(AdvisoryMode::parse("offline"), Some(AdvisoryMode::Offline));
        assert_eq!(AdvisoryMode::parse("nope"), None);
    }
}
