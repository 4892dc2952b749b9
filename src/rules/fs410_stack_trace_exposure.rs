//! FS410 stack-trace-exposure (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS410",
    name: "stack-trace-exposure",
    severity: Severity::Medium,
    cwe: &[209],
    kind: RuleKind::Taint,
    precision: Precision::Medium,
    suite: Suite::Default,
    message: "Exception details are sent to the client",
    fix: "Log the exception and return a generic error message.",
    help: "Tracebacks and exception messages reveal file paths, library versions, queries and sometimes secrets that help an attacker.",
    bad: "except Exception:\n    return traceback.format_exc(), 500",
    good: "except Exception:\n    app.logger.exception(\"failed\")\n    return \"Internal error\", 500",
};
