//! FS102 hardcoded-secret-key.

use ruff_python_ast::Expr;

use super::helpers::{env_fallback, literal_text};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::{Checker, ConfigWrite};

pub const RULE: Rule = Rule {
    id: "FS102",
    name: "hardcoded-secret-key",
    severity: Severity::High,
    cwe: &[798],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "The Flask secret key is hard-coded: anyone with the source can forge sessions",
    fix: "Read the key from the environment or a secret store with no literal fallback: `app.config[\"SECRET_KEY\"] = os.environ[\"SECRET_KEY\"]`.",
    help: "Flask signs session cookies with `SECRET_KEY`. A key written in the source (or used as the fallback of `os.environ.get`) is known to everyone who can read the repository, so they can sign their own session cookie and log in as any user, or forge CSRF tokens.",
    bad: "app.config[\"SECRET_KEY\"] = \"dev\"",
    good: "app.config[\"SECRET_KEY\"] = os.environ[\"SECRET_KEY\"]",
};

/// Configuration keys whose value signs or encrypts something.
pub const SECRET_KEYS: &[&str] = &[
    "SECRET_KEY",
    "JWT_SECRET_KEY",
    "WTF_CSRF_SECRET_KEY",
    "SECURITY_PASSWORD_SALT",
    "REMEMBER_COOKIE_SECRET",
];

/// A literal secret key, or a literal fallback of an environment read.
pub fn check_config(cx: &mut Checker, write: &ConfigWrite) {
    if !SECRET_KEYS.contains(&write.key) {
        return;
    }
    if let Some(text) = literal_text(write.value) {
        if !text.trim().is_empty() {
            cx.report_msg(
                &RULE,
                write.range,
                format!(
                    "`{}` is a hard-coded literal: anyone with the source can forge signed data",
                    write.key
                ),
            );
        }
        return;
    }
    if let Some(fallback) = env_fallback(&cx.sem, write.value) {
        if is_literal_secret(fallback) {
            cx.report_msg(
                &RULE,
                write.range,
                format!("`{}` falls back to a hard-coded literal when the environment variable is missing", write.key),
            );
        }
    }
}

/// Whether `value` is a literal or a literal fallback (shared with the env-file check).
pub fn is_literal_secret(value: &Expr) -> bool {
    literal_text(value).is_some_and(|t| !t.trim().is_empty())
}
