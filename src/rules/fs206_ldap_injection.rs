//! FS206 ldap-injection (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS206",
    name: "ldap-injection",
    severity: Severity::High,
    cwe: &[90],
    kind: RuleKind::Taint,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Request data reaches an LDAP filter or DN",
    fix: "Escape values with `ldap.filter.escape_filter_chars` / `ldap3.utils.conv.escape_filter_chars` (DNs: `escape_dn_chars`).",
    help: "Characters like `*`, `(`, `)` and `\\` change an LDAP filter's logic: a client can match every user or bypass an authentication check.",
    bad: "conn.search(\"dc=example,dc=com\", f\"(uid={request.form['user']})\")",
    good: "conn.search(\"dc=example,dc=com\", f\"(uid={escape_filter_chars(request.form['user'])})\")",
};
