//! FS102 hardcoded-secret-key.

use ruff_python_ast::{CmpOp, Expr, Stmt};

use super::helpers::{env_fallback, literal_text};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Location;
use crate::finding::Severity;
use crate::python::checker::{Checker, ConfigWrite};
use crate::python::flask::AppFacts;

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
    "REMEMBER_COOKIE_SECRET",
];

/// Flask-Security's pepper: the HMAC key passwords are hashed with before the (salted) hash.
/// Knowing it signs nothing, so it is no FS102 key; a new one at every start makes every stored
/// password fail to verify, so it is FS103's.
pub const PASSWORD_PEPPER: &str = "SECURITY_PASSWORD_SALT";

/// A literal secret key, or a literal fallback of an environment read. Not in the development
/// arm of a run-time choice between config classes: the production arm sets its own key (a
/// literal in a base class that arm inherits is still reported, at the base).
pub fn check_config(cx: &mut Checker, write: &ConfigWrite) {
    if !SECRET_KEYS.contains(&write.key) || write.development_alternative {
        return;
    }
    if let Some(text) = literal_text(write.value) {
        if !text.trim().is_empty() {
            let message = format!(
                "`{}` is a hard-coded literal: anyone with the source can forge signed data",
                write.key
            );
            report(cx, write, text, message);
        }
        return;
    }
    if let Some(fallback) = env_fallback(&cx.sem, write.value) {
        if let Some(text) = literal_text(fallback).filter(|t| !t.trim().is_empty()) {
            let message = format!(
                "`{}` falls back to a hard-coded literal when the environment variable is missing",
                write.key
            );
            report(cx, write, text, message);
        }
    }
}

/// Reports the write, remembering its literal for [`withdraw_refused_placeholders`].
fn report(cx: &mut Checker, write: &ConfigWrite, literal: String, message: String) {
    let location = cx.location(write.range);
    cx.facts
        .literal_secret_keys
        .push((location, write.key.to_string(), literal));
    cx.report_msg(&RULE, write.range, message);
}

/// Whether `value` is a literal or a literal fallback (shared with the env-file check).
pub fn is_literal_secret(value: &Expr) -> bool {
    literal_text(value).is_some_and(|t| !t.trim().is_empty())
}

/// How deep a condition is followed looking for the comparison.
const MAX_CONDITION_DEPTH: usize = 4;

/// `if SECRET_KEY == "dev-key" ...: raise RuntimeError(...)`, anywhere in the project (the
/// config module, the app factory): the application refuses to start with that literal, so a
/// key set to it only names the placeholder to refuse; it never signs anything a deployment
/// serves. Only a refusal counts: a branch that merely logs a warning keeps the finding.
pub fn check_stmt(cx: &mut Checker, stmt: &Stmt) {
    let Stmt::If(i) = stmt else { return };
    let mut pairs = Vec::new();
    compared_literals(&i.test, &mut pairs, 0);
    if !pairs.is_empty() && i.body.iter().any(|s| stops(cx, s)) {
        cx.facts.refused_secret_literals.extend(pairs);
    }
}

/// Withdraws the literal keys some `if key == literal: raise` refuses (see [`check_stmt`]).
pub fn withdraw_refused_placeholders(
    findings: &mut Vec<crate::finding::Finding>,
    facts: &AppFacts,
) {
    let refused: Vec<&Location> = facts
        .literal_secret_keys
        .iter()
        .filter(|(_, key, literal)| {
            facts
                .refused_secret_literals
                .iter()
                .any(|(k, l)| k == key && l == literal)
        })
        .map(|(location, _, _)| location)
        .collect();
    super::withdraw_at(findings, &RULE, &refused);
}

/// The (key, literal) pairs `test` holds for when the key equals the literal (`key == literal`,
/// alone, as a part of an `and`, or as any part of an `or`: `len(key) < 16 or key == "CHANGE ME"`).
fn compared_literals(test: &Expr, out: &mut Vec<(String, String)>, depth: usize) {
    match test {
        Expr::BoolOp(b) if depth < MAX_CONDITION_DEPTH => {
            for v in &b.values {
                compared_literals(v, out, depth + 1);
            }
        }
        Expr::Compare(c) if c.ops.len() == 1 && c.ops[0] == CmpOp::Eq => {
            let (left, right) = (&*c.left, &c.comparators[0]);
            for (key_side, literal_side) in [(left, right), (right, left)] {
                let Some(literal) = literal_text(literal_side) else {
                    continue;
                };
                if let Some(key) = SECRET_KEYS.iter().find(|k| names_key(key_side, k)) {
                    out.push((key.to_string(), literal));
                }
            }
        }
        _ => {}
    }
}

/// `SECRET_KEY`, `config.SECRET_KEY`, `app.secret_key`, `app.config["SECRET_KEY"]`,
/// `app.config.get("SECRET_KEY")`.
pub fn names_key(e: &Expr, key: &str) -> bool {
    match e {
        Expr::Name(n) => n.id.as_str() == key,
        Expr::Attribute(a) => a.attr.as_str().eq_ignore_ascii_case(key),
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
