//! FS401 plaintext-password-check.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, CmpOp, Expr, ExprCompare, Stmt};
use ruff_text_size::{Ranged, TextSize};

use super::helpers::{
    contains_any_ignore_case, is_constant, is_operator_setting, is_password_name, last_name,
    literal_text, lookup_owner, words,
};
use super::local_flow::assigned_values;
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;
use crate::python::locals::each_statement;

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
    // `stored` was just set to the submitted value: the comparison checks nothing stored.
    if super::local_flow::last_assigned_same(cx, stored, submitted, cmp.start()) {
        return;
    }
    // A password from the environment or app config is a shared secret the operator sets at
    // start-up, not a stored user password that should have been hashed.
    if is_operator_setting(&cx.sem, stored) || holds_operator_setting(cx, stored, cmp.start()) {
        return;
    }
    if holds_named_input(cx, stored, cmp.start()) {
        return;
    }
    // A bare parameter (`def add_auth(bp, username, password)`, read by the closure it
    // returns) holds the one password its caller configured; a stored user password is read
    // from a record: `user.password`, `row["password"]`.
    if matches!(stored, Expr::Name(n) if cx.is_enclosing_parameter(n.id.as_str())) {
        return;
    }
    if configured_at_construction(cx, stored) {
        return;
    }
    let names_password = |e: &Expr| last_name(e).is_some_and(|n| is_password_name(&n));
    // `user.password == submitted`, or `USERS[name] == password`.
    if names_password(stored) || (names_password(submitted) && is_storage_lookup(stored)) {
        cx.report(&RULE, cmp.range());
    }
}

/// `credential.password` where `credential` runs over `self._credentials` (or
/// `self._password` itself), and only the class's `__init__` stores that attribute, from its own
/// parameters (`def __init__(self, *credentials): self._credentials = credentials`): the
/// credentials the object's creator configured it with, like a bare parameter's, not records
/// read from a user store.
fn configured_at_construction(cx: &Checker, stored: &Expr) -> bool {
    let (Some(class), Some(f)) = (cx.enclosing_class(), cx.enclosing_function()) else {
        return false;
    };
    let attr = match self_attribute(stored) {
        Some(a) => a,
        None => {
            let Some(root) = chain_root(stored) else {
                return false;
            };
            match loop_over(&f.body, root).and_then(self_attribute) {
                Some(a) => a,
                None => return false,
            }
        }
    };
    stored_only_from_init_parameters(class, attr)
}

/// The name an access chain starts from: `c.password` → `c`, `creds["pw"]` → `creds`.
fn chain_root(e: &Expr) -> Option<&str> {
    match e {
        Expr::Name(n) => Some(n.id.as_str()),
        Expr::Attribute(a) => chain_root(&a.value),
        Expr::Subscript(s) => chain_root(&s.value),
        _ => None,
    }
}

/// `X` of an access chain starting at `self.X`: `self._credentials[0].password` → `_credentials`.
fn self_attribute(e: &Expr) -> Option<&str> {
    match e {
        Expr::Attribute(a) => match &*a.value {
            Expr::Name(n) if n.id.as_str() == "self" => Some(a.attr.as_str()),
            inner => self_attribute(inner),
        },
        Expr::Subscript(s) => self_attribute(&s.value),
        _ => None,
    }
}

/// The iterable of the `for name in ...` loop binding `name` in `body` (at any depth).
fn loop_over<'b>(body: &'b [Stmt], name: &str) -> Option<&'b Expr> {
    let mut found = None;
    each_statement(body, &mut |s| {
        if let Stmt::For(l) = s {
            if found.is_none() && matches!(&*l.target, Expr::Name(n) if n.id.as_str() == name) {
                found = Some(&*l.iter);
            }
        }
    });
    found
}

/// Whether the class assigns `self.<attr>` only in `__init__`, and there only a parameter of
/// it (as passed, or as `list(...)`/`tuple(...)` of it).
fn stored_only_from_init_parameters(class: &ast::StmtClassDef, attr: &str) -> bool {
    let mut from_params = false;
    for stmt in &class.body {
        // `password = db.Column(...)`: a model's column, saved with the record.
        let declared = match stmt {
            Stmt::Assign(a) => a
                .targets
                .iter()
                .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == attr)),
            Stmt::AnnAssign(a) => matches!(&*a.target, Expr::Name(n) if n.id.as_str() == attr),
            _ => false,
        };
        if declared {
            return false;
        }
        let Stmt::FunctionDef(m) = stmt else { continue };
        let stores = self_stores(&m.body, attr);
        if stores.is_empty() {
            continue;
        }
        if m.name.as_str() != "__init__" {
            return false;
        }
        let is_param = |v: &Expr| {
            let v = match v {
                Expr::Call(c)
                    if c.arguments.len() == 1
                        && matches!(&*c.func, Expr::Name(n) if matches!(n.id.as_str(), "list" | "tuple")) =>
                {
                    c.arguments.args.first().unwrap_or(v)
                }
                _ => v,
            };
            matches!(v, Expr::Name(n) if m.parameters.includes(n.id.as_str()) && n.id.as_str() != "self")
        };
        if !stores.iter().all(|v| v.is_some_and(is_param)) {
            return false;
        }
        from_params = true;
    }
    from_params
}

/// The values assigned to `self.<attr>` in `body` (`None` for a store whose value is unknown).
fn self_stores<'b>(body: &'b [Stmt], attr: &str) -> Vec<Option<&'b Expr>> {
    let is_target = |t: &Expr| {
        matches!(t, Expr::Attribute(a) if a.attr.as_str() == attr
            && matches!(&*a.value, Expr::Name(n) if n.id.as_str() == "self"))
    };
    let mut out = Vec::new();
    each_statement(body, &mut |s| match s {
        Stmt::Assign(a) if a.targets.iter().any(is_target) => out.push(Some(&*a.value)),
        Stmt::AnnAssign(a) if is_target(&a.target) => out.push(a.value.as_deref()),
        Stmt::AugAssign(a) if is_target(&a.target) => out.push(None),
        _ => {}
    });
    out
}

/// A local assigned only operator settings, as read or as text (`PASSWORD =
/// str(app.config.get("PASSWORD", ""))`): the same shared secret under another name.
fn holds_operator_setting(cx: &Checker, e: &Expr, before: TextSize) -> bool {
    let Expr::Name(n) = e else { return false };
    let setting = |v: &Expr| {
        let inner = match v {
            Expr::Call(c)
                if c.arguments.len() == 1
                    && cx.sem.resolve(&c.func).as_deref() == Some("builtins.str") =>
            {
                c.arguments.args.first().unwrap_or(v)
            }
            _ => v,
        };
        is_operator_setting(&cx.sem, inner)
    };
    assigned_values(cx, n.id.as_str(), before)
        .is_some_and(|values| !values.is_empty() && values.into_iter().all(setting))
}

/// A local assigned only from a free function called with the field's name
/// (`password = _get_request_param("password")`): a parameter of the request read by the
/// project's helper, as the other side is. A stored password comes from a record (`user.password`,
/// `row["password"]`, `store.get_password(name)`), not from a function named after an input.
fn holds_named_input(cx: &Checker, e: &Expr, before: TextSize) -> bool {
    let Expr::Name(n) = e else { return false };
    let reads_input = |v: &Expr| {
        matches!(v, Expr::Call(c) if matches!(&*c.func, Expr::Name(_))
            && matches!(c.arguments.args.first(),
                Some(Expr::StringLiteral(k)) if is_password_name(k.value.to_str())))
    };
    assigned_values(cx, n.id.as_str(), before)
        .is_some_and(|values| !values.is_empty() && values.into_iter().all(reads_input))
}

/// `users[username]`, `USERS.get(name)`: a lookup in a credential store.
fn is_storage_lookup(e: &Expr) -> bool {
    lookup_owner(e)
        .and_then(last_name)
        .is_some_and(|n| is_credential_store(&n))
}

/// `ADMIN_USERS`, `default_user`, but not `ACCOUNTS_REST_AUTH_VIEWS`: the last word says what
/// the dict holds (there, views for account actions such as `reset_password`).
fn holds_credentials_last(name: &str) -> bool {
    words(name).last().is_some_and(|w| is_store_word(w))
}

fn is_credential_store(name: &str) -> bool {
    words(name).iter().any(|w| is_store_word(w))
}

fn is_store_word(w: &str) -> bool {
    matches!(
        w,
        "users" | "user" | "admins" | "credentials" | "creds" | "passwords" | "accounts" | "logins"
    )
}

/// `USERS = {"admin": "hunter2"}`: literal credentials in code.
///
/// A store-like name (`USERS`, `user_defaults`) is only a hint: a literal dict is a password
/// table when something says its values are passwords (see [`holds_passwords`]).
pub fn check_stmt(cx: &mut Checker, stmt: &Stmt) {
    let Stmt::Assign(a) = stmt else { return };
    let Expr::Dict(d) = &*a.value else { return };
    let Some(store) = a
        .targets
        .iter()
        .filter_map(last_name)
        .find(|n| holds_credentials_last(n) || is_password_name(n))
    else {
        return;
    };
    if d.items.is_empty() {
        return;
    }
    let all_literal = d.items.iter().all(|i| {
        i.key.as_ref().and_then(literal_text).is_some()
            && literal_text(&i.value).is_some_and(|v| !v.is_empty())
    });
    if all_literal && holds_passwords(cx, &store, d) {
        cx.report_msg(
            &RULE,
            stmt.range(),
            "Credentials are kept as literal plain-text passwords in code".into(),
        );
    }
}

/// Whether the literal dict `store = {...}` keeps plain-text passwords: it is named for them
/// (`PASSWORDS`), a record has a password key (`{"username": ..., "password": ...}`), or this
/// file uses its values as passwords (see [`PasswordUses`]). Values that are password hashes
/// (`"pbkdf2:sha256:..."`) are what should be stored.
fn holds_passwords(cx: &Checker, store: &str, d: &ast::ExprDict) -> bool {
    let values = || d.items.iter().filter_map(|i| literal_text(&i.value));
    if values().any(|v| looks_hashed(&v)) {
        return false;
    }
    if is_password_name(store) {
        return true;
    }
    let keys = || {
        d.items
            .iter()
            .filter_map(|i| i.key.as_ref().and_then(literal_text))
    };
    if keys().any(|k| is_password_name(&k)) {
        return true;
    }
    let mut uses = PasswordUses {
        store,
        password_function: Vec::new(),
        found: false,
    };
    uses.visit_body(cx.file.body());
    uses.found
}

/// A value in a password-hash format (Werkzeug, passlib, crypt): stored hashed, as it should be.
fn looks_hashed(v: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "pbkdf2:", "scrypt:", "$2a$", "$2b$", "$2y$", "$argon2", "$pbkdf2", "$scrypt", "$5$",
        "$6$", "sha256$", "sha512$",
    ];
    PREFIXES.iter().any(|p| v.starts_with(p))
}

/// Looks through a file for a lookup in the dict `store` (`USERS[name]`, `USERS.get(name)`)
/// used as a password: compared with a password (`USERS.get(u) == password`), bound to a
/// password name (`pw = USERS[u]`, `for name, pw in USERS.items()`), passed to a password
/// check or beside a password (`check_password(USERS[u], password)`, `password=USERS[u]`), or
/// returned by a password callback (Flask-HTTPAuth's `@auth.get_password`).
struct PasswordUses<'n> {
    store: &'n str,
    /// Per enclosing function: whether it is named or decorated for passwords.
    password_function: Vec<bool>,
    found: bool,
}

impl PasswordUses<'_> {
    fn is_lookup(&self, e: &Expr) -> bool {
        lookup_owner(e)
            .and_then(last_name)
            .is_some_and(|n| n == self.store)
    }

    /// `USERS.items()`, `USERS.values()`: iterating over the stored values.
    fn is_value_iteration(&self, e: &Expr) -> bool {
        let Expr::Call(c) = e else { return false };
        let Expr::Attribute(a) = &*c.func else {
            return false;
        };
        matches!(a.attr.as_str(), "items" | "values")
            && last_name(&a.value).is_some_and(|n| n == self.store)
    }
}

fn names_password(e: &Expr) -> bool {
    last_name(e).is_some_and(|n| is_password_name(&n))
}

/// Whether an assignment or loop target binds a password name (`pw`, `(name, password)`).
fn binds_password(t: &Expr) -> bool {
    match t {
        Expr::Name(n) => is_password_name(n.id.as_str()),
        Expr::Tuple(x) => x.elts.iter().any(binds_password),
        Expr::List(x) => x.elts.iter().any(binds_password),
        _ => false,
    }
}

impl<'x> Visitor<'x> for PasswordUses<'_> {
    fn visit_stmt(&mut self, s: &'x Stmt) {
        if self.found {
            return;
        }
        match s {
            Stmt::FunctionDef(f) => {
                let password = is_password_name(f.name.as_str())
                    || f.decorator_list
                        .iter()
                        .any(|d| names_password(&d.expression));
                self.password_function.push(password);
                visitor::walk_stmt(self, s);
                self.password_function.pop();
                return;
            }
            Stmt::Return(r) => {
                self.found |= self.password_function.last() == Some(&true)
                    && r.value.as_deref().is_some_and(|v| self.is_lookup(v));
            }
            Stmt::Assign(a) => {
                self.found |= self.is_lookup(&a.value) && a.targets.iter().any(binds_password);
            }
            Stmt::For(f) => {
                self.found |= self.is_value_iteration(&f.iter) && binds_password(&f.target);
            }
            _ => {}
        }
        visitor::walk_stmt(self, s);
    }

    fn visit_expr(&mut self, e: &'x Expr) {
        if self.found {
            return;
        }
        match e {
            Expr::Compare(c) if c.comparators.len() == 1 => {
                let (l, r) = (&*c.left, &c.comparators[0]);
                self.found |= matches!(c.ops[0], CmpOp::Eq | CmpOp::NotEq)
                    && ((self.is_lookup(l) && names_password(r))
                        || (self.is_lookup(r) && names_password(l)));
            }
            Expr::Call(c) => {
                let args = &c.arguments;
                let looked_up = args.args.iter().any(|a| self.is_lookup(a));
                // A hash check (`check_password_hash(USERS[u], pw)`) is handed hashes.
                let hash_check =
                    last_name(&c.func).is_some_and(|n| contains_any_ignore_case(&n, &[b"hash"]));
                self.found |= !hash_check
                    && ((looked_up
                        && (names_password(&c.func)
                            || args.args.iter().any(names_password)
                            || args.keywords.iter().any(|k| names_password(&k.value))))
                        || args.keywords.iter().any(|k| {
                            k.arg.as_deref().is_some_and(is_password_name)
                                && self.is_lookup(&k.value)
                        }));
            }
            _ => {}
        }
        visitor::walk_expr(self, e);
    }
}
