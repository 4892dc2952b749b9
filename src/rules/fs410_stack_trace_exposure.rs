//! FS410 stack-trace-exposure (taint: the analysis lives in `crate::taint`, what counts as
//! exception text that reaches a client in `crate::taint::exceptions`).
//!
//! Linked: tracebacks, and the text of database, driver or operating-system errors (or of a
//! broad `except Exception` around database or filesystem work), are default-suite findings;
//! other exception text (an outbound call's library error shown to the operator who made it) is
//! an audit finding, reported with `--select FS410`.

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS410",
    name: "stack-trace-exposure",
    severity: Severity::Medium,
    cwe: &[209],
    kind: RuleKind::Taint,
    precision: Precision::Medium,
    suite: Suite::Linked,
    message: "Exception details are sent to the client",
    fix: "Log the exception and return a generic error message.",
    help: "Tracebacks and exception messages reveal file paths, library versions, queries and sometimes secrets that help an attacker. By default FS410 reports tracebacks and the text of database, driver and operating-system errors (or of a broad `except Exception` around database or filesystem work); other exception text, often shown on purpose, is reported with `--select FS410`.",
    bad: "except Exception:\n    return traceback.format_exc(), 500",
    good: "except Exception:\n    app.logger.exception(\"failed\")\n    return \"Internal error\", 500",
};
