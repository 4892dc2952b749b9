//! Access control as the walk sees it: which decorators, `before_request` hooks and checks at the
//! top of a view authenticate a request, and with which roles. Recognition only: the route
//! inventory (`super::inventory`) joins these facts across the project.

use ruff_python_ast::{self as ast, Expr, Stmt};

use super::flask::string_literal;
use super::semantic::Semantic;
use super::view_body::ViewBody;
use crate::finding::Location;

mod declared;
mod reader;

pub use declared::{tail_matches, DeclaredAuth};
pub use reader::Check;
use reader::{collect_exemptions, Reader};

/// Module-level constants holding string literals (`PUBLIC = ("login", "static")`), by name.
pub type Constants = rustc_hash::FxHashMap<String, Vec<String>>;

/// How deep nested blocks and nested functions are followed when looking for a check.
const MAX_NESTING: usize = 6;

/// What a decorator, hook or check does for access control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It rejects unauthenticated requests and demands `roles`; with `roles_from_args`, the
    /// roles are the decorator's arguments at each use (`@roles_required("admin")`).
    Authenticates {
        roles: Vec<String>,
        roles_from_args: bool,
    },
    /// It lets every request through.
    Open,
    /// It hands the view to the project decorator named (`return my_login(view)(...)`).
    Delegates(String),
    /// It calls functions before the view (`check_auth_token(role=...)`): it protects when
    /// one of them, read as a hook, does.
    Calls(Vec<GuardCall>),
    /// It depends on something flaskscan cannot follow; the reason says what.
    Unknown(String),
}

/// A call a wrapper or hook makes before the view, which may reject the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardCall {
    /// The callee as written.
    pub text: String,
    /// Its qualified name, when it resolves (or names a function of this module).
    pub function: Option<String>,
    /// Roles among its keyword arguments (`required_role=[ROLE.ADMIN]`).
    pub roles: Vec<String>,
    /// Its name says it checks who is asking (`check_auth_token`).
    pub named_like_auth: bool,
}

/// A decorator applied to a view (or listed in a class view's `decorators`), as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoratorUse {
    /// The qualified name of the decorator (of the callee for `@deco(...)`), when it resolves.
    pub name: Option<String>,
    /// The decorator as written, without arguments (`auth.login_required`).
    pub text: String,
    /// String literals among its arguments and its `role=`/`roles=` keyword (roles, usually).
    pub args: Vec<String>,
    /// `optional=True`: the library lets anonymous requests through.
    pub optional: bool,
    /// Whether `name` is defined in the scanned project.
    pub in_project: bool,
    pub location: Location,
}

/// A check at the top of a view: `if not current_user.is_admin: abort(403)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyCheck {
    /// What the check reads, as written (`current_user.is_admin`).
    pub name: String,
    pub roles: Vec<String>,
    pub location: Location,
}

/// What a project function does for access control, judged at its definition for each way it
/// may be used.
#[derive(Debug, Clone)]
pub struct FunctionAccess {
    /// `module.function`.
    pub function: String,
    /// The `def` line.
    pub location: Location,
    /// Its decorators, route decorators left out.
    pub decorators: Vec<DecoratorUse>,
    /// The check at the top of its body, when it is a view.
    pub top_check: Option<BodyCheck>,
    /// What it does when applied as a decorator.
    pub as_decorator: Verdict,
    /// What it does when registered as a `before_request` hook.
    pub as_hook: Verdict,
    /// The requests a hook lets through without its check.
    pub exempt: Exempt,
    /// What its body does, when it is a view.
    pub body: Option<ViewBody>,
}

/// The requests a `before_request` guard lets through before checking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exempt {
    /// Endpoints compared with `request.endpoint` as literals.
    pub endpoints: Vec<String>,
    /// Literal prefixes of `request.endpoint.startswith(...)`.
    pub prefixes: Vec<String>,
    /// Paths compared with `request.path` as literals.
    pub paths: Vec<String>,
    /// Literal prefixes of `request.path.startswith(...)`.
    pub path_prefixes: Vec<String>,
    /// The hook decides by something else (a non-literal list, the path, a view attribute).
    pub unknown: Option<String>,
}

/// Where a `before_request` hook applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every request of an app (`app.before_request`, `bp.before_app_request`), by identity
    /// (`module.variable`) when it could be followed.
    App(Option<String>),
    /// Requests to one blueprint, by identity (`module.variable`), when it could be followed.
    Blueprint(Option<String>),
}

/// A `before_request` registration.
#[derive(Debug, Clone)]
pub struct Hook {
    pub scope: Scope,
    /// The hook function (`module.function`), when it could be followed.
    pub function: Option<String>,
    pub location: Location,
}

/// A class-based view (`MethodView`, `View`, a REST resource) and what guards it.
#[derive(Debug, Clone)]
pub struct ClassView {
    /// `module.Class`.
    pub class: String,
    /// `decorators = [...]`: applied to the whole view.
    pub decorators: Vec<DecoratorUse>,
    /// `method_decorators` (Flask-RESTful): applied to every handler (`None`) or to the one
    /// named in a dict.
    pub method_decorators: Vec<(Option<String>, DecoratorUse)>,
    /// `methods = [...]`, when the class lists them.
    pub methods: Option<Vec<String>>,
    /// The `get`/`post`/... handlers, with their own decorators and checks.
    pub handlers: Vec<Handler>,
    /// The `decorators` list could not be read (not a literal list).
    pub unknown: Option<String>,
    /// Where `decorators` and `method_decorators` are assigned: a change there changes the
    /// protection of every route of the class.
    pub guard_lists: Vec<Location>,
}

/// One HTTP method handler of a class-based view.
#[derive(Debug, Clone)]
pub struct Handler {
    /// Upper-case HTTP method.
    pub method: String,
    pub location: Location,
    pub decorators: Vec<DecoratorUse>,
    pub top_check: Option<BodyCheck>,
    /// What its body does.
    pub body: ViewBody,
}

/// A `Blueprint(...)` assigned to a module-level name.
#[derive(Debug, Clone)]
pub struct BlueprintDef {
    /// `module.variable`.
    pub identity: String,
    /// The blueprint's name (its endpoints' prefix).
    pub name: Option<String>,
    pub url_prefix: Option<String>,
    /// `subdomain=`: its routes' subdomain unless the registration or the route names another.
    pub subdomain: Option<String>,
}

/// `app.register_blueprint(bp, url_prefix=..., subdomain=...)`.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Identity of the blueprint registered.
    pub blueprint: String,
    /// `url_prefix=` given there (it wins over the blueprint's).
    pub url_prefix: Option<String>,
    /// `subdomain=` given there (it wins over the blueprint's).
    pub subdomain: Option<String>,
    /// Identity of the app, when it could be followed.
    pub app: Option<String>,
}

/// A Flask-RESTful / Flask-RESTX `Api` object: where its resources are registered, with which
/// URL prefix, and the decorators it applies to every resource.
#[derive(Debug, Clone)]
pub struct ApiDef {
    /// `module.variable`.
    pub identity: String,
    pub scope: Scope,
    pub prefix: Option<String>,
    pub decorators: Vec<DecoratorUse>,
    /// Its `decorators=` could not be read (not a literal list).
    pub unknown: Option<String>,
}

/// The access-control facts of one file; merged over the project.
#[derive(Debug, Clone, Default)]
pub struct AccessFacts {
    /// Whether the walk gathered these facts: only when an access rule or `flaskscan routes`
    /// needs them, as judging every module-level function walks its body again.
    pub collected: bool,
    pub functions: Vec<FunctionAccess>,
    pub hooks: Vec<Hook>,
    pub class_views: Vec<ClassView>,
    pub blueprints: Vec<BlueprintDef>,
    /// `app.register_blueprint(bp, ...)` calls.
    pub registrations: Vec<Registration>,
    /// Module-level re-exports: (`pkg.bp`, `pkg.views.bp`) for `from .views import bp` in `pkg`.
    pub aliases: Vec<(String, String)>,
    /// Routes only the inventory lists: `bp.add_url_rule(...)`. The app-level rules do not
    /// judge these yet (their precision has not been reviewed on real apps with them).
    pub extra_routes: Vec<super::flask::Route>,
    /// Flask-RESTful / Flask-RESTX `api.add_resource(Resource, "/url", ...)` routes, with the
    /// identity of their `Api` object when it can be followed (inventory only, like the above).
    pub resources: Vec<(super::flask::Route, Option<String>)>,
    /// `api = Api(app_or_blueprint, prefix=..., decorators=[...])`.
    pub apis: Vec<ApiDef>,
    /// Model classes with a column naming their owner: (class name, column).
    pub owned_models: Vec<(String, String)>,
}

impl AccessFacts {
    /// Folds another file's facts into these.
    pub fn merge(&mut self, other: AccessFacts) {
        self.collected |= other.collected;
        self.functions.extend(other.functions);
        self.hooks.extend(other.hooks);
        self.class_views.extend(other.class_views);
        self.blueprints.extend(other.blueprints);
        self.registrations.extend(other.registrations);
        self.aliases.extend(other.aliases);
        self.extra_routes.extend(other.extra_routes);
        self.resources.extend(other.resources);
        self.apis.extend(other.apis);
        self.owned_models.extend(other.owned_models);
    }
}

/// How a decorator from a library (not the project) acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Library {
    /// It authenticates, demanding these roles.
    Authenticates(Vec<String>),
    /// It is known and lets anonymous requests through.
    Open,
    /// Nothing is known about it.
    Unknown,
}

/// Libraries whose decorators never authenticate (caching, rate limits, CORS, validation,
/// documentation...): a view they decorate is judged by its other protections.
const OPEN_PACKAGES: &[&str] = &[
    "builtins",
    "functools",
    "contextlib",
    "typing",
    "flask",
    "werkzeug",
    "flask_cors",
    "flask_caching",
    "flask_cache",
    "flask_limiter",
    "flask_wtf",
    "flask_seasurf",
    "flask_talisman",
    "flask_compress",
    "flask_babel",
    "flask_sqlalchemy",
    "flasgger",
    "flask_apispec",
    "flask_pydantic",
    "flask_restful",
    "flask_restx",
    "flask_smorest",
    "apiflask",
    "webargs",
    "marshmallow",
    "spectree",
    "pydantic",
];

/// Authentication libraries whose decorators [`library_decorator`] knows.
const AUTH_PACKAGES: &[&str] = &[
    "flask_login",
    "flask_security",
    "flask_praetorian",
    "flask_user",
    "flask_jwt_extended",
    "flask_jwt",
    "flask_httpauth",
];

/// Judges a library decorator by its qualified name, its string arguments and `optional=`.
pub fn library_decorator(name: Option<&str>, args: &[String], optional: bool) -> Library {
    let Some(name) = name else {
        return Library::Unknown;
    };
    let package = name.split('.').next().unwrap_or(name);
    let last = name.rsplit('.').next().unwrap_or(name);
    let auth = match package {
        "flask_login" => matches!(last, "login_required" | "fresh_login_required"),
        "flask_security" | "flask_praetorian" | "flask_user" => matches!(
            last,
            "auth_required"
                | "login_required"
                | "auth_token_required"
                | "http_auth_required"
                | "roles_required"
                | "roles_accepted"
                | "permissions_required"
                | "permissions_accepted"
        ),
        "flask_jwt_extended" => matches!(
            last,
            "jwt_required" | "fresh_jwt_required" | "jwt_refresh_token_required"
        ),
        "flask_jwt" => last == "jwt_required",
        "flask_httpauth" => last == "login_required",
        // `require_oauth = ResourceProtector()` used as `@require_oauth()` (the instance
        // resolves to its class): it refuses requests without a valid bearer token.
        "authlib" if name == "authlib.integrations.flask_oauth2.ResourceProtector" => true,
        _ if OPEN_PACKAGES.contains(&package) => return Library::Open,
        _ => return Library::Unknown,
    };
    if !auth || optional {
        return Library::Open;
    }
    // Only role and permission decorators take roles; `auth_required("token")` names
    // authentication mechanisms.
    let takes_roles = last.starts_with("roles_")
        || last.starts_with("permissions_")
        || package == "flask_httpauth";
    Library::Authenticates(if takes_roles {
        args.to_vec()
    } else {
        Vec::new()
    })
}

/// The decorator `expr` as used on a view at `location`; `in_project` says whether a qualified
/// name is defined in the scanned project.
pub fn decorator_use(
    sem: &Semantic,
    expr: &Expr,
    location: Location,
    in_project: impl Fn(&str) -> bool,
) -> DecoratorUse {
    let (name, text, args, optional) = spelling(sem, expr);
    DecoratorUse {
        in_project: name.as_deref().is_some_and(in_project),
        name,
        text,
        args,
        optional,
        location,
    }
}

/// A decorator's qualified name, text as written, string arguments and `optional=True`.
fn spelling(sem: &Semantic, expr: &Expr) -> (Option<String>, String, Vec<String>, bool) {
    let (callee, arguments) = match expr {
        Expr::Call(c) => (&*c.func, Some(&c.arguments)),
        other => (other, None),
    };
    let name = sem.resolve(callee);
    let text = dotted(callee).unwrap_or_else(|| "<expression>".to_string());
    let mut args = Vec::new();
    let mut optional = false;
    if let Some(arguments) = arguments {
        args.extend(arguments.args.iter().filter_map(string_literal));
        for kw in &arguments.keywords {
            match kw.arg.as_ref().map(|a| a.as_str()) {
                Some("role" | "roles") => args.extend(literals(&kw.value)),
                Some("optional") => {
                    optional = matches!(&kw.value, Expr::BooleanLiteral(b) if b.value)
                }
                _ => {}
            }
        }
    }
    (name, text, args, optional)
}

/// `a.b.c` as written, for names and attribute chains.
pub fn dotted(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => Some(format!("{}.{}", dotted(&a.value)?, a.attr)),
        Expr::Call(c) => Some(format!("{}()", dotted(&c.func)?)),
        _ => None,
    }
}

/// A string literal, or the string literals of a list, tuple or set.
pub fn literals(expr: &Expr) -> Vec<String> {
    match expr {
        Expr::List(ast::ExprList { elts, .. })
        | Expr::Tuple(ast::ExprTuple { elts, .. })
        | Expr::Set(ast::ExprSet { elts, .. }) => elts.iter().filter_map(string_literal).collect(),
        other => string_literal(other).into_iter().collect(),
    }
}

/// The check at the top of a view body, if any.
pub fn top_check(sem: &Semantic, body: &[Stmt]) -> Option<Check> {
    let mut reader = Reader::new(sem);
    reader.strict = true;
    reader.find_guard(body, 0, true)
}

/// What `f` does when registered as a `before_request` hook, and what it exempts.
/// `constants` are the module's string constants, for allow-lists kept in one.
pub fn hook_verdict(
    sem: &Semantic,
    f: &ast::StmtFunctionDef,
    constants: &Constants,
) -> (Verdict, Exempt) {
    let mut reader = Reader::new(sem);
    let verdict = match reader.find_guard(&f.body, 0, false) {
        Some(Check {
            condition: Some(c), ..
        }) => Verdict::Unknown(format!("checks only when `{c}`")),
        Some(check) => Verdict::Authenticates {
            roles: check.roles,
            roles_from_args: false,
        },
        None => opaque_verdict(reader.calls, "calls"),
    };
    let mut exempt = Exempt::default();
    if verdict != Verdict::Open {
        let mut constants = constants.clone();
        collect_exemptions(sem, &mut constants, &f.body, &mut exempt, 0);
    }
    (verdict, exempt)
}

/// What `f` does when applied as a decorator: a wrapper (or a factory's wrapper) that checks
/// who is asking, or a function that hands the view to an authenticating library decorator.
pub fn decorator_verdict(sem: &Semantic, f: &ast::StmtFunctionDef) -> Verdict {
    let params = param_names(f);
    wrapper_verdict(sem, f, &params, &params, 0).unwrap_or_else(|| {
        if params.is_empty() {
            // `guard = make_guard()`: what is applied is what the call returns.
            Verdict::Unknown(format!("is what `{}()` returns, not followed", f.name))
        } else {
            Verdict::Open
        }
    })
}

/// Reads the functions nested in `f` as wrappers; `factory_params` are the outermost
/// function's parameters (roles, for a factory), `view_params` those that may hold the view.
fn wrapper_verdict(
    sem: &Semantic,
    f: &ast::StmtFunctionDef,
    factory_params: &[String],
    view_params: &[String],
    depth: usize,
) -> Option<Verdict> {
    if depth > 3 {
        return None;
    }
    let mut unknown = None;
    for stmt in &f.body {
        match stmt {
            Stmt::FunctionDef(inner) => {
                // `@login_required` (or another library guard) on the wrapper itself.
                for d in &inner.decorator_list {
                    if let Some(v) = library_verdict(sem, &d.expression) {
                        return Some(v);
                    }
                }
                let mut reader = Reader::new(sem);
                reader.params = factory_params.to_vec();
                reader.view_params = view_params.to_vec();
                reader.result_local = returned_local(&inner.body);
                let guard = reader.find_guard(&inner.body, 0, false);
                if let Some(bypass) = reader.bypass {
                    return Some(Verdict::Unknown(format!(
                        "its wrapper lets requests through when `{bypass}`"
                    )));
                }
                if let Some(c) = guard.as_ref().and_then(|g| g.condition.clone()) {
                    return Some(Verdict::Unknown(format!(
                        "its wrapper checks only when `{c}`"
                    )));
                }
                if let Some(check) = guard {
                    return Some(Verdict::Authenticates {
                        roles: check.roles,
                        roles_from_args: check.uses_params,
                    });
                }
                if let Some(name) = reader.delegate {
                    return Some(Verdict::Delegates(name));
                }
                match opaque_verdict(reader.calls, "its wrapper calls") {
                    Verdict::Open => {}
                    v @ Verdict::Unknown(_) => {
                        unknown.get_or_insert(v);
                    }
                    v => return Some(v),
                }
                // A factory: the nested function is the decorator, its parameters the view.
                let mut inner_view = view_params.to_vec();
                inner_view.extend(param_names(inner));
                match wrapper_verdict(sem, inner, factory_params, &inner_view, depth + 1) {
                    Some(v @ Verdict::Unknown(_)) => {
                        unknown.get_or_insert(v);
                    }
                    Some(v) => return Some(v),
                    None => {}
                }
            }
            // `return login_required(view)`, `return roles_required("admin")(view)`.
            Stmt::Return(r) => {
                if let Some(Expr::Call(c)) = r.value.as_deref() {
                    if let Some(v) = library_verdict(sem, &c.func) {
                        return Some(v);
                    }
                }
            }
            _ => {}
        }
    }
    unknown
}

/// Calls made before the view: followed in the inventory when one names a function; unknown
/// when only calls that cannot be named sound like authentication; else open.
fn opaque_verdict(calls: Vec<GuardCall>, what: &str) -> Verdict {
    if calls.iter().any(|c| c.function.is_some()) {
        return Verdict::Calls(calls);
    }
    match calls.iter().find(|c| c.named_like_auth) {
        Some(c) => Verdict::Unknown(format!("{what} `{}`, not followed", c.text)),
        None => Verdict::Open,
    }
}

/// The verdict of a library decorator expression, when it authenticates.
fn library_verdict(sem: &Semantic, expr: &Expr) -> Option<Verdict> {
    let (name, _, args, optional) = spelling(sem, expr);
    match library_decorator(name.as_deref(), &args, optional) {
        Library::Authenticates(roles) => Some(Verdict::Authenticates {
            roles,
            roles_from_args: false,
        }),
        _ => None,
    }
}

fn param_names(f: &ast::StmtFunctionDef) -> Vec<String> {
    f.parameters.iter().map(|p| p.name().to_string()).collect()
}

#[cfg(test)]
mod tests;

/// `x` of a body ending in `return x`.
fn returned_local(body: &[Stmt]) -> Option<String> {
    match body.last() {
        Some(Stmt::Return(r)) => match r.value.as_deref() {
            Some(Expr::Name(n)) => Some(n.id.to_string()),
            _ => None,
        },
        _ => None,
    }
}
