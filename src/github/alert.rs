//! One view of a result, whoever found it: flaskscan's own findings and other tools' SARIF results
//! both become [`Alert`]s, which the annotations, the PR comment and the summary read.

use serde_json::Value;

use crate::finding::{Finding, PackageFacts, Severity};
use crate::rules::RuleKind;

/// A result ready to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// The tool's name (`flaskscan`, `Bandit`...).
    pub tool: String,
    pub rule_id: String,
    /// Human-readable rule name, when known.
    pub rule_name: Option<String>,
    pub severity: Severity,
    pub message: String,
    /// Repository-relative `/`-separated path; `None` when the result has no file location.
    pub path: Option<String>,
    pub start_line: u32,
    pub end_line: u32,
    pub start_column: Option<u32>,
    /// Exclusive end column.
    pub end_column: Option<u32>,
    /// Fingerprint values (ours, GitHub's line hash, other tools'), used to match a baseline.
    pub fingerprints: Vec<String>,
    pub suppressed: bool,
    /// A vulnerable dependency rather than a code finding.
    pub dependency: bool,
    /// Whether it is flaskscan's own finding (only those count for `fail-on`).
    pub own: bool,
    /// Package, version and advisory of one of our vulnerable-dependency findings.
    pub package: Option<PackageFacts>,
}

impl Alert {
    /// Converts one of our findings; `prefix` is the scan root relative to the repository.
    pub fn from_finding(finding: &Finding, prefix: &str) -> Self {
        let loc = &finding.location;
        let mut fingerprints = vec![finding.fingerprint.clone()];
        fingerprints.extend(finding.line_hash.clone());
        fingerprints.retain(|f| !f.is_empty());
        Self {
            tool: "flaskscan".to_string(),
            rule_id: finding.rule.id.to_string(),
            rule_name: Some(finding.rule.name.to_string()),
            severity: finding.severity,
            message: finding.message.clone(),
            path: Some(join_prefix(prefix, &loc.path)),
            start_line: loc.start.line.max(1),
            end_line: loc.end.line.max(loc.start.line).max(1),
            start_column: Some(loc.start.column).filter(|c| *c > 0),
            end_column: Some(loc.end.column).filter(|c| *c > 0),
            fingerprints,
            suppressed: finding.suppressed.is_some(),
            dependency: finding.rule.kind == RuleKind::Dependency,
            own: true,
            package: finding.package.as_deref().cloned(),
        }
    }

    /// Converts every result of a SARIF log (other tools' runs).
    pub fn from_sarif(log: &Value, checkout: &str) -> Vec<Self> {
        let mut alerts = Vec::new();
        for run in log
            .get("runs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let tool = run
                .pointer("/tool/driver/name")
                .and_then(Value::as_str)
                .unwrap_or("unknown tool")
                .to_string();
            let category = run
                .pointer("/automationDetails/id")
                .and_then(Value::as_str)
                .unwrap_or("");
            let dependency = category.contains("deps") || category.contains("dependenc");
            for result in run
                .get("results")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                alerts.push(Self::from_sarif_result(
                    run, result, &tool, dependency, checkout,
                ));
            }
        }
        alerts
    }

    fn from_sarif_result(
        run: &Value,
        result: &Value,
        tool: &str,
        dependency: bool,
        checkout: &str,
    ) -> Self {
        let rule = result_rule(run, result);
        let rule_id = result
            .get("ruleId")
            .and_then(Value::as_str)
            .or_else(|| rule.and_then(|r| r.get("id")).and_then(Value::as_str))
            .unwrap_or("(no rule)")
            .to_string();
        let physical = result.pointer("/locations/0/physicalLocation");
        let uri = physical
            .and_then(|p| p.pointer("/artifactLocation/uri"))
            .and_then(Value::as_str);
        let region = physical.and_then(|p| p.get("region"));
        let num = |key: &str| {
            region
                .and_then(|r| r.get(key))
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
        };
        let start_line = num("startLine").unwrap_or(1).max(1);
        let mut fingerprints = Vec::new();
        for key in ["partialFingerprints", "fingerprints"] {
            if let Some(map) = result.get(key).and_then(Value::as_object) {
                fingerprints.extend(map.values().filter_map(Value::as_str).map(str::to_string));
            }
        }
        Self {
            tool: tool.to_string(),
            rule_id,
            rule_name: rule
                .and_then(|r| r.get("name"))
                .and_then(Value::as_str)
                .map(str::to_string),
            severity: result_severity(run, result),
            message: result
                .pointer("/message/text")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            path: uri.and_then(|u| repo_relative(u, checkout)),
            start_line,
            end_line: num("endLine").unwrap_or(start_line).max(start_line),
            start_column: num("startColumn"),
            end_column: num("endColumn"),
            fingerprints,
            suppressed: is_suppressed(result),
            dependency,
            own: false,
            package: None,
        }
    }

    /// `RULE: name` for titles.
    pub fn title(&self) -> String {
        match &self.rule_name {
            Some(name) if name != &self.rule_id => format!("{}: {name}", self.rule_id),
            _ => self.rule_id.clone(),
        }
    }
}

/// Sorts most severe first, then by path and line (the order every channel shows).
pub fn sort_by_severity(alerts: &mut [Alert]) {
    alerts.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.start_line.cmp(&b.start_line))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
}

/// The rule object a result refers to (by `ruleIndex`, else by `ruleId`).
pub fn result_rule<'a>(run: &'a Value, result: &Value) -> Option<&'a Value> {
    let rules = run.pointer("/tool/driver/rules")?.as_array()?;
    let index = result
        .get("ruleIndex")
        .or_else(|| result.pointer("/rule/index"))
        .and_then(Value::as_u64);
    if let Some(rule) = index.and_then(|i| rules.get(usize::try_from(i).ok()?)) {
        return Some(rule);
    }
    let id = result.get("ruleId").and_then(Value::as_str)?;
    rules
        .iter()
        .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
}

/// A result's severity: the rule's `security-severity` score in GitHub's bands, else its level.
pub fn result_severity(run: &Value, result: &Value) -> Severity {
    let rule = result_rule(run, result);
    let score = rule
        .and_then(|r| r.pointer("/properties/security-severity"))
        .and_then(|v| match v {
            Value::String(s) => s.trim().parse::<f64>().ok(),
            other => other.as_f64(),
        });
    if let Some(score) = score {
        return crate::deps::advisory::cvss::severity_of_score(score);
    }
    let level = result
        .get("level")
        .or_else(|| rule.and_then(|r| r.pointer("/defaultConfiguration/level")))
        .and_then(Value::as_str)
        .unwrap_or("warning");
    match level {
        "error" => Severity::High,
        "warning" => Severity::Medium,
        _ => Severity::Low,
    }
}

/// Whether a SARIF result is suppressed (an accepted suppression; rejected ones don't count).
pub fn is_suppressed(result: &Value) -> bool {
    result
        .get("suppressions")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter().any(|sup| {
                !matches!(
                    sup.get("status").and_then(Value::as_str),
                    Some("rejected" | "underReview")
                )
            })
        })
}

/// A repository-relative path for a SARIF URI: relative URIs as they are, `file://` URIs under
/// `checkout` (the workspace) made relative, anything else unusable for annotations.
fn repo_relative(uri: &str, checkout: &str) -> Option<String> {
    let decoded = percent_decode(uri);
    let path = match decoded.strip_prefix("file://") {
        Some(abs) => {
            let root = checkout.trim_end_matches('/');
            abs.strip_prefix(root)?.trim_start_matches('/').to_string()
        }
        None if decoded.contains("://") || decoded.starts_with('/') => return None,
        None => decoded.trim_start_matches("./").to_string(),
    };
    (!path.is_empty()).then_some(path)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `prefix/path`, or `path` when the prefix is empty or `.`.
pub fn join_prefix(prefix: &str, path: &str) -> String {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() || prefix == "." {
        path.to_string()
    } else {
        format!("{prefix}/{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn severity_comes_from_security_severity_then_level() {
        let run = json!({"tool": {"driver": {"name": "t", "rules": [
            {"id": "A", "properties": {"security-severity": "9.8"}},
            {"id": "B", "defaultConfiguration": {"level": "note"}}]}}});
        assert_eq!(
            result_severity(&run, &json!({"ruleId": "A"})),
            Severity::Critical
        );
        assert_eq!(
            result_severity(&run, &json!({"ruleIndex": 1})),
            Severity::Low
        );
        assert_eq!(
            result_severity(&run, &json!({"ruleId": "B", "level": "error"})),
            Severity::High
        );
        assert_eq!(
            result_severity(&run, &json!({"ruleId": "C"})),
            Severity::Medium
        );
    }

    #[test]
    fn uris_become_repository_relative() {
        assert_eq!(
            repo_relative("app/x%20y.py", "/ws").as_deref(),
            Some("app/x y.py")
        );
        assert_eq!(
            repo_relative("file:///ws/app.py", "/ws").as_deref(),
            Some("app.py")
        );
        assert_eq!(repo_relative("file:///elsewhere/a.py", "/ws"), None);
        assert_eq!(repo_relative("https://x/a.py", "/ws"), None);
    }

    #[test]
    fn rejected_suppressions_do_not_suppress() {
        assert!(is_suppressed(
            &json!({"suppressions": [{"kind": "inSource"}]})
        ));
        assert!(!is_suppressed(
            &json!({"suppressions": [{"kind": "inSource", "status": "rejected"}]})
        ));
        assert!(!is_suppressed(&json!({"suppressions": []})));
    }
}
