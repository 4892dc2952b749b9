//! FS409 trust-boundary-violation (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS409",
    name: "trust-boundary-violation",
    severity: Severity::Low,
    cwe: &[501],
    kind: RuleKind::Taint,
    precision: Precision::Medium,
    suite: Suite::Audit,
    message: "Request data is stored in the session without validation",
    fix: "Validate the value (type conversion, allow-list, form validation) before storing it in the session.",
    help: "Code reading the session trusts what it finds there; storing unvalidated request data mixes trusted and untrusted values.",
    bad: "session[\"role\"] = request.form[\"role\"]",
    good: "if request.form[\"role\"] in ROLES:\n    session[\"role\"] = request.form[\"role\"]",
};
