//! FS201 sql-injection (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS201",
    name: "sql-injection",
    severity: Severity::Critical,
    cwe: &[89],
    kind: RuleKind::Taint,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Request data reaches an SQL query",
    fix: "Pass request values as query parameters (`cur.execute(\"... WHERE id = ?\", (value,))`, `text(\"... :id\").bindparams(id=value)`); never format them into SQL text.",
    help: "Formatting request data into SQL lets a client rewrite the query: read or change any table, bypass logins, sometimes run commands on the database server.",
    bad: "cur.execute(f\"SELECT * FROM users WHERE name = '{request.args['name']}'\")",
    good: "cur.execute(\"SELECT * FROM users WHERE name = ?\", (request.args[\"name\"],))",
};
