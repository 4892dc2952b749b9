//! Reading code for checks of who is asking: the tests that read the current user, the session
//! or a token, the statements that refuse a request, and a hook's exempt endpoints.

use ruff_python_ast::{self as ast, CmpOp, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use super::{
    dotted, library_decorator, literals, spelling, Constants, Exempt, GuardCall, Library,
    AUTH_PACKAGES, MAX_NESTING, OPEN_PACKAGES,
};
use crate::python::flask::string_literal;
use crate::python::semantic::Semantic;

/// A deny check found in code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The `if` (or the verifying call).
    pub range: TextRange,
    /// What it reads, as written.
    pub name: String,
    pub roles: Vec<String>,
    /// The check compares with a parameter of the enclosing decorator factory.
    pub uses_params: bool,
    /// A setting the check also requires (`if PASSWORD_SET and not current_user...`), as
    /// written: without it, requests pass.
    pub condition: Option<String>,
}

/// Reads code for checks of who is asking.
pub(super) struct Reader<'s, 'p> {
    pub(super) sem: &'s Semantic<'p>,
    /// Locals assigned from an identity source (`user = get_current_user()`).
    pub(super) identity_locals: Vec<String>,
    /// Parameters of the decorator factory being read (`def roles_required(*roles)`).
    pub(super) params: Vec<String>,
    /// Calls made before the view that may reject the request (`verify_admin()`).
    pub(super) calls: Vec<GuardCall>,
    /// Locals assigned from the request (`allowed = request.path.startswith("/login")`).
    request_locals: Vec<String>,
    /// Parameters holding the decorated view (`def login_required(view)`).
    pub(super) view_params: Vec<String>,
    /// A project decorator the wrapper hands the view to (`return my_login(view)(...)`).
    pub(super) delegate: Option<String>,
    /// Only library sources of identity, `g.user` and `current_user` count: in a view, names
    /// merely sounding like authentication (`passkey_login_enabled`) are too often settings.
    pub(super) strict: bool,
    /// The test of an `if` that returns the view without checking (`if config.ANON: return
    /// view()`), as written.
    pub(super) bypass: Option<String>,
    /// The local a wrapper ends by returning (`response = view(...)` / `response = "Forbidden",
    /// 403` ... `return response`): assigning it is answering.
    pub(super) result_local: Option<String>,
}

/// Standard-library modules wrappers call for logging, timing and bookkeeping.
const STDLIB: &[&str] = &[
    "logging",
    "time",
    "json",
    "os",
    "sys",
    "re",
    "datetime",
    "warnings",
    "traceback",
    "uuid",
];

/// How many calls before the view are kept per wrapper or hook (each is followed).
const MAX_CALLS: usize = 4;

/// Words that, ending a name, say it holds who is asking or their credentials (lower case):
/// `current_user`, `auth_token`, `check_auth`, `require_login`, `is_admin`.
const IDENTITY_WORDS: &[&str] = &[
    "user",
    "auth",
    "token",
    "login",
    "session",
    "identity",
    "permission",
    "permissions",
    "role",
    "roles",
    "admin",
    "jwt",
    "account",
    "principal",
    "credentials",
    "authorization",
    "authorisation",
    "authenticated",
    "apikey",
];

impl<'s, 'p> Reader<'s, 'p> {
    pub(super) fn new(sem: &'s Semantic<'p>) -> Self {
        Self {
            sem,
            identity_locals: Vec::new(),
            params: Vec::new(),
            calls: Vec::new(),
            request_locals: Vec::new(),
            view_params: Vec::new(),
            delegate: None,
            bypass: None,
            strict: false,
            result_local: None,
        }
    }

    /// Whether `expr` reads who is asking: the current user, the session, `g.user`, a token or
    /// credentials from the request, or a local assigned from one of those.
    fn reads_identity(&self, expr: &Expr, depth: usize) -> bool {
        if depth > MAX_NESTING * 4 {
            return false;
        }
        let next = depth + 1;
        match expr {
            Expr::Name(n) => {
                let id = n.id.as_str();
                if self.identity_locals.iter().any(|l| l == id) {
                    return true;
                }
                // A name like `current_user` holds who is asking even where it resolves to a
                // wrapper type (`current_user = LocalProxy(_get_user)`).
                match self.sem.resolve(expr) {
                    Some(q) if self.strict => is_identity_source(&q) || id == "current_user",
                    Some(q) => {
                        qualified_identity(&q) || (!q.starts_with("flask.") && names_identity(id))
                    }
                    None if self.strict => id == "current_user",
                    None => names_identity(id),
                }
            }
            Expr::Attribute(a) => {
                self.sem.resolve(expr).is_some_and(|q| {
                    if self.strict {
                        is_identity_source(&q)
                            || q.starts_with("flask.g.") && names_identity(&q[8..])
                    } else {
                        qualified_identity(&q)
                    }
                }) || self.reads_identity(&a.value, next)
            }
            Expr::Call(c) => {
                self.reads_identity(&c.func, next)
                    || c.arguments
                        .args
                        .iter()
                        .any(|a| self.reads_identity(a, next))
            }
            Expr::Subscript(s) => self.reads_identity(&s.value, next),
            Expr::UnaryOp(u) => self.reads_identity(&u.operand, next),
            Expr::BoolOp(b) => b.values.iter().any(|v| self.reads_identity(v, next)),
            Expr::Compare(c) => {
                self.reads_identity(&c.left, next)
                    || c.comparators.iter().any(|v| self.reads_identity(v, next))
            }
            _ => false,
        }
    }

    /// Roles a test demands: `current_user.is_admin`, `has_role("admin")`,
    /// `current_user.role == "admin"`; sets `uses_params` when compared with a factory parameter.
    fn roles_in(&self, test: &Expr, roles: &mut Vec<String>, uses_params: &mut bool) {
        let mut stack = vec![test];
        let mut seen = 0;
        while let Some(e) = stack.pop() {
            seen += 1;
            if seen > 256 {
                break;
            }
            match e {
                Expr::Attribute(a) => {
                    if let Some(role) = a.attr.as_str().strip_prefix("is_") {
                        if !matches!(role, "authenticated" | "anonymous" | "active" | "fresh") {
                            push_unique(roles, role);
                        }
                    }
                    stack.push(&a.value);
                }
                Expr::Call(c) => {
                    let method = match &*c.func {
                        Expr::Attribute(a) => a.attr.as_str(),
                        Expr::Name(n) => n.id.as_str(),
                        _ => "",
                    };
                    if method.contains("role") || method.contains("permission") || method == "can" {
                        for arg in &c.arguments.args {
                            self.role_operand(arg, roles, uses_params);
                        }
                    }
                    stack.push(&c.func);
                }
                Expr::Compare(c) => {
                    let sides: Vec<&Expr> = std::iter::once(&*c.left)
                        .chain(c.comparators.iter())
                        .collect();
                    let about_roles = sides.iter().any(|s| {
                        dotted(s).is_some_and(|d| {
                            let d = d.to_ascii_lowercase();
                            d.contains("role") || d.contains("permission") || d.contains("group")
                        })
                    });
                    if about_roles {
                        for s in &sides {
                            self.role_operand(s, roles, uses_params);
                        }
                    }
                    stack.extend(sides);
                }
                Expr::UnaryOp(u) => stack.push(&u.operand),
                Expr::BoolOp(b) => stack.extend(b.values.iter()),
                _ => {}
            }
        }
    }

    fn role_operand(&self, e: &Expr, roles: &mut Vec<String>, uses_params: &mut bool) {
        for l in literals(e) {
            push_unique(roles, &l);
        }
        if let Expr::Name(n) = e {
            *uses_params |= self.params.iter().any(|p| p == n.id.as_str());
        }
    }

    /// The first guard among `body`'s statements; `top` stops at the first statement that is
    /// neither a guard, an assignment nor a docstring (checks "at the top" of a view).
    pub(super) fn find_guard(&mut self, body: &[Stmt], depth: usize, top: bool) -> Option<Check> {
        if depth > MAX_NESTING {
            return None;
        }
        for (at, stmt) in body.iter().enumerate() {
            match stmt {
                Stmt::If(i) => {
                    if let Some(check) = self.guard_if(i, &body[at + 1..]) {
                        return Some(check);
                    }
                    if top {
                        return None;
                    }
                    // `if user is None: status = 401`: what is set there depends on identity.
                    if self.reads_identity(&i.test, 0) {
                        for s in &i.body {
                            if let Stmt::Assign(a) = s {
                                self.identity_locals.extend(a.targets.iter().filter_map(
                                    |t| match t {
                                        Expr::Name(n) => Some(n.id.to_string()),
                                        _ => None,
                                    },
                                ));
                            }
                        }
                    }
                    if self.bypass.is_none()
                        && !self.reads_identity(&i.test, 0)
                        && self.returns_view(&i.body)
                    {
                        self.bypass = Some(test_text(&i.test));
                    }
                    let nested = std::iter::once(&i.body[..])
                        .chain(i.elif_else_clauses.iter().map(|c| &c.body[..]));
                    for block in nested {
                        if let Some(c) = self.find_guard(block, depth + 1, false) {
                            return Some(c);
                        }
                    }
                }
                Stmt::Assign(a) => {
                    // `user = verify_auth_token(token)`: the call may reject the request;
                    // `response = view(...)` is the view itself.
                    let runs_view = self.assigns_result(&a.targets) && self.calls_view(&a.value);
                    if !top && !runs_view {
                        self.verifying_call(&a.value);
                    }
                    if mentions_request(self.sem, &a.value, 0) {
                        self.request_locals
                            .extend(a.targets.iter().filter_map(|t| match t {
                                Expr::Name(n) => Some(n.id.to_string()),
                                _ => None,
                            }));
                    }
                    if self.reads_identity(&a.value, 0) {
                        for t in &a.targets {
                            if let Expr::Name(n) = t {
                                self.identity_locals.push(n.id.to_string());
                            }
                        }
                    }
                }
                Stmt::Expr(e) if matches!(&*e.value, Expr::StringLiteral(_)) => {}
                Stmt::Expr(e) => {
                    if let Some(check) = self.verifying_call(&e.value) {
                        return Some(check);
                    }
                    if top {
                        return None;
                    }
                }
                Stmt::Return(r) if !top => {
                    if let Some(check) = r.value.as_deref().and_then(|v| self.delegation(v)) {
                        return Some(check);
                    }
                }
                Stmt::With(w) if !top => {
                    if let Some(c) = self.find_guard(&w.body, depth + 1, false) {
                        return Some(c);
                    }
                }
                Stmt::Try(t) if !top => {
                    if let Some(c) = self.find_guard(&t.body, depth + 1, false) {
                        return Some(c);
                    }
                }
                _ if top => return None,
                _ => {}
            }
        }
        None
    }

    /// `if <reads identity>: <deny>`, also as an `elif` or with the deny in the `else`, and
    /// `if <reads identity>: return view(...)` followed by a deny (`rest`).
    fn guard_if(&self, i: &ast::StmtIf, rest: &[Stmt]) -> Option<Check> {
        // A CSRF token compared with the session's is no authentication.
        if mentions_csrf(&i.test, 0) {
            return None;
        }
        let clauses = std::iter::once((Some(&*i.test), &i.body[..])).chain(
            i.elif_else_clauses
                .iter()
                .map(|c| (c.test.as_ref(), &c.body[..])),
        );
        let mut identity_tested = None;
        for (test, body) in clauses {
            match test {
                Some(test) if self.reads_identity(test, 0) => {
                    if self.denies(body) {
                        return Some(self.check(test, i.range()));
                    }
                    identity_tested.get_or_insert(test);
                }
                // `else: abort(403)` after an identity test.
                None if self.denies(body) => {
                    return identity_tested.map(|t| self.check(t, i.range()));
                }
                _ => {}
            }
        }
        let test = identity_tested?;
        (self.returns_view(&i.body) && self.denies(rest)).then(|| self.check(test, i.range()))
    }

    fn check(&self, test: &Expr, range: TextRange) -> Check {
        let mut roles = Vec::new();
        let mut uses_params = false;
        self.roles_in(test, &mut roles, &mut uses_params);
        Check {
            range,
            name: test_name(test),
            roles,
            uses_params,
            condition: self.setting_condition(test),
        }
    }

    /// The conjunct of `a and not current_user...` that reads neither who is asking nor the
    /// request: a setting that switches the check off. Flask-Login's `LOGIN_DISABLED` and
    /// `TESTING` are its own switches and do not count.
    fn setting_condition(&self, test: &Expr) -> Option<String> {
        let Expr::BoolOp(b) = test else {
            return None;
        };
        if b.op != ast::BoolOp::And {
            return None;
        }
        b.values
            .iter()
            .find(|v| {
                let text = test_text(v);
                let request_local = |e: &Expr| {
                    let e = match e {
                        Expr::UnaryOp(u) => &*u.operand,
                        other => other,
                    };
                    matches!(e, Expr::Name(n) if self.request_locals.iter().any(|l| l == n.id.as_str()))
                };
                !self.reads_identity(v, 0)
                    && !mentions_request(self.sem, v, 0)
                    && !request_local(v)
                    && !text.contains("LOGIN_DISABLED")
                    && !text.contains("TESTING")
            })
            .map(test_text)
    }

    /// Whether a block refuses the request: returns or raises a refusal, assigns one to the
    /// wrapper's result local, or refuses on every branch of an `if` with an `else`.
    fn denies(&self, body: &[Stmt]) -> bool {
        denies(self.sem, body)
            || body.iter().any(|stmt| match stmt {
                Stmt::Assign(a) => {
                    self.assigns_result(&a.targets) && denying_value(self.sem, &a.value, 0)
                }
                Stmt::If(i) => {
                    i.elif_else_clauses.last().is_some_and(|c| c.test.is_none())
                        && self.denies(&i.body)
                        && i.elif_else_clauses.iter().all(|c| self.denies(&c.body))
                }
                _ => false,
            })
    }

    /// Whether `targets` is the wrapper's result local alone.
    fn assigns_result(&self, targets: &[Expr]) -> bool {
        matches!((targets, &self.result_local), ([Expr::Name(n)], Some(r)) if n.id.as_str() == r)
    }

    /// Whether a block returns the decorated view's result (`return view(*args, **kwargs)`).
    fn returns_view(&self, body: &[Stmt]) -> bool {
        self.returns_view_within(body, 0)
    }

    /// [`Self::returns_view`], also in nested `if` blocks (`if token: if user: return view()`).
    fn returns_view_within(&self, body: &[Stmt], depth: usize) -> bool {
        depth <= MAX_NESTING
            && body.iter().any(|s| match s {
                Stmt::Return(r) => r.value.as_deref().is_some_and(|v| self.calls_view(v)),
                Stmt::Assign(a) => self.assigns_result(&a.targets) && self.calls_view(&a.value),
                Stmt::If(i) => {
                    self.returns_view_within(&i.body, depth + 1)
                        || i.elif_else_clauses
                            .iter()
                            .any(|c| self.returns_view_within(&c.body, depth + 1))
                }
                _ => false,
            })
    }

    /// `view(...)`, `view`, `ensure_sync(view)(...)` for a view parameter.
    fn calls_view(&self, value: &Expr) -> bool {
        match value {
            Expr::Name(n) => self.view_params.iter().any(|p| p == n.id.as_str()),
            Expr::Call(c) => {
                self.calls_view(&c.func)
                    || c.arguments.args.first().is_some_and(|a| self.calls_view(a))
            }
            _ => false,
        }
    }

    /// `return login_required(view)(*args, **kwargs)`: the wrapper hands the view to another
    /// decorator; a library guard is a check, a project one is noted for the inventory.
    fn delegation(&mut self, value: &Expr) -> Option<Check> {
        let Expr::Call(c) = value else {
            return None;
        };
        let (decorator, view) = match &*c.func {
            Expr::Call(inner) => (&*inner.func, inner.arguments.args.first()),
            other => (other, c.arguments.args.first()),
        };
        let passes_view = matches!(view, Some(Expr::Name(n)) if self.view_params.iter().any(|p| p == n.id.as_str()));
        if !passes_view {
            return None;
        }
        let (name, _, args, optional) = spelling(self.sem, decorator);
        match library_decorator(name.as_deref(), &args, optional) {
            Library::Authenticates(roles) => Some(Check {
                range: c.range(),
                name: name.unwrap_or_default(),
                roles,
                uses_params: false,
                condition: None,
            }),
            // `ensure_sync(view)` and other library helpers pass the view through.
            Library::Open => None,
            Library::Unknown => {
                if let Some(name) = name {
                    self.delegate.get_or_insert(name);
                }
                None
            }
        }
    }

    /// A call statement that verifies the request itself (`verify_jwt_in_request()`); notes
    /// calls that may check in a way not followed (`require_admin()`).
    fn verifying_call(&mut self, expr: &Expr) -> Option<Check> {
        let Expr::Call(c) = expr else {
            return None;
        };
        let callee = self.sem.resolve(&c.func).unwrap_or_default();
        let optional = c.arguments.keywords.iter().any(|k| {
            k.arg.as_ref().is_some_and(|a| a.as_str() == "optional")
                && matches!(&k.value, Expr::BooleanLiteral(b) if b.value)
        });
        if callee.starts_with("flask_jwt_extended.") && callee.ends_with("verify_jwt_in_request") {
            return (!optional).then(|| Check {
                range: c.range(),
                name: "flask_jwt_extended.verify_jwt_in_request".to_string(),
                roles: Vec::new(),
                uses_params: false,
                condition: None,
            });
        }
        let text = dotted(&c.func).unwrap_or_default();
        // Library helpers (`get_jwt()`, `auth.get_auth()`) read credentials without rejecting.
        let package = callee.split('.').next().unwrap_or_default();
        let library = AUTH_PACKAGES.contains(&package)
            || OPEN_PACKAGES.contains(&package)
            || STDLIB.contains(&package);
        if self.calls.len() < MAX_CALLS && !library {
            let mut roles = Vec::new();
            for kw in &c.arguments.keywords {
                if kw.arg.as_ref().is_some_and(|a| a.as_str().contains("role")) {
                    role_names(&kw.value, &mut roles);
                }
            }
            // A function of this module defined further down is not bound yet.
            let qualified = match (&*c.func, callee.is_empty()) {
                (_, false) => Some(callee),
                (Expr::Name(n), true) => {
                    Some(crate::python::semantic::qualify(self.sem.module(), &n.id))
                }
                _ => None,
            };
            self.calls.push(GuardCall {
                named_like_auth: names_identity(last_part(&text)),
                text,
                function: qualified,
                roles,
            });
        }
        None
    }
}

/// Whether an expression reads the request (`request.method`, `request.endpoint`).
fn mentions_request(sem: &Semantic, e: &Expr, depth: usize) -> bool {
    if depth > MAX_NESTING * 4 {
        return false;
    }
    let next = depth + 1;
    match e {
        Expr::Name(_) | Expr::Attribute(_)
            if sem
                .resolve(e)
                .is_some_and(|q| q.starts_with("flask.request")) =>
        {
            true
        }
        Expr::Attribute(a) => mentions_request(sem, &a.value, next),
        Expr::Call(c) => {
            mentions_request(sem, &c.func, next)
                || c.arguments
                    .args
                    .iter()
                    .any(|a| mentions_request(sem, a, next))
        }
        Expr::Subscript(s) => mentions_request(sem, &s.value, next),
        Expr::UnaryOp(u) => mentions_request(sem, &u.operand, next),
        Expr::BoolOp(b) => b.values.iter().any(|v| mentions_request(sem, v, next)),
        Expr::Compare(c) => {
            mentions_request(sem, &c.left, next)
                || c.comparators.iter().any(|v| mentions_request(sem, v, next))
        }
        _ => false,
    }
}

/// Whether a test names a CSRF token (`session["_csrf_token"]`, `check_xsrf(...)`).
fn mentions_csrf(e: &Expr, depth: usize) -> bool {
    if depth > MAX_NESTING * 4 {
        return false;
    }
    let says = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.contains("csrf") || s.contains("xsrf")
    };
    let next = depth + 1;
    match e {
        Expr::Name(n) => says(n.id.as_str()),
        Expr::Attribute(a) => says(a.attr.as_str()) || mentions_csrf(&a.value, next),
        Expr::StringLiteral(_) => string_literal(e).is_some_and(|s| says(&s)),
        Expr::Call(c) => {
            mentions_csrf(&c.func, next) || c.arguments.args.iter().any(|a| mentions_csrf(a, next))
        }
        Expr::Subscript(s) => mentions_csrf(&s.value, next) || mentions_csrf(&s.slice, next),
        Expr::UnaryOp(u) => mentions_csrf(&u.operand, next),
        Expr::BoolOp(b) => b.values.iter().any(|v| mentions_csrf(v, next)),
        Expr::Compare(c) => {
            mentions_csrf(&c.left, next) || c.comparators.iter().any(|v| mentions_csrf(v, next))
        }
        _ => false,
    }
}

/// Whether a qualified name is a source of who is asking.
fn is_identity_source(q: &str) -> bool {
    let lib_user = [
        "flask_login.current_user",
        "flask_security.current_user",
        "flask_praetorian.current_user",
        "flask_jwt_extended.current_user",
        "flask_jwt_extended.get_jwt_identity",
        "flask_jwt_extended.get_jwt",
        "flask_jwt_extended.get_current_user",
        "flask_praetorian.current_user_id",
        "flask.session",
        "flask.request.authorization",
        "flask.request.headers",
        "flask.request.cookies",
    ];
    lib_user
        .iter()
        .any(|s| q == *s || q.strip_prefix(s).is_some_and(|r| r.starts_with('.')))
}

/// Whether a resolved name holds who is asking: a library source, `g.user`, or a project
/// function or variable named for it (`auth.is_logged_in`).
fn qualified_identity(q: &str) -> bool {
    if is_identity_source(q) {
        return true;
    }
    if let Some(attr) = q.strip_prefix("flask.g.") {
        return names_identity(attr);
    }
    let library = ["flask.", "builtins.", "werkzeug."]
        .iter()
        .any(|p| q.starts_with(p));
    !library && names_identity(last_part(q))
}

/// Whether an unresolved identifier's name says it holds who is asking.
///
/// Judged by the last word of the name (`user_manager` is a manager, `current_user` a user),
/// words split at `_` and at lower-to-upper case changes; `logged_in` anywhere counts.
pub(super) fn names_identity(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.contains("logged_in") || lower.contains("loggedin") {
        return true;
    }
    let mut last_start = 0;
    let bytes = name.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] == b'_' {
            last_start = i + 1;
        } else if bytes[i].is_ascii_uppercase() && bytes[i - 1].is_ascii_lowercase() {
            last_start = i;
        }
    }
    let last = lower.get(last_start..).unwrap_or_default();
    IDENTITY_WORDS.contains(&last)
}

fn last_part(dotted: &str) -> &str {
    let d = dotted.trim_end_matches("()");
    d.rsplit('.').next().unwrap_or(d)
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// A test as written, for messages (shortened).
fn test_text(test: &Expr) -> String {
    let mut text = match test {
        Expr::Compare(c) => {
            let right = c.comparators.first().map_or(String::new(), |r| {
                dotted(r)
                    .or_else(|| literal_text(r))
                    .unwrap_or_else(|| "...".into())
            });
            format!("{} ... {right}", test_name(&c.left))
        }
        other => test_name(other),
    };
    text.truncate(80);
    text
}

fn literal_text(e: &Expr) -> Option<String> {
    match e {
        Expr::NumberLiteral(n) => match &n.value {
            ast::Number::Int(i) => Some(i.to_string()),
            _ => None,
        },
        Expr::BooleanLiteral(b) => Some(if b.value { "True" } else { "False" }.into()),
        other => string_literal(other).map(|s| format!("{s:?}")),
    }
}

/// The test of a check as written, shortened (`current_user.is_admin`).
fn test_name(test: &Expr) -> String {
    match test {
        Expr::UnaryOp(u) => test_name(&u.operand),
        Expr::BoolOp(b) => b.values.first().map(test_name).unwrap_or_default(),
        Expr::Compare(c) => test_name(&c.left),
        Expr::Call(c) => dotted(&c.func).map(|d| d + "()").unwrap_or_default(),
        Expr::Subscript(s) => format!(
            "{}[{}]",
            test_name(&s.value),
            literal_text(&s.slice).unwrap_or_else(|| "...".into())
        ),
        other => dotted(other).unwrap_or_else(|| "check".to_string()),
    }
}

/// Whether a block rejects the request: `abort(401/403)`, a raised authorization error, a
/// redirect (to a login page) or a 401/403 response.
fn denies(sem: &Semantic, body: &[Stmt]) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::Expr(e) => is_abort(sem, &e.value),
        Stmt::Raise(r) => r.exc.as_deref().is_some_and(|e| {
            let text = dotted(e).unwrap_or_default().to_ascii_lowercase();
            [
                "unauthori",
                "forbidden",
                "permission",
                "denied",
                "auth",
                "login",
            ]
            .iter()
            .any(|w| text.contains(w))
        }),
        Stmt::Return(r) => r.value.as_deref().is_some_and(|v| denying_value(sem, v, 0)),
        Stmt::Try(t) => denies(sem, &t.body),
        _ => false,
    })
}

/// `abort(401)`, `abort(403)`, `abort(status)`: an abort that is not a plain "not found" or
/// "bad request" answer.
fn is_abort(sem: &Semantic, expr: &Expr) -> bool {
    let Expr::Call(c) = expr else {
        return false;
    };
    let callee = sem.resolve(&c.func);
    let named_abort = callee.as_deref() == Some("flask.abort")
        || matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "abort");
    if named_abort {
        return match c.arguments.args.first() {
            Some(Expr::NumberLiteral(n)) => matches!(&n.value, ast::Number::Int(i)
                if matches!(i.as_u64(), Some(401 | 403 | 404))),
            _ => true,
        };
    }
    let text = dotted(&c.func).unwrap_or_default().to_ascii_lowercase();
    text.contains("unauthori") || text.contains("forbid")
}

/// A returned value that refuses the request.
fn denying_value(sem: &Semantic, value: &Expr, depth: usize) -> bool {
    if depth > 4 {
        return false;
    }
    match value {
        Expr::NumberLiteral(n) => {
            matches!(&n.value, ast::Number::Int(i) if matches!(i.as_u64(), Some(401 | 403)))
        }
        Expr::Tuple(t) => t.elts.iter().any(|e| denying_value(sem, e, depth + 1)),
        Expr::Call(c) => {
            let callee = sem.resolve(&c.func).unwrap_or_default();
            let text = dotted(&c.func).unwrap_or_default().to_ascii_lowercase();
            callee == "flask.redirect"
                || text.ends_with("redirect")
                || text.contains("auth_error")
                || text.contains("unauthori")
                || text.contains("forbid")
                || is_abort(sem, value)
                || c.arguments
                    .args
                    .iter()
                    .chain(c.arguments.keywords.iter().map(|k| &k.value))
                    .any(|a| denying_value(sem, a, depth + 1))
        }
        _ => false,
    }
}

/// Role names in an argument: string literals, and constants such as `ROLE.ADMIN` (`admin`).
fn role_names(e: &Expr, roles: &mut Vec<String>) {
    match e {
        Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
            elts.iter().for_each(|x| role_names(x, roles));
        }
        Expr::Attribute(a) => push_unique(roles, &a.attr.to_ascii_lowercase()),
        other => {
            if let Some(l) = string_literal(other) {
                push_unique(roles, &l);
            }
        }
    }
}

/// Exemptions a hook makes before checking: `if request.endpoint in ("login", "static"): return`.
/// `constants` starts as the module's and gains the hook's own literal lists
/// (`free = ["/register", "/challenge"]`) as they are assigned.
pub(super) fn collect_exemptions(
    sem: &Semantic,
    constants: &mut Constants,
    body: &[Stmt],
    exempt: &mut Exempt,
    depth: usize,
) {
    if depth > MAX_NESTING {
        return;
    }
    for stmt in body {
        // `allowed = request.path.startswith("/login")`, tested below.
        if let Stmt::Assign(a) = stmt {
            exemptions_in(sem, constants, &a.value, exempt, 0);
            if let ([Expr::Name(n)], Expr::List(_) | Expr::Tuple(_) | Expr::Set(_)) =
                (&a.targets[..], &*a.value)
            {
                let values = literals(&a.value);
                if !values.is_empty() {
                    constants.insert(n.id.to_string(), values);
                }
            }
        }
        if let Stmt::If(i) = stmt {
            exemptions_in(sem, constants, &i.test, exempt, 0);
            collect_exemptions(sem, constants, &i.body, exempt, depth + 1);
            for c in &i.elif_else_clauses {
                if let Some(t) = &c.test {
                    exemptions_in(sem, constants, t, exempt, 0);
                }
                collect_exemptions(sem, constants, &c.body, exempt, depth + 1);
            }
        }
    }
}

fn exemptions_in(
    sem: &Semantic,
    constants: &Constants,
    test: &Expr,
    exempt: &mut Exempt,
    depth: usize,
) {
    // A literal, or a module-level constant holding one (`PUBLIC = {"login", "static"}`).
    let values = |e: &Expr| match e {
        Expr::Name(n) => constants.get(n.id.as_str()).cloned().unwrap_or_default(),
        other => literals(other),
    };
    if depth > MAX_NESTING * 4 {
        return;
    }
    let is_request_attr = |e: &Expr, attrs: &[&str]| {
        sem.resolve(e).is_some_and(|q| {
            q.strip_prefix("flask.request.")
                .is_some_and(|a| attrs.contains(&a))
        })
    };
    match test {
        Expr::BoolOp(b) => b
            .values
            .iter()
            .for_each(|v| exemptions_in(sem, constants, v, exempt, depth + 1)),
        Expr::UnaryOp(u) => exemptions_in(sem, constants, &u.operand, exempt, depth + 1),
        Expr::Compare(c) => {
            let sides: Vec<&Expr> = std::iter::once(&*c.left)
                .chain(c.comparators.iter())
                .collect();
            let attr = |s: &Expr| {
                ["endpoint", "path"]
                    .into_iter()
                    .find(|a| is_request_attr(s, &[a]))
            };
            let Some((at, kind)) = sides
                .iter()
                .enumerate()
                .find_map(|(i, s)| attr(s).map(|k| (i, k)))
            else {
                if sides
                    .iter()
                    .any(|s| is_request_attr(s, &["url_rule", "blueprint", "url", "full_path"]))
                {
                    exempt.unknown = Some("decides by the request URL".to_string());
                }
                return;
            };
            let literal_ops = c
                .ops
                .iter()
                .all(|op| matches!(op, CmpOp::In | CmpOp::NotIn | CmpOp::Eq | CmpOp::NotEq));
            let others: Vec<&&Expr> = sides
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != at)
                .map(|(_, s)| s)
                .collect();
            let found: Vec<String> = others.iter().flat_map(|s| values(s)).collect();
            if literal_ops && !found.is_empty() && others.iter().all(|s| !values(s).is_empty()) {
                match kind {
                    "endpoint" => exempt.endpoints.extend(found),
                    _ => exempt.paths.extend(found),
                }
            } else if !matches!(others.as_slice(), [Expr::NoneLiteral(_)]) {
                exempt.unknown = Some(format!("its list of exempt {kind}s is not a literal"));
            }
        }
        Expr::Call(c) => {
            if let Expr::Attribute(a) = &*c.func {
                let kind = ["endpoint", "path"]
                    .into_iter()
                    .find(|k| is_request_attr(&a.value, &[k]));
                if let (Some(kind), "startswith") = (kind, a.attr.as_str()) {
                    let found: Vec<String> = c.arguments.args.iter().flat_map(values).collect();
                    if found.is_empty() {
                        exempt.unknown = Some(format!("its exempt {kind}s are not literals"));
                    }
                    match kind {
                        "endpoint" => exempt.prefixes.extend(found),
                        _ => exempt.path_prefixes.extend(found),
                    }
                    return;
                }
            }
            if c.arguments
                .args
                .iter()
                .any(|a| is_request_attr(a, &["endpoint", "path"]))
            {
                exempt.unknown = Some("decides by a function of the endpoint or path".to_string());
            }
        }
        _ => {}
    }
}
