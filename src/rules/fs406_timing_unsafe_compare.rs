//! FS406 timing-unsafe-compare.

use ruff_python_ast::{CmpOp, Expr, ExprCompare, Stmt};
use ruff_text_size::Ranged;

use super::helpers::{contains_any_ignore_case, is_constant, is_password_name, last_name, words};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;

pub const RULE: Rule = Rule {
    id: "FS406",
    name: "timing-unsafe-compare",
    severity: Severity::Low,
    cwe: &[208],
    kind: RuleKind::Pattern,
    precision: Precision::Medium,
    suite: Suite::Default,
    message: "A secret is compared with `==`, which leaks through timing how much of it matched",
    fix: "Compare secrets with `hmac.compare_digest(a, b)` (or `secrets.compare_digest`).",
    help: "`==` stops at the first differing byte, so response times reveal how many leading characters of a guessed token or signature are right; an attacker can recover it byte by byte.",
    bad: "if request.headers[\"X-Signature\"] == expected_signature:",
    good: "if hmac.compare_digest(request.headers[\"X-Signature\"], expected_signature):",
};

/// Whether a name ends with a secret word: `expected_signature`, `api_token`, `api_key`, but
/// not `token_start` or `token_type` (positions and kinds of lexical tokens).
fn is_secret_name(name: &str) -> bool {
    // Every word matched below contains one of these.
    const STEMS: &[&[u8]] = &[
        b"token", b"sig", b"hmac", b"digest", b"mac", b"secret", b"apikey", b"otp", b"key",
    ];
    if !contains_any_ignore_case(name, STEMS) {
        return false;
    }
    let w = words(name);
    let Some(last) = w.last() else { return false };
    matches!(
        last.as_str(),
        "token" | "signature" | "sig" | "hmac" | "digest" | "mac" | "secret" | "apikey" | "otp"
    ) || (last == "key" && w.iter().rev().nth(1).is_some_and(|p| p == "api"))
}

/// `token == expected` between two non-constant values, one of them named like a secret.
///
/// Names are hints, so the shapes where `==` compares nothing an attacker guesses are left out:
/// a constant or enum member on either side (`mechanism == cls.APIKEY`), an emptiness test
/// (`token != {}`), an ORM column expression that becomes SQL (`Token.value == token` inside
/// `filter`), and a predicate inside a `lambda` (`filter(lambda t: t.token != old, tokens)`
/// removes a known entry).
pub fn check_compare(cx: &mut Checker, cmp: &ExprCompare) {
    if cmp.comparators.len() != 1 || !matches!(cmp.ops[0], CmpOp::Eq | CmpOp::NotEq) {
        return;
    }
    let (left, right) = (&*cmp.left, &cmp.comparators[0]);
    if [left, right]
        .iter()
        .any(|e| is_constant_like(e) || is_length(e) || is_orm_column(e))
        || cx.in_lambda()
    {
        return;
    }
    let names = [last_name(left), last_name(right)];
    // Password comparisons are FS401's.
    if names.iter().flatten().any(|n| is_password_name(n)) {
        return;
    }
    if [left, right].iter().any(|e| is_module_literal(cx, e))
        || records_change(cx, left, right)
        || (matches!(cmp.ops[0], CmpOp::NotEq) && stores_new_value(cx, left, right))
        || names.iter().flatten().any(|n| is_spent_one_time_value(n))
    {
        return;
    }
    if let Some(name) = names.iter().flatten().find(|n| is_secret_name(n)) {
        cx.report_msg(
            &RULE,
            cmp.range(),
            format!("`{name}` is compared with `==`; use `hmac.compare_digest`"),
        );
    }
}

/// A literal, an empty collection, or a name or attribute spelled like a constant
/// (`DEFAULT_KEY`, `ACTION.ADD_TOKEN`).
fn is_constant_like(e: &Expr) -> bool {
    let name = match e {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.as_str(),
        Expr::Dict(d) => return d.items.is_empty(),
        Expr::List(l) => return l.elts.is_empty(),
        Expr::Tuple(t) => return t.elts.is_empty(),
        _ => return is_constant(e),
    };
    name.len() > 1
        && name.bytes().any(|b| b.is_ascii_uppercase())
        && !name.bytes().any(|b| b.is_ascii_lowercase())
}

/// `Model.column` (an attribute of a capitalised class name): in SQLAlchemy or Peewee code,
/// `==` on it builds a SQL condition, not a comparison of two strings.
fn is_orm_column(e: &Expr) -> bool {
    let Expr::Attribute(a) = e else { return false };
    let owner = match &*a.value {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(inner) => inner.attr.as_str(),
        _ => return false,
    };
    owner.starts_with(|c: char| c.is_ascii_uppercase())
        && owner.bytes().any(|b| b.is_ascii_lowercase())
}

/// A module-level name whose every assignment is a string literal (`CALLBACK_TOKEN = "x"`): the
/// value is in the source for anyone to read, so timing reveals nothing new.
fn is_module_literal(cx: &Checker, e: &Expr) -> bool {
    let Expr::Name(name) = e else { return false };
    let mut assigned = false;
    for stmt in cx.file.body() {
        let Stmt::Assign(a) = stmt else { continue };
        if !a
            .targets
            .iter()
            .any(|t| matches!(t, Expr::Name(n) if n.id == name.id))
        {
            continue;
        }
        if !matches!(&*a.value, Expr::StringLiteral(_) | Expr::BytesLiteral(_)) {
            return false;
        }
        assigned = true;
    }
    assigned
}

/// `if new != stored: stored = new`: the comparison detects a changed setting and the branch
/// stores the new value; nothing is authenticated by it.
fn records_change(cx: &Checker, left: &Expr, right: &Expr) -> bool {
    let Some(test) = cx.if_being_tested() else {
        return false;
    };
    let text = |e: &Expr| &cx.file.text[e.range()];
    let sides = [text(left), text(right)];
    test.body.iter().any(|stmt| {
        let Stmt::Assign(a) = stmt else { return false };
        a.targets.iter().any(|t| sides.contains(&text(t)))
    })
}

/// `if supplied != cached: ... cache[k] = supplied`: when they differ the branch (at any depth)
/// saves the compared value itself, so the other side is a copy of what the client sent before
/// (a cached credential to re-validate), not a server secret it must guess. An authentication
/// check never stores the value that failed it.
fn stores_new_value(cx: &Checker, left: &Expr, right: &Expr) -> bool {
    let Some(test) = cx.if_being_tested() else {
        return false;
    };
    let text = |e: &Expr| &cx.file.text[e.range()];
    let sides = [text(left), text(right)];
    body_stores(&test.body, &|value| sides.contains(&text(value)), 0)
}

/// Whether an assignment in `body`, or in a block nested in it, has a value `is_side` accepts.
fn body_stores(body: &[Stmt], is_side: &dyn Fn(&Expr) -> bool, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    body.iter().any(|stmt| match stmt {
        Stmt::Assign(a) => is_side(&a.value),
        Stmt::If(i) => {
            body_stores(&i.body, is_side, depth + 1)
                || i.elif_else_clauses
                    .iter()
                    .any(|c| body_stores(&c.body, is_side, depth + 1))
        }
        Stmt::With(w) => body_stores(&w.body, is_side, depth + 1),
        Stmt::Try(t) => body_stores(&t.body, is_side, depth + 1),
        _ => false,
    })
}

/// `previous_otp`, `used_otp`: a one-time password that was already accepted once can never
/// authenticate again, so leaking it through timing (to detect a replay) gives nothing away.
fn is_spent_one_time_value(name: &str) -> bool {
    let w = words(name);
    w.last().is_some_and(|l| l == "otp")
        && w.iter().any(|p| {
            matches!(
                p.as_str(),
                "previous" | "prev" | "old" | "used" | "spent" | "consumed"
            )
        })
}

fn is_length(e: &Expr) -> bool {
    matches!(e, Expr::Call(c) if matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "len"))
}
