//! FS408 insecure-cookie.

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

use super::helpers::{is_none_value, is_truthy_literal, keyword};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;

pub const RULE: Rule = Rule {
    id: "FS408",
    name: "insecure-cookie",
    severity: Severity::Medium,
    cwe: &[614, 1004, 1275],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "A cookie is set without the Secure and HttpOnly flags",
    fix: "Pass `secure=True, httponly=True, samesite=\"Lax\"` to `set_cookie`.",
    help: "Without `Secure` the cookie is sent over plain HTTP; without `HttpOnly` any script on the page (including injected ones) can read it; `SameSite=None` sends it along with cross-site requests.",
    bad: "resp.set_cookie(\"remember\", token)",
    good: "resp.set_cookie(\"remember\", token, secure=True, httponly=True, samesite=\"Lax\")",
};

/// `response.set_cookie(...)` missing `secure`/`httponly`, or with `samesite=None`.
pub fn check_call(cx: &mut Checker, call: &ExprCall) {
    let Expr::Attribute(a) = &*call.func else {
        return;
    };
    if a.attr.as_str() != "set_cookie" {
        return;
    }
    // `**cookie_options` may carry the flags.
    if call.arguments.keywords.iter().any(|k| k.arg.is_none()) {
        return;
    }
    let mut missing = Vec::new();
    for flag in ["secure", "httponly"] {
        match keyword(call, flag) {
            None => missing.push(flag),
            Some(v) if !is_truthy_literal(v) && super::helpers::is_constant(v) => {
                missing.push(flag)
            }
            Some(_) => {}
        }
    }
    let samesite_none = keyword(call, "samesite")
        .is_some_and(|v| matches!(v, Expr::StringLiteral(_)) && is_none_value(v));
    if missing.is_empty() && !samesite_none {
        return;
    }
    let mut problems: Vec<String> = missing
        .iter()
        .map(|f| format!("`{f}=True` is missing"))
        .collect();
    if samesite_none {
        problems.push("`samesite=\"None\"` sends it on cross-site requests".to_string());
    }
    cx.report_msg(
        &RULE,
        call.range(),
        format!("Cookie set insecurely: {}", problems.join(", ")),
    );
}
