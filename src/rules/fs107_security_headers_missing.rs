//! FS107 security-headers-missing (app rule).

use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::flask::AppFacts;

pub const RULE: Rule = Rule {
    id: "FS107",
    name: "security-headers-missing",
    severity: Severity::Low,
    cwe: &[693, 1021],
    kind: RuleKind::App,
    precision: Precision::Medium,
    suite: Suite::Default,
    message: "The app serves HTML without security headers (CSP, X-Frame-Options, nosniff)",
    fix: "Add Flask-Talisman (`Talisman(app)`) or an `@app.after_request` hook that sets `Content-Security-Policy`, `X-Frame-Options` and `X-Content-Type-Options`.",
    help: "Without a Content-Security-Policy an injected script runs freely; without X-Frame-Options (or CSP frame-ancestors) the pages can be framed for clickjacking; without `nosniff` browsers may execute uploads as scripts.",
    bad: "app = Flask(__name__)",
    good: "app = Flask(__name__)\nTalisman(app)",
};

/// An app with HTML views and something to protect (see [`anything_to_protect`]), and neither
/// Talisman, a header-setting `after_request` hook, nor a security header table for middleware
/// or the hosting server.
pub fn check(facts: &AppFacts, out: &mut Vec<AppFinding>) {
    if facts.talisman || facts.has_header_hook() || facts.security_header_table {
        return;
    }
    let serves_html = facts
        .routes
        .iter()
        .any(|r| facts.views_of(r).any(|v| v.renders_html));
    if !serves_html || !anything_to_protect(facts) {
        return;
    }
    if let Some(app) = facts.apps.first() {
        out.push(AppFinding {
            flow: Vec::new(),
            related: Vec::new(),
            rule: &RULE,
            location: app.clone(),
            message: "The app serves HTML but sets no Content-Security-Policy, X-Frame-Options or X-Content-Type-Options (no Talisman, no after_request hook)".into(),
        });
    }
}

/// Whether a framing page or injected script could do anything in the app: it knows who is
/// asking (a cookie session or login, or a token or key the client sends), so a click in a
/// framed page or a script acts as that user or takes their key. An app with no credential of
/// any kind (a public dashboard, an embeddable widget, a single-user local tool) lets anyone do
/// directly whatever a framed page could make a visitor do.
fn anything_to_protect(facts: &AppFacts) -> bool {
    facts.ambient_credentials || !facts.credential_readers.is_empty()
}
