//! Which findings a pull request introduces: lines it changes (from the API, so the container
//! needs no git) and fingerprints absent from the base branch's SARIF.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use anyhow::Context as _;
use serde_json::Value;

use super::alert::Alert;
use super::client::{ApiError, Client};

/// GitHub lists at most 3,000 files per pull request (`GET /pulls/{n}/files`), 100 per page.
pub const MAX_LISTED_FILES: usize = 3_000;
const MAX_FILE_PAGES: usize = MAX_LISTED_FILES / 100;

/// Lines changed by a pull request, per repository-relative path.
#[derive(Debug, Clone, Default)]
pub struct ChangedLines {
    files: BTreeMap<String, FileChange>,
    /// Files the API listed.
    pub listed: usize,
    /// The listing may lack some of the PR's files (GitHub stops at 3,000): a finding in a
    /// file not listed could not be told apart from an old one.
    pub incomplete: bool,
}

#[derive(Debug, Clone)]
enum FileChange {
    /// Added or modified lines (new-file numbering).
    Lines(BTreeSet<u32>),
    /// No patch available (binary, too large): treat every line as changed rather than hide findings.
    Whole,
}

impl ChangedLines {
    /// Fetches `GET /pulls/{n}/files` (every page) and parses each file's patch.
    /// `changed_files` is the PR's own count (event payload), when known.
    pub fn fetch(
        client: &Client,
        repo_route: &str,
        number: u64,
        changed_files: Option<u64>,
    ) -> Result<Self, ApiError> {
        let pages = client.get_all_pages(
            &format!("{repo_route}/pulls/{number}/files?per_page=100"),
            MAX_FILE_PAGES,
        )?;
        let mut changed = Self::from_files(&pages.items);
        let listed = pages.items.len();
        changed.listed = listed;
        // Without the PR's own count, a listing that reached the cap may have been cut there.
        changed.incomplete = pages.truncated
            || changed_files.map_or(listed >= MAX_LISTED_FILES, |n| n > listed as u64);
        Ok(changed)
    }

    /// Builds the map from the API's diff entries.
    pub fn from_files(files: &[Value]) -> Self {
        let mut out = Self::default();
        for file in files {
            let Some(name) = file.get("filename").and_then(Value::as_str) else {
                continue;
            };
            if file.get("status").and_then(Value::as_str) == Some("removed") {
                continue;
            }
            let change = match file.get("patch").and_then(Value::as_str) {
                Some(patch) => FileChange::Lines(added_lines(patch)),
                None => FileChange::Whole,
            };
            out.files.insert(name.to_string(), change);
        }
        out
    }

    /// Whether every line in `start..=end` of `path` is one the pull request adds: only such
    /// lines take a suggested change (a file without a patch has no commentable lines).
    pub fn covers(&self, path: &str, start: u32, end: u32) -> bool {
        match self.files.get(path) {
            Some(FileChange::Lines(lines)) => (start..=end.max(start)).all(|l| lines.contains(&l)),
            _ => false,
        }
    }

    /// Whether any line in `start..=end` of `path` was changed.
    pub fn touches(&self, path: &str, start: u32, end: u32) -> bool {
        match self.files.get(path) {
            None => false,
            Some(FileChange::Whole) => true,
            Some(FileChange::Lines(lines)) => lines.range(start..=end.max(start)).next().is_some(),
        }
    }
}

/// New-file line numbers of the `+` lines of a unified diff patch.
pub fn added_lines(patch: &str) -> BTreeSet<u32> {
    let mut lines = BTreeSet::new();
    let mut next: Option<u32> = None;
    for line in patch.lines() {
        if let Some(header) = line.strip_prefix("@@ ") {
            next = parse_hunk_start(header);
            continue;
        }
        let Some(n) = next.as_mut() else { continue };
        match line.as_bytes().first() {
            Some(b'+') => {
                lines.insert(*n);
                *n += 1;
            }
            Some(b'-') | Some(b'\\') => {}
            _ => *n += 1,
        }
    }
    lines
}

/// The new-file start line from `-a,b +c,d @@ ...`.
fn parse_hunk_start(header: &str) -> Option<u32> {
    let plus = header.split_whitespace().find(|p| p.starts_with('+'))?;
    plus[1..].split(',').next()?.parse().ok()
}

/// Fingerprints of the base branch's results, keyed by rule id.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    known: HashSet<(String, String)>,
}

impl Baseline {
    /// Reads a SARIF file (any tool) and collects its results' fingerprints.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = crate::workspace::read_named_text(path, super::merge::MAX_SARIF_BYTES)
            .map_err(|why| anyhow::anyhow!("cannot read the baseline {}: {why}", path.display()))?;
        let log: Value = serde_json::from_str(&text)
            .with_context(|| format!("the baseline {} is not JSON", path.display()))?;
        Ok(Self::from_sarif(&log))
    }

    /// Collects fingerprints from a parsed SARIF log.
    pub fn from_sarif(log: &Value) -> Self {
        let mut known = HashSet::new();
        for alert in Alert::from_sarif(log, "") {
            for fp in alert.fingerprints {
                known.insert((alert.rule_id.clone(), fp));
            }
        }
        Self { known }
    }

    /// Whether the base already had this alert (same rule, any shared fingerprint).
    pub fn contains(&self, alert: &Alert) -> bool {
        alert
            .fingerprints
            .iter()
            .any(|fp| self.known.contains(&(alert.rule_id.clone(), fp.clone())))
    }
}

/// Decides which alerts are new in a pull request.
#[derive(Debug, Clone, Default)]
pub struct NewFilter {
    pub changed: Option<ChangedLines>,
    pub baseline: Option<Baseline>,
}

impl NewFilter {
    /// New = on a changed line, or (with a baseline) a fingerprint the base doesn't have.
    /// With neither source every alert counts as new: better too much than a hidden finding.
    pub fn is_new(&self, alert: &Alert) -> bool {
        if self.changed.is_none() && self.baseline.is_none() {
            return true;
        }
        let on_changed_line = match (&self.changed, &alert.path) {
            (Some(changed), Some(path)) => changed.touches(path, alert.start_line, alert.end_line),
            _ => false,
        };
        let absent_from_base = self.baseline.as_ref().is_some_and(|b| !b.contains(alert));
        on_changed_line || absent_from_base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn added_lines_follow_hunk_numbering() {
        let patch = "@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C\n c\n@@ -10,2 +11,3 @@ def f():\n x\n+y\n\\ No newline at end of file";
        let lines: Vec<u32> = added_lines(patch).into_iter().collect();
        assert_eq!(lines, vec![2, 3, 12]);
    }

    #[test]
    fn removed_files_are_ignored_and_missing_patches_mean_whole_file() {
        let changed = ChangedLines::from_files(&[
            json!({"filename": "a.py", "status": "modified", "patch": "@@ -1 +1 @@\n-x\n+y"}),
            json!({"filename": "big.py", "status": "modified"}),
            json!({"filename": "gone.py", "status": "removed"}),
        ]);
        assert!(changed.touches("a.py", 1, 1));
        assert!(!changed.touches("a.py", 2, 5));
        assert!(changed.touches("big.py", 400, 400));
        assert!(!changed.touches("gone.py", 1, 1));
        assert!(!changed.touches("other.py", 1, 1));
    }
}
