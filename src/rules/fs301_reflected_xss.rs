//! FS301 reflected-xss (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS301",
    name: "reflected-xss",
    severity: Severity::High,
    cwe: &[79],
    kind: RuleKind::Taint,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Request data reaches an HTML response without escaping",
    fix: "Render a template (autoescaped) or escape the value with `markupsafe.escape`; return JSON with `jsonify`.",
    help: "A string returned from a view is served as `text/html`: request data in it runs as script in the victim's browser (reflected cross-site scripting). Data a third-party page cannot make the victim's browser send is not counted: a JSON body (`request.get_json()`, unless `force=True`), the Host-derived `host_url`/`url_root`, and the body of a POST-only view when the app checks a CSRF token on every unsafe request (only the user's own pages can post it: self-XSS).",
    bad: "return f\"<p>Hello {request.args['name']}</p>\"",
    good: "return f\"<p>Hello {escape(request.args['name'])}</p>\"",
};
