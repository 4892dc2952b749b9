//! The on-disk cache: OSV records by id, querybatch answers with a TTL, and the downloaded export.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::snapshot::write_atomic;

/// `$XDG_CACHE_HOME/flaskscan`, else `~/.cache/flaskscan`.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("flaskscan"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".cache").join("flaskscan"))
}

/// Where `db update` keeps the OSV PyPI export.
pub fn export_path(dir: &Path) -> PathBuf {
    dir.join("osv").join("PyPI-all.zip")
}

/// A cached querybatch answer: the ids and `modified` stamps OSV returned for one query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryEntry {
    pub fetched_at: u64,
    pub vulns: Vec<(String, String)>,
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn query_path(dir: &Path, key: &str) -> PathBuf {
    let hash = hex(&Sha256::digest(key.as_bytes()));
    dir.join("osv").join("queries").join(format!("{hash}.json"))
}

/// A fresh (younger than `ttl`) cached answer for a query key.
pub fn get_query(dir: &Path, key: &str, ttl: Duration) -> Option<QueryEntry> {
    let text = std::fs::read_to_string(query_path(dir, key)).ok()?;
    let entry: QueryEntry = serde_json::from_str(&text).ok()?;
    (now_secs().saturating_sub(entry.fetched_at) < ttl.as_secs()).then_some(entry)
}

/// Stores a query answer; cache write failures only cost a refetch, so they are ignored.
pub fn put_query(dir: &Path, key: &str, entry: &QueryEntry) {
    if let Ok(bytes) = serde_json::to_vec(entry) {
        let _ = write_atomic(&query_path(dir, key), &bytes);
    }
}

/// A file-name-safe form of an OSV id (ids are `[A-Za-z0-9-]` in practice; anything else is hashed).
fn vuln_path(dir: &Path, id: &str) -> PathBuf {
    let safe = if !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        id.to_string()
    } else {
        hex(&Sha256::digest(id.as_bytes()))
    };
    dir.join("osv").join("vulns").join(format!("{safe}.json"))
}

/// A cached OSV record's raw JSON.
pub fn get_vuln(dir: &Path, id: &str) -> Option<String> {
    std::fs::read_to_string(vuln_path(dir, id)).ok()
}

/// Stores an OSV record's raw JSON (failures ignored, as for queries).
pub fn put_vuln(dir: &Path, id: &str, json: &str) {
    let _ = write_atomic(&vuln_path(dir, id), json.as_bytes());
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
