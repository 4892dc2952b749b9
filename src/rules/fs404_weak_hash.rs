//! FS404 weak-hash.

use ruff_python_ast::ExprCall;
use ruff_text_size::Ranged;

use super::helpers::{is_falsy_literal, keyword, literal_text};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;

pub const RULE: Rule = Rule {
    id: "FS404",
    name: "weak-hash",
    severity: Severity::Medium,
    cwe: &[327, 328],
    kind: RuleKind::Pattern,
    precision: Precision::Medium,
    suite: Suite::Audit,
    message: "MD5 or SHA-1 is used: both are broken for security purposes",
    fix: "Use `hashlib.sha256` (or BLAKE2) for integrity; when the hash is not a security control (cache keys, ETags), say so with `usedforsecurity=False`.",
    help: "Collisions for MD5 and SHA-1 can be computed cheaply, so they cannot protect signatures, integrity checks or tokens. Marking a non-security use with `usedforsecurity=False` documents intent and keeps the code working on FIPS systems.",
    bad: "hashlib.md5(data).hexdigest()",
    good: "hashlib.md5(data, usedforsecurity=False).hexdigest()",
};

const WEAK: &[&str] = &["md5", "sha1", "md4", "md5-sha1", "ripemd160"];

/// `hashlib.md5/sha1(...)`, `hashlib.new("md5")`, without `usedforsecurity=False`.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    let algorithm = match callee.strip_prefix("hashlib.") {
        Some("new") => call
            .arguments
            .args
            .first()
            .and_then(literal_text)
            .map(|a| a.to_ascii_lowercase()),
        Some(name) => Some(name.to_string()),
        None => None,
    };
    let Some(algorithm) = algorithm.filter(|a| WEAK.contains(&a.as_str())) else {
        return;
    };
    if keyword(call, "usedforsecurity").is_some_and(is_falsy_literal) {
        return;
    }
    // Hashing a password is FS403's, with a sharper message.
    if super::fs403_weak_password_hash::hashes_password(cx, call, callee) {
        return;
    }
    cx.report_msg(&RULE, call.range(), format!("`{algorithm}` is broken for security purposes; pass `usedforsecurity=False` if this is not a security control"));
}
