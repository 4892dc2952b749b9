//! Suggested changes on the pull request: a finding with a fix on lines the pull request adds
//! becomes a review comment with a ```` ```suggestion ```` block the reviewer applies in one
//! click. All of a run's new suggestions go out as one review; on the next run, a suggestion
//! already posted is not posted again, and one whose finding is gone is deleted.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::{json, Value};

use super::client::{ApiError, Client, Retry};
use super::diff::ChangedLines;
use crate::finding::{Finding, Fix};

/// Starts every suggestion comment, followed by the finding's fingerprint and ` -->`.
pub const MARKER: &str = "<!-- flaskscan:suggestion ";

/// Review comment pages walked to find ours (100 per page).
const MAX_PAGES: usize = 30;

/// Suggestions posted in one review at most; the rest wait for the next run.
pub const MAX_PER_REVIEW: usize = 50;

/// One suggested change, ready to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The finding's fingerprint: what ties a posted comment to its finding.
    pub key: String,
    /// Repository-relative path.
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    pub body: String,
}

/// Suggestions for `findings` (paths relative to `root`; `prefix` makes them repository-relative)
/// whose fix touches only lines the pull request adds. A file that changed since the scan gets
/// none.
pub fn build(
    findings: &[Finding],
    root: &Path,
    prefix: &str,
    changed: &ChangedLines,
) -> Vec<Suggestion> {
    let mut texts: BTreeMap<&str, Option<String>> = BTreeMap::new();
    let mut out = Vec::new();
    for finding in findings.iter().filter(|f| f.suppressed.is_none()) {
        let Some(fix) = finding.autofix.as_deref() else {
            continue;
        };
        let path = super::alert::join_prefix(prefix, &finding.location.path);
        let Some((start_line, end_line)) = line_span(fix) else {
            continue;
        };
        if !changed.covers(&path, start_line, end_line) {
            continue;
        }
        // Read once per file (every fix of a file carries the same scanned hash), and only
        // while it is still the text the fixes were made for.
        let in_scan = finding.location.path.as_str();
        let text = texts
            .entry(in_scan)
            .or_insert_with(|| crate::fix::read_as_scanned(root, in_scan, &[finding]).ok());
        let Some(text) = text.as_deref() else {
            continue;
        };
        let fixed = crate::fix::apply_to_text(text, &[finding]);
        if fixed.fixed.is_empty() {
            continue;
        }
        let lines = replaced_lines(text, &fixed.text, start_line, end_line);
        out.push(Suggestion {
            key: finding.fingerprint.clone(),
            path,
            start_line,
            end_line,
            body: body(finding, fix, &lines),
        });
    }
    out
}

/// The lines the fix's edits touch, first to last (1-based).
fn line_span(fix: &Fix) -> Option<(u32, u32)> {
    let start = fix.edits.iter().map(|e| e.start_position.line).min()?;
    let end = fix
        .edits
        .iter()
        .map(|e| {
            // An edit ending at column 1 ends before that line: a removed whole line.
            if e.end_position.column == 1 && e.end_position.line > e.start_position.line {
                e.end_position.line - 1
            } else {
                e.end_position.line
            }
        })
        .max()?;
    Some((start, end.max(start)))
}

/// What lines `start..=end` of `before` become in `after`: the text between the same
/// unchanged prefix and suffix of lines.
fn replaced_lines(before: &str, after: &str, start: u32, end: u32) -> String {
    let old: Vec<&str> = before.split_inclusive('\n').collect();
    let new: Vec<&str> = after.split_inclusive('\n').collect();
    let head = (start as usize).saturating_sub(1);
    let tail = old.len().saturating_sub(end as usize);
    let replaced = &new[head.min(new.len())..new.len().saturating_sub(tail).max(head)];
    replaced.concat().trim_end_matches('\n').to_string()
}

/// The comment: the marker, what is wrong, what the fix does, and the suggestion block (fenced
/// with more backticks than the code holds).
fn body(finding: &Finding, fix: &Fix, lines: &str) -> String {
    let longest = lines.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!(
        "{MARKER}{} -->\n**flaskscan {}** {} ({}): {}\n\n{}:\n\n{fence}suggestion\n{lines}\n{fence}\n",
        finding.fingerprint,
        finding.rule.id,
        finding.rule.name,
        finding.severity.as_str(),
        finding.message.replace('\n', " "),
        fix.description
    )
}

/// What [`publish`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Published {
    /// Suggestions posted by this run.
    pub posted: usize,
    /// Already on the pull request with the same text: left as they are.
    pub kept: usize,
    /// Stale suggestions deleted (their finding is gone or its fix changed).
    pub deleted: usize,
}

/// Brings the pull request's suggestion comments in line with `suggestions`: posts the missing
/// ones as one review on `commit_id`, deletes ours that no longer match a finding.
pub fn publish(
    client: &Client,
    repo_route: &str,
    number: u64,
    commit_id: &str,
    suggestions: &[Suggestion],
) -> Result<Published, ApiError> {
    let mut result = Published::default();
    let mut attempt = 1;
    loop {
        let existing = ours(client, repo_route, number)?;
        let wanted: HashSet<(&str, &str, u32)> = suggestions
            .iter()
            .map(|s| (s.key.as_str(), s.body.as_str(), s.end_line))
            .collect();
        let present: HashSet<(&str, &str, u32)> = existing
            .iter()
            .map(|c| (c.key.as_str(), c.body.as_str(), c.line))
            .collect();
        // Deleted first, so a fix whose text changed is not shown twice.
        for stale in existing
            .iter()
            .filter(|c| !wanted.contains(&(c.key.as_str(), c.body.as_str(), c.line)))
        {
            match client.delete(&format!("{repo_route}/pulls/comments/{}", stale.id)) {
                Ok(_) => result.deleted += 1,
                Err(e) if e.status == Some(404) => {}
                Err(e) => return Err(e),
            }
        }
        let missing: Vec<&Suggestion> = suggestions
            .iter()
            .filter(|s| !present.contains(&(s.key.as_str(), s.body.as_str(), s.end_line)))
            .collect();
        result.kept = suggestions.len() - missing.len();
        let missing = &missing[..missing.len().min(MAX_PER_REVIEW)];
        if missing.is_empty() {
            return Ok(result);
        }
        let review = json!({
            "commit_id": commit_id,
            "event": "COMMENT",
            "body": format!("flaskscan suggests {} fix(es) for findings on lines this pull request changes.", missing.len()),
            "comments": missing.iter().map(|s| review_comment(s)).collect::<Vec<_>>(),
        });
        match client.post(
            &format!("{repo_route}/pulls/{number}/reviews"),
            &review,
            Retry::OnlyIfRefused,
        ) {
            Ok(_) => {
                result.posted = missing.len();
                return Ok(result);
            }
            // The review may exist despite the error: list again before posting again.
            Err(mut e) if e.is_transient() => {
                if attempt >= client.timing().max_attempts
                    || !client.pause_before_recheck(
                        &mut e,
                        attempt,
                        "the review may exist now",
                        "listing the review comments again",
                    )
                {
                    e.attempts = attempt;
                    return Err(e);
                }
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// A comment of the review: on the new side of the diff, one line or a range.
fn review_comment(s: &Suggestion) -> Value {
    let mut c = json!({
        "path": s.path,
        "line": s.end_line,
        "side": "RIGHT",
        "body": s.body,
    });
    if s.start_line < s.end_line {
        c["start_line"] = json!(s.start_line);
        c["start_side"] = json!("RIGHT");
    }
    c
}

/// One of our suggestion comments already on the pull request.
struct Posted {
    id: u64,
    key: String,
    body: String,
    line: u32,
}

/// Our suggestion comments (their body starts with the marker), oldest first.
fn ours(client: &Client, repo_route: &str, number: u64) -> Result<Vec<Posted>, ApiError> {
    let pages = client.get_all_pages(
        &format!("{repo_route}/pulls/{number}/comments?per_page=100"),
        MAX_PAGES,
    )?;
    Ok(pages
        .items
        .iter()
        .filter_map(|c| {
            let body = c.get("body").and_then(Value::as_str)?;
            let key = body.strip_prefix(MARKER)?.split(" -->").next()?.to_string();
            Some(Posted {
                id: c.get("id").and_then(Value::as_u64)?,
                key,
                body: body.to_string(),
                line: c
                    .get("line")
                    .or_else(|| c.get("original_line"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0) as u32,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaced_lines_are_the_new_text_between_the_unchanged_lines() {
        let before = "a\nb = f(x, verify=False)\nc\n";
        let after = "a\nb = f(x)\nc\n";
        assert_eq!(replaced_lines(before, after, 2, 2), "b = f(x)");
        // A removed line: the suggestion keeps the lines around it.
        let before = "f(\n    x,\n    verify=False,\n)\n";
        let after = "f(\n    x,\n)\n";
        assert_eq!(replaced_lines(before, after, 2, 3), "    x,");
        // Only the removed line: an empty suggestion deletes it.
        assert_eq!(replaced_lines(before, after, 3, 3), "");
    }
}
