//! FS208 nosql-injection (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS208",
    name: "nosql-injection",
    severity: Severity::High,
    cwe: &[943],
    kind: RuleKind::Taint,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Request data reaches a MongoDB query as operators or `$where` code",
    fix: "Convert values to the expected type (`str(...)`, `int(...)`) before putting them in a filter, and never pass request data to `$where`.",
    help: "A JSON body can carry operators like `{\"$ne\": null}` instead of a value, turning an equality check into a match-everything; `$where` runs JavaScript.",
    bad: "db.users.find_one({\"name\": request.json[\"name\"], \"password\": request.json[\"password\"]})",
    good: "db.users.find_one({\"name\": str(request.json[\"name\"])})",
};
