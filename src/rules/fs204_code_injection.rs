//! FS204 code-injection (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS204",
    name: "code-injection",
    severity: Severity::Critical,
    cwe: &[94, 95],
    kind: RuleKind::Taint,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Request data reaches eval, exec or compile",
    fix: "Never evaluate request data as Python; parse it (`json.loads`, `ast.literal_eval`, `int()`) instead.",
    help: "`eval`/`exec` of client input runs arbitrary Python in the server process.",
    bad: "result = eval(request.args[\"expr\"])",
    good: "result = ast.literal_eval(request.args[\"expr\"])",
};
