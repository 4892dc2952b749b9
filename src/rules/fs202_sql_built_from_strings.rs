//! FS202 sql-built-from-strings (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS202",
    name: "sql-built-from-strings",
    severity: Severity::Low,
    cwe: &[89],
    kind: RuleKind::Taint,
    precision: Precision::Low,
    suite: Suite::Audit,
    message: "SQL text is built by string formatting and executed",
    fix: "Use query parameters for values, and an allow-list for identifiers you must interpolate (table or column names).",
    help: "SQL assembled with f-strings, `%`, `.format` or `+` is one refactor away from SQL injection: the value's origin is not visible here. This audit rule fires when the values do not come from request data the analysis can see.",
    bad: "cur.execute(\"SELECT * FROM t WHERE id = %s\" % row_id)",
    good: "cur.execute(\"SELECT * FROM t WHERE id = %s\", (row_id,))",
};
