//! FS103 ephemeral-secret-key.

use ruff_python_ast::{CmpOp, Expr, UnaryOp};

use super::fs102_hardcoded_secret_key::{names_key, PASSWORD_PEPPER, SECRET_KEYS};
use super::helpers::{is_operator_fallback, literal_text};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::{Checker, ConfigWrite};

pub const RULE: Rule = Rule {
    id: "FS103",
    name: "ephemeral-secret-key",
    severity: Severity::Low,
    cwe: &[330],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "The secret key is generated at start-up: sessions break on every restart and differ between workers",
    fix: "Generate the key once, store it in the environment or a secret store, and load it: `os.environ[\"SECRET_KEY\"]`.",
    help: "A key from `os.urandom` or `secrets.token_hex` at import time changes on every restart and in every worker process, so sessions and CSRF tokens signed by one worker are rejected by another. Teams then 'fix' it with a constant key in code. Keep one stable key outside the code.",
    bad: "app.secret_key = os.urandom(24)",
    good: "app.secret_key = os.environ[\"SECRET_KEY\"]",
};

const RANDOM_SOURCES: &[&str] = &[
    "os.urandom",
    "secrets.token_hex",
    "secrets.token_bytes",
    "secrets.token_urlsafe",
    "uuid.uuid4",
    "uuid.uuid1",
];

/// A secret key computed from a random source at start-up. A random value that is only the
/// fallback of an operator setting (`os.getenv("K") or os.urandom(24)`, `app.config.get("K",
/// ...)`) is not: a deployment sets the key, and the fallback keeps an unset one unguessable.
/// The same holds for a write made only when the key is unset (`if app.config["SECRET_KEY"] is
/// None:`). Nor is the key of the development (or test) arm of a run-time choice between config
/// classes: a deployment runs the other arm and its key.
pub fn check_config(cx: &mut Checker, write: &ConfigWrite) {
    if !(SECRET_KEYS.contains(&write.key) || write.key == PASSWORD_PEPPER)
        || write.development_alternative
        || is_operator_fallback(&cx.sem, write.value)
        || cx
            .if_tests()
            .last()
            .is_some_and(|t| tests_unset(t, write.key))
    {
        return;
    }
    if is_random(cx, write.value) {
        cx.report_msg(
            &RULE,
            write.range,
            format!(
                "`{}` is generated at start-up: sessions break on restart and across workers",
                write.key
            ),
        );
    }
}

/// `key is None`, `not key`, `"KEY" not in app.config`: the branch runs only when no key is set.
fn tests_unset(test: &Expr, key: &str) -> bool {
    match test {
        Expr::UnaryOp(u) if u.op == UnaryOp::Not => names_key(&u.operand, key),
        Expr::Compare(c) if c.ops.len() == 1 => {
            let (left, right) = (&*c.left, &c.comparators[0]);
            match c.ops[0] {
                CmpOp::Is => names_key(left, key) && right.is_none_literal_expr(),
                CmpOp::NotIn => literal_text(left).as_deref() == Some(key),
                _ => false,
            }
        }
        _ => false,
    }
}

fn is_random(cx: &Checker, value: &Expr) -> bool {
    if crate::rules::helpers::is_env_read(&cx.sem, value) {
        return false;
    }
    let mut found = false;
    cx.any_subexpr(value, &mut |cx, e| {
        if let Expr::Call(c) = e {
            found |= cx
                .sem
                .resolve(&c.func)
                .is_some_and(|q| RANDOM_SOURCES.contains(&q.as_str()));
        }
    });
    found
}
