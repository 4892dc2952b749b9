//! FS601 vulnerable-dependency.

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS601",
    name: "vulnerable-dependency",
    severity: Severity::High,
    cwe: &[1395],
    kind: RuleKind::Dependency,
    precision: Precision::VeryHigh,
    suite: Suite::Default,
    message: "A pinned dependency has a known vulnerability",
    fix: "Upgrade the package to the nearest fixed release named in the finding.",
    help: "The pinned version is inside an affected range of an OSV advisory (PyPA advisory database, GitHub advisories). Attackers read the same advisories: known flaws in Flask, Werkzeug or Jinja2 are the cheapest way in. The finding's severity comes from the advisory's CVSS vector when present, else from the database's own rating.",
    bad: "werkzeug==2.2.2",
    good: "werkzeug==3.0.6",
};
