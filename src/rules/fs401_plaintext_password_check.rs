//! FS401 plaintext-password-check.

use ruff_python_ast::{CmpOp, Expr, ExprCompare, Stmt};
use ruff_text_size::Ranged;

use super::helpers::{
    is_constant, is_operator_setting, is_password_name, last_name, literal_text, lookup_owner,
    words,
};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;

pub const RULE: Rule = Rule {
    id: "FS401",
    name: "plaintext-password-check",
    severity: Severity::High,
    cwe: &[256, 522],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "A submitted password is compared in plain text with a stored one: passwords are stored unhashed",
    fix: "Store `generate_password_hash(password)` and check with `check_password_hash(user.password_hash, password)` (Werkzeug), or use argon2/bcrypt.",
    help: "Comparing the submitted password with `==` means the stored value is the password itself: one database leak exposes every user's password (and the ones they reuse elsewhere). The comparison is also not constant-time.",
    bad: "if user.password == request.form[\"password\"]:",
    good: "if check_password_hash(user.password_hash, request.form[\"password\"]):",
};

/// `stored == request_password` where only one side comes from the request and the stored
/// side is not an operator setting.
pub fn check_compare(cx: &mut Checker, cmp: &ExprCompare) {
    if cmp.comparators.len() != 1 || !matches!(cmp.ops[0], CmpOp::Eq | CmpOp::NotEq) {
        return;
    }
    let (left, right) = (&*cmp.left, &cmp.comparators[0]);
    if is_constant(left) || is_constant(right) {
        return;
    }
    let (l_req, r_req) = (cx.is_request_derived(left), cx.is_request_derived(right));
    // Both from the request is a "confirm password" check, not a credential check.
    let (submitted, stored) = match (l_req, r_req) {
        (true, false) => (left, right),
        (false, true) => (right, left),
        _ => return,
    };
    // A password from the environment or app config is a shared secret the operator sets at
    // start-up, not a stored user password that should have been hashed.
    if is_operator_setting(&cx.sem, stored) {
        return;
    }
    // A bare parameter (`def add_auth(bp, username, password)`, read by the closure it
    // returns) holds the one password its caller configured; a stored user password is read
    // from a record: `user.password`, `row["password"]`.
    if matches!(stored, Expr::Name(n) if cx.is_enclosing_parameter(n.id.as_str())) {
        return;
    }
    let names_password = |e: &Expr| last_name(e).is_some_and(|n| is_password_name(&n));
    // `user.password == submitted`, or `USERS[name] == password`.
    if names_password(stored) || (names_password(submitted) && is_storage_lookup(stored)) {
        cx.report(&RULE, cmp.range());
    }
}

/// `users[username]`, `USERS.get(name)`: a lookup in a credential store.
fn is_storage_lookup(e: &Expr) -> bool {
    lookup_owner(e)
        .and_then(last_name)
        .is_some_and(|n| is_credential_store(&n))
}

fn is_credential_store(name: &str) -> bool {
    words(name).iter().any(|w| {
        matches!(
            w.as_str(),
            "users"
                | "user"
                | "admins"
                | "credentials"
                | "creds"
                | "passwords"
                | "accounts"
                | "logins"
        )
    })
}

/// `USERS = {"admin": "hunter2"}`: literal credentials in code.
pub fn check_stmt(cx: &mut Checker, stmt: &Stmt) {
    let Stmt::Assign(a) = stmt else { return };
    let Expr::Dict(d) = &*a.value else { return };
    let store = a
        .targets
        .iter()
        .filter_map(last_name)
        .any(|n| is_credential_store(&n) || is_password_name(&n));
    if !store || d.items.is_empty() {
        return;
    }
    let all_literal = d.items.iter().all(|i| {
        i.key.as_ref().and_then(literal_text).is_some()
            && literal_text(&i.value).is_some_and(|v| !v.is_empty())
    });
    // `{"username": "none", "role": "none"}` describes one user; it stores a password only
    // under a password key.
    let keys: Vec<String> = d
        .items
        .iter()
        .filter_map(|i| i.key.as_ref().and_then(literal_text))
        .collect();
    let is_record = keys.iter().any(|k| {
        matches!(
            k.to_ascii_lowercase().as_str(),
            "username" | "user" | "name" | "email" | "login" | "realm" | "role" | "id"
        )
    });
    if is_record && !keys.iter().any(|k| is_password_name(k)) {
        return;
    }
    if all_literal {
        cx.report_msg(
            &RULE,
            stmt.range(),
            "Credentials are kept as literal plain-text passwords in code".into(),
        );
    }
}
