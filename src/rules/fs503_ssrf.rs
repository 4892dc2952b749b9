//! FS503 ssrf (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS503",
    name: "ssrf",
    severity: Severity::High,
    cwe: &[918],
    kind: RuleKind::Taint,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Request data decides the URL or host of an outbound request",
    fix: "Build the URL from a fixed scheme and host and put request data only in the path or query, or check the host against an allow-list.",
    help: "Server-side request forgery lets a client make your server call internal services (cloud metadata endpoints, admin APIs) that it cannot reach itself.",
    bad: "requests.get(request.args[\"url\"])",
    good: "requests.get(f\"https://api.example.com/items/{quote(item_id)}\")",
};
