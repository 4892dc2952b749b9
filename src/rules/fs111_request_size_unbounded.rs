//! FS111 request-size-unbounded (app rule).

use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::flask::{AppFacts, BodyRead};

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

/// Whether the app tells requesters apart: it keeps a signed-in user (session, login extension,
/// cookies), or some function reads credentials from the request (HTTP authentication, an API
/// key header). An app with no notion of users (a personal tool bound to localhost) lets whoever
/// reaches it do everything a large body could, so a size limit protects no one from anyone.
fn knows_users(facts: &AppFacts) -> bool {
    facts.ambient_credentials || facts.http_auth_challenge || !facts.credential_readers.is_empty()
}

/// Uploads or raw bodies read somewhere without a check of the declared length before, in an app
/// that [`knows_users`], and neither `MAX_CONTENT_LENGTH` nor a body limit of the hosting server
/// set anywhere, nor configuration loaded from code the scan cannot read (which may set it).
pub fn check(facts: &AppFacts, out: &mut Vec<AppFinding>) {
    if facts.max_content_length
        || facts.other_body_limit
        || facts.config_unseen
        || facts.apps.is_empty()
        || !knows_users(facts)
    {
        return;
    }
    // A read after a check of the declared length, in its function or one it calls, is bounded.
    let bounded =
        |r: &&BodyRead| r.checked || r.calls.iter().any(|c| facts.length_checkers.contains(c));
    if let Some(read) = facts.body_reads.iter().find(|r| !bounded(r)) {
        out.push(AppFinding {
            flow: Vec::new(),
            related: Vec::new(),
            rule: &RULE,
            location: read.location.clone(),
            message: "Request bodies are read here but the app never sets `MAX_CONTENT_LENGTH`: uploads of any size are accepted".into(),
        });
    }
}
