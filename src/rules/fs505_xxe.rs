//! FS505 xxe (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS505",
    name: "xxe",
    severity: Severity::High,
    cwe: &[611, 776],
    kind: RuleKind::Taint,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Request data is parsed by an XML parser that resolves entities",
    fix: "Use `defusedxml`, or an lxml parser with `resolve_entities=False, no_network=True`.",
    help: "External entities read local files and reach internal URLs; entity expansion (billion laughs) exhausts memory.",
    bad: "etree.fromstring(request.data)",
    good: "defusedxml.lxml.fromstring(request.data)",
};
