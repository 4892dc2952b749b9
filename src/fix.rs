//! Applying the rules' fixes: to a text (tests, `--diff`) and to the scanned files (`--fix`).
//!
//! A file is changed only when it still has the exact text that was scanned (its SHA-256 is
//! in every fix): an editor or another tool may have written it since, and edits at stale
//! offsets would corrupt it.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::finding::{Finding, Fix};

/// What fixing one text did.
#[derive(Debug, Default)]
pub struct TextFixes {
    pub text: String,
    /// Fingerprints of the findings whose fix was applied.
    pub fixed: Vec<String>,
}

/// Applies the fixes of `findings` (all in one file) to `text`. Fixes go in source order; one
/// that would overlap an already applied edit is left out whole (the next `--fix` run, on the
/// new text, can take it).
pub fn apply_to_text(text: &str, findings: &[&Finding]) -> TextFixes {
    let mut fixes: Vec<(&Finding, &Fix)> = findings
        .iter()
        .filter_map(|f| f.autofix.as_deref().map(|fix| (*f, fix)))
        .filter(|(_, fix)| !fix.edits.is_empty())
        .collect();
    fixes.sort_by_key(|(_, fix)| fix.edits.iter().map(|e| e.start).min());
    let mut chosen = Vec::new();
    let mut taken: Vec<(u32, u32)> = Vec::new();
    let mut fixed = Vec::new();
    for (finding, fix) in fixes {
        let fits = fix.edits.iter().all(|e| {
            e.start <= e.end
                && (e.end as usize) <= text.len()
                && text.is_char_boundary(e.start as usize)
                && text.is_char_boundary(e.end as usize)
                && taken.iter().all(|&(s, t)| e.end <= s || e.start >= t)
        });
        if !fits {
            continue;
        }
        taken.extend(fix.edits.iter().map(|e| (e.start, e.end)));
        chosen.extend(fix.edits.iter());
        fixed.push(finding.fingerprint.clone());
    }
    chosen.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0usize;
    for edit in chosen {
        out.push_str(&text[at..edit.start as usize]);
        out.push_str(&edit.content);
        at = edit.end as usize;
    }
    out.push_str(&text[at..]);
    TextFixes { text: out, fixed }
}

/// Findings with a fix, by file path (relative to the scan root).
pub fn by_file(findings: &[Finding]) -> BTreeMap<&str, Vec<&Finding>> {
    let mut files: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings
        .iter()
        .filter(|f| f.autofix.is_some() && f.suppressed.is_none())
    {
        files.entry(f.location.path.as_str()).or_default().push(f);
    }
    files
}

/// A file's fixed text, or why it is left alone.
pub enum Planned {
    Change { before: String, after: TextFixes },
    Skipped(String),
}

/// What fixing every file would do, by path; nothing is written.
pub fn plan(root: &Path, findings: &[Finding]) -> BTreeMap<String, Planned> {
    by_file(findings)
        .into_iter()
        .map(|(path, found)| (path.to_string(), plan_file(root, path, &found)))
        .collect()
}

fn plan_file(root: &Path, path: &str, findings: &[&Finding]) -> Planned {
    match read_as_scanned(root, path, findings) {
        Ok(before) => {
            let after = apply_to_text(&before, findings);
            Planned::Change { before, after }
        }
        Err(why) => Planned::Skipped(why),
    }
}

/// The text of `path` (under `root`) when it is still the text the fixes of `findings` were
/// made for; else why not. A symlink planted since the scan is not followed.
pub fn read_as_scanned(root: &Path, path: &str, findings: &[&Finding]) -> Result<String, String> {
    let full = root.join(path);
    match std::fs::symlink_metadata(&full) {
        Ok(m) if m.file_type().is_file() => {}
        Ok(_) => return Err("no longer a regular file".into()),
        Err(e) => return Err(format!("cannot read it: {e}")),
    }
    let text = std::fs::read_to_string(&full).map_err(|e| format!("cannot read it: {e}"))?;
    let hash = Fix::hash_source(&text);
    let scanned = findings
        .iter()
        .filter_map(|f| f.autofix.as_deref())
        .all(|fix| fix.source_sha256 == hash);
    if !scanned {
        return Err("it changed since the scan; scan again".into());
    }
    Ok(text)
}

/// What `--fix` did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Files written, with how many findings each fixed.
    pub files: Vec<(String, usize)>,
    /// Files left alone, with why.
    pub skipped: Vec<(String, String)>,
    /// Fingerprints of the findings fixed.
    pub fixed: HashSet<String>,
}

/// Applies every fix to the files under `root`, each file replaced atomically.
pub fn apply_to_files(root: &Path, findings: &[Finding]) -> Applied {
    let mut applied = Applied::default();
    for (path, planned) in plan(root, findings) {
        match planned {
            Planned::Skipped(why) => applied.skipped.push((path, why)),
            Planned::Change { after, .. } if after.fixed.is_empty() => {}
            Planned::Change { after, .. } => match write_atomically(&root.join(&path), &after.text)
            {
                Ok(()) => {
                    applied.files.push((path, after.fixed.len()));
                    applied.fixed.extend(after.fixed);
                }
                Err(e) => applied
                    .skipped
                    .push((path, format!("cannot write it: {e}"))),
            },
        }
    }
    applied
}

/// Writes `text` next to `path` and renames it over, keeping the file's permissions, so a
/// failure midway never leaves half a file.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.flaskscan-fix"));
    let permissions = std::fs::metadata(path)?.permissions();
    std::fs::write(&tmp, text)?;
    std::fs::set_permissions(&tmp, permissions)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// The fixes as a unified diff (`--- a/path`, `+++ b/path`), files in path order, and the
/// number of findings they fix.
pub fn diff(root: &Path, findings: &[Finding]) -> (String, usize, Vec<(String, String)>) {
    let mut out = String::new();
    let mut count = 0;
    let mut skipped = Vec::new();
    for (path, planned) in plan(root, findings) {
        match planned {
            Planned::Skipped(why) => skipped.push((path, why)),
            Planned::Change { before, after } => {
                count += after.fixed.len();
                out.push_str(&unified(&path, &before, &after.text));
            }
        }
    }
    (out, count, skipped)
}

/// One file's unified diff with three lines of context.
pub fn unified(path: &str, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}
