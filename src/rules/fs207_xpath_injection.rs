//! FS207 xpath-injection (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS207",
    name: "xpath-injection",
    severity: Severity::High,
    cwe: &[643],
    kind: RuleKind::Taint,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Request data reaches an XPath expression",
    fix: "Use XPath variables (`tree.xpath(\"//user[@name=$name]\", name=value)`) instead of formatting values into the expression.",
    help: "A client who controls part of an XPath expression can select other nodes than intended, e.g. every user record.",
    bad: "tree.xpath(f\"//user[@name='{request.args['name']}']\")",
    good: "tree.xpath(\"//user[@name=$name]\", name=request.args[\"name\"])",
};
