//! Annotations through the Checks API: one check run on the PR head commit, annotations added
//! 50 at a time, and always completed with a conclusion so it never hangs "in progress".

use crate::report::commands::Level;
use serde_json::{json, Value};

use super::alert::Alert;
use super::client::{ApiError, Client, Retry};

/// The Checks API takes at most 50 annotations per request; more are appended by further PATCHes.
pub const BATCH: usize = 50;

/// `output.summary` and `output.text` limit.
const MAX_SUMMARY: usize = 65_535;

/// A distinctive name: check runs made with `GITHUB_TOKEN` land in an arbitrary check suite.
pub const CHECK_NAME: &str = "flaskscan";

/// How the check run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conclusion {
    Success,
    Neutral,
    Failure,
}

impl Conclusion {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Neutral => "neutral",
            Self::Failure => "failure",
        }
    }
}

/// A check run in progress.
pub struct CheckRun {
    id: u64,
    route: String,
}

impl CheckRun {
    /// Creates the check run `in_progress` on `head_sha`.
    ///
    /// A POST answered with a 5xx or not at all may still have created the run, and a second
    /// one would hang "in progress" forever. So each attempt carries a unique `external_id`;
    /// before posting again the commit's flaskscan runs are listed and, if ours is there, it is
    /// used. When that listing fails, no second POST is risked.
    pub fn create(
        client: &Client,
        repo_route: &str,
        head_sha: &str,
        started_at: &str,
    ) -> Result<Self, ApiError> {
        let external_id = unique_external_id();
        let body = json!({
            "name": CHECK_NAME,
            "head_sha": head_sha,
            "external_id": external_id,
            "status": "in_progress",
            "started_at": started_at,
            "output": {"title": "flaskscan is scanning", "summary": "Scan in progress."},
        });
        let create = format!("{repo_route}/check-runs");
        let mut attempt = 1;
        let response = loop {
            match client.post(&create, &body, Retry::OnlyIfRefused) {
                Ok(response) => break response,
                Err(mut e) if e.is_transient() && attempt < client.timing().max_attempts => {
                    if !client.pause_before_recheck(
                        &mut e,
                        attempt,
                        "the check run may exist now",
                        "listing the commit's check runs",
                    ) {
                        return Err(e);
                    }
                    if let Some(id) =
                        find_by_external_id(client, repo_route, head_sha, &external_id)?
                    {
                        return Ok(Self::with_id(repo_route, id));
                    }
                    attempt += 1;
                }
                Err(mut e) => {
                    e.attempts = e.attempts.max(attempt);
                    return Err(e);
                }
            }
        };
        let id = response
            .body
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| ApiError {
                status: Some(response.status),
                call: format!("POST {repo_route}/check-runs"),
                message: "the response has no check run id".into(),
                ..ApiError::default()
            })?;
        Ok(Self::with_id(repo_route, id))
    }

    fn with_id(repo_route: &str, id: u64) -> Self {
        Self {
            id,
            route: format!("{repo_route}/check-runs/{id}"),
        }
    }

    /// The check run id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Adds annotations in batches of [`BATCH`]; stops at the first failed batch.
    ///
    /// GitHub appends each batch, so a batch answered with a 5xx or not at all is not simply
    /// sent again (its annotations would show twice): the run's `annotations_count` tells
    /// whether it landed.
    pub fn annotate(
        &self,
        client: &Client,
        title: &str,
        alerts: &[&Alert],
    ) -> Result<usize, ApiError> {
        let annotations: Vec<Value> = alerts.iter().filter_map(|a| annotation(a)).collect();
        let mut landed = 0;
        for batch in annotations.chunks(BATCH) {
            let body = json!({
                "output": {
                    "title": title,
                    "summary": format!("{} annotations", annotations.len()),
                    "annotations": batch,
                }
            });
            let mut attempt = 1;
            loop {
                match client.patch_with(&self.route, &body, Retry::OnlyIfRefused) {
                    Ok(_) => break,
                    Err(mut e) if e.is_transient() && attempt < client.timing().max_attempts => {
                        if !client.pause_before_recheck(
                            &mut e,
                            attempt,
                            "the annotations may have been added",
                            "reading the run's annotation count",
                        ) {
                            return Err(e);
                        }
                        match self.annotations_count(client) {
                            Some(n) if n >= landed + batch.len() => break,
                            Some(n) if n == landed => attempt += 1,
                            // Unknown or partly added: sending again could duplicate.
                            _ => {
                                e.attempts = attempt;
                                e.gave_up = Some(
                                    "could not tell whether the annotations were added, so they are not sent again".into(),
                                );
                                return Err(e);
                            }
                        }
                    }
                    Err(mut e) => {
                        e.attempts = e.attempts.max(attempt);
                        return Err(e);
                    }
                }
            }
            landed += batch.len();
        }
        Ok(annotations.len())
    }

    /// `output.annotations_count` of the run, if GitHub tells.
    fn annotations_count(&self, client: &Client) -> Option<usize> {
        let response = client.get(&self.route).ok()?;
        let count = response
            .body
            .pointer("/output/annotations_count")?
            .as_u64()?;
        usize::try_from(count).ok()
    }

    /// Completes the run with `conclusion` and the markdown `summary`.
    pub fn complete(
        &self,
        client: &Client,
        conclusion: Conclusion,
        title: &str,
        summary: &str,
        completed_at: &str,
    ) -> Result<(), ApiError> {
        let body = json!({
            "status": "completed",
            "conclusion": conclusion.as_str(),
            "completed_at": completed_at,
            "output": {"title": title, "summary": truncate(summary, MAX_SUMMARY)},
        });
        client.patch(&self.route, &body).map(|_| ())
    }
}

/// An `external_id` no other run shares: process id and clock.
fn unique_external_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("flaskscan-{}-{nanos:x}", std::process::id())
}

/// The id of the flaskscan check run on `head_sha` with this `external_id`, if GitHub has it.
fn find_by_external_id(
    client: &Client,
    repo_route: &str,
    head_sha: &str,
    external_id: &str,
) -> Result<Option<u64>, ApiError> {
    let response = client.get(&format!(
        "{repo_route}/commits/{head_sha}/check-runs?check_name={CHECK_NAME}&filter=all&per_page=100"
    ))?;
    Ok(response
        .body
        .get("check_runs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|run| run.get("external_id").and_then(Value::as_str) == Some(external_id))
        .and_then(|run| run.get("id").and_then(Value::as_u64)))
}

/// One Checks API annotation, or `None` for a result without a file location.
pub fn annotation(alert: &Alert) -> Option<Value> {
    let path = alert.path.as_ref()?;
    // The Checks API calls the error level `failure`.
    let level = match Level::for_severity(alert.severity) {
        Level::Error => "failure",
        other => other.as_str(),
    };
    let mut a = json!({
        "path": path,
        "start_line": alert.start_line,
        "end_line": alert.end_line,
        "annotation_level": level,
        "message": truncate(&alert.message_or_title(), 60_000),
        "title": truncate(&format!("[{}] {}", alert.severity, alert.title()), 255),
    });
    // Columns are only accepted when the annotation is on one line.
    if alert.start_line == alert.end_line {
        if let Some(start) = alert.start_column {
            a["start_column"] = json!(start);
            if let Some(end) = alert.end_column.filter(|e| *e >= start) {
                a["end_column"] = json!(end);
            }
        }
    }
    Some(a)
}

impl Alert {
    /// The message, or the rule title when a tool left the message empty (the API requires one).
    pub fn message_or_title(&self) -> String {
        if self.message.trim().is_empty() {
            self.title()
        } else {
            self.message.clone()
        }
    }
}

/// At most `max` bytes, cut on a character boundary.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;

    fn alert(start: u32, end: u32) -> Alert {
        Alert {
            tool: "flaskscan".into(),
            rule_id: "FS101".into(),
            rule_name: Some("debug-mode-enabled".into()),
            severity: Severity::High,
            message: "Debug mode".into(),
            path: Some("app.py".into()),
            start_line: start,
            end_line: end,
            start_column: Some(1),
            end_column: Some(9),
            fingerprints: vec![],
            suppressed: false,
            dependency: false,
            own: true,
            package: None,
        }
    }

    #[test]
    fn annotation_levels_and_columns() {
        let a = annotation(&alert(3, 3)).unwrap();
        assert_eq!(a["annotation_level"], "failure");
        assert_eq!(a["start_column"], 1);
        let a = annotation(&alert(3, 4)).unwrap();
        assert!(a.get("start_column").is_none());
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("ééé", 5), "é...");
        assert_eq!(truncate("abc", 5), "abc");
    }
}
