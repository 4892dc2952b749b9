//! FS111 request-size-unbounded (app rule).

use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::flask::AppFacts;

pub const RULE: Rule = Rule {
    id: "FS111",
    name: "request-size-unbounded",
    severity: Severity::Low,
    cwe: &[770],
    kind: RuleKind::App,
    precision: Precision::Medium,
    suite: Suite::Default,
    message: "The app reads uploads or request bodies but never limits their size",
    fix: "Set `app.config[\"MAX_CONTENT_LENGTH\"] = 16 * 1024 * 1024` (or what your uploads need); Flask then answers 413 to larger bodies.",
    help: "Without `MAX_CONTENT_LENGTH` Werkzeug accepts request bodies of any size, so one client can fill memory or disk with a single upload.",
    bad: "f = request.files[\"photo\"]",
    good: "app.config[\"MAX_CONTENT_LENGTH\"] = 16 * 1024 * 1024",
};

/// Uploads or raw bodies read somewhere, and neither `MAX_CONTENT_LENGTH` nor a body limit of
/// the hosting server set anywhere, nor configuration loaded from code the scan cannot read
/// (which may set it).
pub fn check(facts: &AppFacts, out: &mut Vec<AppFinding>) {
    if facts.max_content_length
        || facts.server_body_limit
        || facts.config_unseen
        || facts.apps.is_empty()
    {
        return;
    }
    if let Some(read) = facts.body_reads.first() {
        out.push(AppFinding {
            flow: Vec::new(),
            related: Vec::new(),
            rule: &RULE,
            location: read.clone(),
            message: "Request bodies are read here but the app never sets `MAX_CONTENT_LENGTH`: uploads of any size are accepted".into(),
        });
    }
}
