//! FS104 insecure-session-cookie-config.

use ruff_python_ast::{self as ast, CmpOp, Expr};

use super::fs101_debug_mode_enabled::is_setting_read;
use super::helpers::{is_falsy_literal, is_none_value, is_truthy_literal};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::{Checker, ConfigWrite};

pub const RULE: Rule = Rule {
    id: "FS104",
    name: "insecure-session-cookie-config",
    severity: Severity::Medium,
    cwe: &[614, 1004, 1275],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Session cookie protection is switched off in the configuration",
    fix: "Set `SESSION_COOKIE_SECURE = True`, `SESSION_COOKIE_HTTPONLY = True` and `SESSION_COOKIE_SAMESITE = \"Lax\"` (same for `REMEMBER_COOKIE_*`).",
    help: "Without `Secure` the session cookie travels over plain HTTP and can be sniffed; without `HttpOnly` any XSS can read it; with `SameSite=None` browsers send it on cross-site requests, which enables CSRF.",
    bad: "app.config[\"SESSION_COOKIE_SECURE\"] = False",
    good: "app.config.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE=\"Lax\")",
};

/// `*_COOKIE_SECURE`/`HTTPONLY` set false, `*_COOKIE_SAMESITE` set to None, unless only an
/// operator's opt-in setting turns it so.
pub fn check_config(cx: &mut Checker, write: &ConfigWrite) {
    let Some(flag) = write
        .key
        .strip_prefix("SESSION_COOKIE_")
        .or_else(|| write.key.strip_prefix("REMEMBER_COOKIE_"))
    else {
        return;
    };
    let problem = match flag {
        "SECURE" if is_falsy_literal(write.value) => "lets the cookie travel over plain HTTP",
        "HTTPONLY" if is_falsy_literal(write.value) => {
            "lets JavaScript (and any XSS) read the cookie"
        }
        "SAMESITE" if is_none_value(write.value) => {
            "sends the cookie on cross-site requests (CSRF)"
        }
        _ => return,
    };
    // `if UNSECURED_UI: SESSION_COOKIE_SECURE = False` on a setting that is off unless the
    // operator turns it on: an explicit opt-out for a plain-HTTP setup, not the app's default.
    if cx.if_tests().iter().any(|test| opted_in(cx, test, 0)) {
        return;
    }
    cx.report_msg(&RULE, write.range, format!("`{}` {problem}", write.key));
}

/// Whether `test` holds only when the operator turned on a setting that is off by default
/// (`UNSECURED_UI`, `os.environ.get("INSECURE", "") == "1"`); `not flag` holds by default.
fn opted_in(cx: &Checker, test: &Expr, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    match test {
        Expr::UnaryOp(_) => false,
        Expr::BoolOp(b) if b.op == ast::BoolOp::And => {
            b.values.iter().any(|v| opted_in(cx, v, depth + 1))
        }
        Expr::BoolOp(b) => b.values.iter().all(|v| opted_in(cx, v, depth + 1)),
        Expr::Compare(c) => {
            matches!(c.ops.as_ref(), [CmpOp::Eq | CmpOp::Is])
                && is_truthy_literal(&c.comparators[0])
                && is_setting_read(cx, test)
        }
        _ => is_setting_read(cx, test),
    }
}
