//! FS501 open-redirect (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS501",
    name: "open-redirect",
    severity: Severity::Medium,
    cwe: &[601],
    kind: RuleKind::Taint,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Request data decides where the client is redirected",
    fix: "Redirect to `url_for(...)` endpoints, or check the target is a relative path on this host (`urlparse(target).netloc == \"\"`) or in an allow-list.",
    help: "Phishing links on your domain that bounce to an attacker's site look trustworthy, and can leak OAuth tokens.",
    bad: "return redirect(request.args.get(\"next\"))",
    good: "target = request.args.get(\"next\", \"\")\nif urlparse(target).netloc:\n    target = url_for(\"index\")\nreturn redirect(target)",
};
