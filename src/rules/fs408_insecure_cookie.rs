//! FS408 insecure-cookie.

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

use super::fix_edits;
use super::helpers::{is_none_value, is_truthy_literal, keyword, last_name, literal_text, words};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;
use crate::python::credentials;
use crate::python::locals::assigned_values;

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
    // `session.cookies.set_cookie(c)`: an HTTP client's cookie jar, not a response.
    if last_name(&a.value).is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        n == "cookies" || n.ends_with("jar")
    }) {
        return;
    }
    // `**cookie_options` may carry the flags.
    if call.arguments.keywords.iter().any(|k| k.arg.is_none()) {
        return;
    }
    let name = call.arguments.args.first().or_else(|| keyword(call, "key"));
    let value = call
        .arguments
        .args
        .get(1)
        .or_else(|| keyword(call, "value"));
    // A literal value (`"done"`, `1`) is a marker the source shows anyone: no credential to steal.
    if !carries_credential(name, value)
        || names_csrf_cookie(cx, name)
        || is_deletion(call, value)
        || value.is_some_and(super::helpers::is_constant)
    {
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
    cx.report_fixable(
        &RULE,
        call.range(),
        format!("Cookie set insecurely: {}", problems.join(", ")),
        RULE.severity,
        Some(cookie_flags_fix(call)),
    );
}

/// `secure=True, httponly=True, samesite="Lax"`: literal values that say otherwise are replaced,
/// missing ones added after the last argument. A flag set from a variable is left alone (the
/// rule did not report it).
fn cookie_flags_fix(call: &ExprCall) -> crate::python::checker::RawFix {
    let mut edits = Vec::new();
    let mut added = Vec::new();
    for (flag, wanted) in [
        ("secure", "True"),
        ("httponly", "True"),
        ("samesite", "\"Lax\""),
    ] {
        match call.arguments.find_keyword(flag) {
            None => added.push(format!("{flag}={wanted}")),
            Some(kw) => {
                let wrong = if flag == "samesite" {
                    matches!(kw.value, Expr::StringLiteral(_)) && is_none_value(&kw.value)
                } else {
                    !is_truthy_literal(&kw.value) && super::helpers::is_constant(&kw.value)
                };
                if wrong {
                    edits.push(fix_edits::replace(&kw.value, wanted));
                }
            }
        }
    }
    if !added.is_empty() {
        edits.push(fix_edits::add_keywords(call, &added));
    }
    fix_edits::fix(
        "Set the cookie with `secure=True, httponly=True, samesite=\"Lax\"`",
        edits,
    )
}

/// Whether the cookie can hold a credential: its name or its value's name says session, token,
/// login and the like. A UI preference (`sort`, `theme`) or a double-submit CSRF cookie (readable
/// by scripts on purpose) is no credential.
fn carries_credential(name: Option<&Expr>, value: Option<&Expr>) -> bool {
    let literal_name = name.and_then(literal_text);
    if literal_name
        .as_deref()
        .is_some_and(|n| contains_word(n, &["csrf", "xsrf"]))
    {
        return false;
    }
    let names_credential = |text: &str| credentials::names_credential(text);
    literal_name.as_deref().is_some_and(names_credential)
        || value
            .and_then(last_name)
            .is_some_and(|v| names_credential(&v))
        || (literal_name.is_none()
            && name
                .and_then(last_name)
                .is_some_and(|n| names_credential(&n)))
}

/// A double-submit CSRF cookie named through a setting (`cookie_name =
/// settings.XSRF_COOKIE_NAME`) or set by a function named for it (`set_csrf_token`): the page's
/// scripts must read it to echo it in a header, so it is `HttpOnly`-free by design.
fn names_csrf_cookie(cx: &Checker, name: Option<&Expr>) -> bool {
    let csrf = |text: &str| contains_word(text, &["csrf", "xsrf"]);
    let named = |e: &Expr| last_name(e).is_some_and(|n| csrf(&n));
    let through_local = match name {
        Some(Expr::Name(n)) => assigned_values(cx, n.id.as_str(), n.start())
            .is_some_and(|values| values.iter().all(|v| named(v))),
        _ => false,
    };
    name.is_some_and(named) || through_local || cx.function_name().is_some_and(csrf)
}

fn contains_word(text: &str, wanted: &[&str]) -> bool {
    words(text).iter().any(|w| wanted.contains(&w.as_str()))
}

/// Clearing a cookie (an empty value, or `max_age=0` / `expires=0`) sets nothing to protect.
fn is_deletion(call: &ExprCall, value: Option<&Expr>) -> bool {
    let zero = |k: &str| {
        keyword(call, k).is_some_and(
            |v| matches!(v, Expr::NumberLiteral(n) if matches!(&n.value, ruff_python_ast::Number::Int(i) if i.as_u64() == Some(0))),
        )
    };
    value.and_then(literal_text).is_some_and(|v| v.is_empty()) || zero("max_age") || zero("expires")
}
