//! FS407 jwt-verification-disabled.

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

use super::helpers::{is_falsy_literal, keyword, literal_text};
use super::local_flow::from_fetched_response;
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;

pub const RULE: Rule = Rule {
    id: "FS407",
    name: "jwt-verification-disabled",
    severity: Severity::High,
    cwe: &[347],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "A JWT is decoded without verifying its signature",
    fix: "Verify every token: `jwt.decode(token, key, algorithms=[\"HS256\"])`; never `verify_signature: False`, `verify=False` or the `none` algorithm.",
    help: "Without signature verification anyone can write a token with any claims (`\"sub\": \"admin\"`) and it is accepted.",
    bad: "jwt.decode(token, options={\"verify_signature\": False})",
    good: "jwt.decode(token, key, algorithms=[\"HS256\"])",
};

/// `jwt.decode(..., verify=False | options={"verify_signature": False} | algorithms=["none"])`,
/// unless the token is read from a response the server fetched itself.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    if !matches!(
        callee,
        "jwt.decode"
            | "jose.jwt.decode"
            | "jwt.api_jwt.decode"
            | "jwt.PyJWT.decode"
            | "jwt.api_jws.decode"
    ) {
        return;
    }
    // OIDC Core 3.1.3.7: an ID token received straight from the token endpoint over TLS may be
    // trusted without a signature check; the client never gets to supply it.
    if call
        .arguments
        .args
        .first()
        .is_some_and(|token| from_fetched_response(cx, token))
    {
        return;
    }
    if let Some(v) = keyword(call, "verify").filter(|v| is_falsy_literal(v)) {
        cx.report_msg(
            &RULE,
            v.range(),
            "`verify=False` accepts tokens with any signature".into(),
        );
    }
    if let Some(Expr::Dict(options)) = keyword(call, "options") {
        for item in &options.items {
            let key = item.key.as_ref().and_then(literal_text);
            if key.as_deref() == Some("verify_signature") && is_falsy_literal(&item.value) {
                cx.report_msg(
                    &RULE,
                    item.value.range(),
                    "`verify_signature: False` accepts tokens with any signature".into(),
                );
            }
        }
    }
    if let Some(algs) = keyword(call, "algorithms") {
        let mut none = false;
        let elts: Vec<&Expr> = match algs {
            Expr::List(l) => l.elts.iter().collect(),
            Expr::Tuple(t) => t.elts.iter().collect(),
            other => vec![other],
        };
        for e in elts {
            none |= literal_text(e).is_some_and(|a| a.eq_ignore_ascii_case("none"));
        }
        if none {
            cx.report_msg(
                &RULE,
                algs.range(),
                "The `none` algorithm accepts unsigned tokens".into(),
            );
        }
    }
}
