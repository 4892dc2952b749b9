//! FS102 hardcoded-secret-key.

use ruff_python_ast::{CmpOp, Expr, Stmt};

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

/// A literal secret key, or a literal fallback of an environment read. Not in the development
/// arm of a run-time choice between config classes: the production arm sets its own key (a
/// literal in a base class that arm inherits is still reported, at the base).
pub fn check_config(cx: &mut Checker, write: &ConfigWrite) {
    if !SECRET_KEYS.contains(&write.key) || write.development_alternative {
        return;
    }
    if let Some(text) = literal_text(write.value) {
        if !text.trim().is_empty() && !refused_at_startup(cx, cx.file.body(), write.key, &text, 0) {
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
        let refused = literal_text(fallback)
            .is_some_and(|text| refused_at_startup(cx, cx.file.body(), write.key, &text, 0));
        if is_literal_secret(fallback) && !refused {
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

/// How deep statements are followed looking for a refusal.
const MAX_REFUSAL_DEPTH: usize = 4;

/// `if SECRET_KEY == "dev-key" ...: raise RuntimeError(...)` in the same module (or a function of
/// it, such as the app factory): the application refuses to start with the fallback, so the
/// literal only names the placeholder to refuse; it never signs anything a deployment serves.
/// Only a refusal counts: a branch that merely logs a warning keeps the finding.
fn refused_at_startup(cx: &Checker, body: &[Stmt], key: &str, literal: &str, depth: usize) -> bool {
    if depth > MAX_REFUSAL_DEPTH {
        return false;
    }
    body.iter().any(|stmt| match stmt {
        Stmt::If(i) => {
            (compares_with(&i.test, key, literal, 0) && i.body.iter().any(|s| stops(cx, s)))
                || refused_at_startup(cx, &i.body, key, literal, depth + 1)
        }
        Stmt::FunctionDef(f) => refused_at_startup(cx, &f.body, key, literal, depth + 1),
        _ => false,
    })
}

/// Whether `test` holds when the key equals `literal` (`key == literal`, alone, as a part of an
/// `and`, or as any part of an `or`: `len(key) < 16 or key == "CHANGE ME"`).
fn compares_with(test: &Expr, key: &str, literal: &str, depth: usize) -> bool {
    match test {
        Expr::BoolOp(b) if depth < MAX_REFUSAL_DEPTH => b
            .values
            .iter()
            .any(|v| compares_with(v, key, literal, depth + 1)),
        Expr::Compare(c) if c.ops.len() == 1 && c.ops[0] == CmpOp::Eq => {
            let (left, right) = (&*c.left, &c.comparators[0]);
            (names_key(left, key) && literal_text(right).as_deref() == Some(literal))
                || (names_key(right, key) && literal_text(left).as_deref() == Some(literal))
        }
        _ => false,
    }
}

/// `SECRET_KEY`, `config.SECRET_KEY`, `app.config["SECRET_KEY"]`, `app.config.get("SECRET_KEY")`.
fn names_key(e: &Expr, key: &str) -> bool {
    match e {
        Expr::Name(n) => n.id.as_str() == key,
        Expr::Attribute(a) => a.attr.as_str() == key,
        Expr::Subscript(s) => literal_text(&s.slice).as_deref() == Some(key),
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Attribute(a) if a.attr.as_str() == "get")
                && c.arguments.args.first().and_then(literal_text).as_deref() == Some(key)
        }
        _ => false,
    }
}

/// `raise ...`, `sys.exit(...)`, `exit(...)`, or a call of a project function that exits
/// (`fatal_error("...")`): the branch stops the program.
fn stops(cx: &Checker, stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Raise(_) => true,
        Stmt::Expr(e) => {
            crate::python::project::exits_process(stmt)
                || matches!(&*e.value, Expr::Call(c) if cx
                    .sem
                    .resolve(&c.func)
                    .is_some_and(|q| cx.project.exits_process(&q)))
        }
        _ => false,
    }
}
