//! FS104 insecure-session-cookie-config.

use super::helpers::{is_falsy_literal, is_none_value};
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

/// `*_COOKIE_SECURE`/`HTTPONLY` set false, `*_COOKIE_SAMESITE` set to None.
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
    cx.report_msg(&RULE, write.range, format!("`{}` {problem}", write.key));
}
