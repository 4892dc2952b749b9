//! The Flask model: what an application defines across its files — apps, routes, extensions,
//! hooks and configuration — gathered during the rule walk and judged by the app-level rules.

use std::collections::HashSet;

use ruff_python_ast::{self as ast, Expr};

use crate::finding::{FlowStep, Location};

use super::access::{AccessFacts, DecoratorUse, Scope};
use super::credentials::Credentials;
use super::semantic::Semantic;

/// HTTP methods that change state and so need CSRF protection.
pub const STATE_CHANGING: &[&str] = &["POST", "PUT", "PATCH", "DELETE"];

/// A view registered with `@app.route`, `@bp.post`, `add_url_rule`...
#[derive(Debug, Clone)]
pub struct Route {
    pub location: Location,
    /// The view function's name (for `add_url_rule`, the `view_func` name).
    pub function: String,
    /// Upper-case HTTP methods; `GET` when none are given.
    pub methods: Vec<String>,
    pub rule: Option<String>,
    /// `subdomain=` given on the route itself (it wins over its blueprint's).
    pub subdomain: Option<String>,
    /// Names of the `<converter:param>` parts of the URL rule.
    pub params: Vec<String>,
    pub csrf_exempt: bool,
    /// `endpoint=` (or `as_view("name")`), when given.
    pub endpoint: Option<String>,
    /// The app or blueprint the route is registered on.
    pub scope: Scope,
    /// `function` is a class-based view (`X.as_view(...)`).
    pub class_view: bool,
    /// Decorators applied in the registration: `view_func=login_required(view)`.
    pub wrappers: Vec<DecoratorUse>,
    /// For a class-based view: the class and its project bases (see
    /// [`crate::python::project::ProjectIndex::class_lineage`]).
    pub lineage: Vec<String>,
}

impl Route {
    /// Whether the route accepts a state-changing method.
    pub fn is_state_changing(&self) -> bool {
        self.methods
            .iter()
            .any(|m| STATE_CHANGING.contains(&m.as_str()))
    }
}

/// What one view function does, for judging its routes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewFacts {
    /// Reads `request.form`, `request.values` or `request.files`.
    pub reads_form: bool,
    /// Renders a template or returns HTML text.
    pub renders_html: bool,
    /// Validates a Flask-WTF form (which checks the CSRF token itself).
    pub validates_form: bool,
    /// Names a CSP, frame-options or nosniff header.
    pub sets_security_headers: bool,
}

/// Where an upload or a raw request body is read, and how its function bounds it.
#[derive(Debug, Clone)]
pub struct BodyRead {
    pub location: Location,
    /// The enclosing function checks the declared length itself.
    pub checked: bool,
    /// The names of the functions the enclosing function calls (none at module level).
    pub calls: Vec<String>,
}

/// A `render_template("name.html", var=value, ...)` call.
#[derive(Debug, Clone)]
pub struct RenderCall {
    /// The template name, as given.
    pub template: String,
    /// The call.
    pub location: Location,
    /// The enclosing function (`module.function`), if any.
    pub view: Option<String>,
    pub context: Vec<ContextVar>,
}

/// One keyword argument of a `render_template` call: a variable of the template's context.
#[derive(Debug, Clone)]
pub struct ContextVar {
    pub name: String,
    /// The `name=value` keyword.
    pub location: Location,
    /// When the value is request data: how it gets there, from the request source to the keyword.
    pub request_flow: Option<Vec<FlowStep>>,
    /// Whether the value cannot carry markup: a literal, or the output of an HTML sanitizer
    /// (`bleach.clean`, `nh3.clean`).
    pub harmless: bool,
}

/// Which template names an app's autoescape setting (`app.jinja_env.autoescape = ...`,
/// `jinja_options`) escapes beyond the extensions Flask escapes by itself.
#[derive(Debug, Default, Clone)]
pub struct ExtraAutoescape {
    /// Every template is escaped (`True`, `select_autoescape(default=True)`), but for the
    /// extensions in `except`.
    pub everything: bool,
    /// Extensions (lowercase, no dot) `select_autoescape(disabled_extensions=...)` leaves out.
    pub except: Vec<String>,
    /// Extensions `select_autoescape(enabled_extensions=...)` names.
    pub extensions: Vec<String>,
}

impl ExtraAutoescape {
    /// Whether the template `name` is escaped under this setting. Extensions match as Jinja's
    /// `select_autoescape` does, as suffixes after a dot (`txt.j2` matches `notes.txt.j2`).
    pub fn escapes(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        let ends = |ext: &String| name.ends_with(&format!(".{ext}"));
        (self.everything && !self.except.iter().any(ends)) || self.extensions.iter().any(ends)
    }

    fn merge(&mut self, other: Self) {
        self.everything |= other.everything;
        self.except.extend(other.except);
        self.extensions.extend(other.extensions);
    }
}

/// Facts about the application found in one file; merged over the project.
#[derive(Debug, Clone, Default)]
pub struct AppFacts {
    /// Where `Flask(...)` apps are created.
    pub apps: Vec<Location>,
    pub routes: Vec<Route>,
    /// Per function name (`module.function`); functions that do none of these things are left
    /// out (a missing view means all false).
    pub views: Vec<(String, ViewFacts)>,
    /// CSRFProtect, SeaSurf or FlaskForm classes.
    pub csrf_protection: bool,
    /// A CSRF token is checked on every unsafe request (CSRFProtect, SeaSurf, a token-checking
    /// `before_request` hook), not only where a form is validated.
    pub csrf_everywhere: bool,
    /// `WTF_CSRF_ENABLED = False` or `WTF_CSRF_CHECK_DEFAULT = False`: the extension checks
    /// nothing by itself.
    pub csrf_switched_off: bool,
    pub talisman: bool,
    /// Talisman options that weaken only in some setups, judged once the app is known.
    pub talisman_options: Vec<TalismanOption>,
    /// The app sets `SESSION_COOKIE_SECURE` to something other than a false literal.
    pub session_cookie_secure_set: bool,
    /// Werkzeug's `ProxyFix` wraps the app: a reverse proxy (which terminates TLS and redirects
    /// plain HTTP itself) sits in front.
    pub behind_proxy: bool,
    /// A security header is named outside any view: a dict literal mapping it to a value (a header
    /// table that middleware or the hosting server adds to every response), or a helper that sets
    /// it on a response it is given as a parameter (`SecurityHeaders.apply(response)`, called by
    /// a hook).
    pub security_header_table: bool,
    /// Functions registered as `after_request` hooks (`module.function`).
    pub after_request_hooks: Vec<String>,
    pub max_content_length: bool,
    /// Configuration comes from Python code the scan cannot read
    /// ([`crate::python::project::ProjectIndex::config_unseen`]): rules about a setting the app
    /// never makes stay quiet.
    pub config_unseen: bool,
    /// The project bounds request bodies other than by Flask's setting: in the server that
    /// hosts the app (`HTTPServer(app, max_body_size=...)`), or in a function that checks the
    /// declared length and answers 413.
    pub other_body_limit: bool,
    /// Where uploads or raw request bodies are read.
    pub body_reads: Vec<BodyRead>,
    /// Functions (by bare name) that check the declared body length and answer 413: the reads
    /// of functions calling them are bounded.
    pub length_checkers: Vec<String>,
    /// `render_template` calls with a literal template name.
    pub renders: Vec<RenderCall>,
    /// Template folders of apps and blueprints, relative to the scan root.
    pub template_folders: Vec<String>,
    /// The template file names the code mentions, to tell templates nothing serves.
    pub template_names: TemplateNames,
    /// `CORS_ORIGINS` is configured (not as a wildcard): flask-cors takes origins from it when a
    /// `CORS(...)` or `@cross_origin(...)` call names none.
    pub cors_origins_configured: bool,
    /// The app keeps users signed in with something the browser sends by itself (the Flask
    /// session, a login extension, cookies, HTTP authentication): what CSRF abuses.
    pub ambient_credentials: bool,
    /// Template extensions the app's own autoescape setting escapes beyond Flask's list.
    pub autoescape: ExtraAutoescape,
    /// Renders of templates Flask does not autoescape with request data: (call, template
    /// name, message).
    pub unescaped_renders: Vec<(Location, String, String)>,
    /// `supports_credentials=True` in calls that name no origins.
    pub cors_credentials_default_origins: Vec<Location>,
    /// `Access-Control-Allow-Origin` set from the request's Origin (with credentials allowed)
    /// where the enclosing class or function reads no browser-attached credential: FS110
    /// judges these by the whole app.
    pub cors_echoes_judged_by_app: Vec<Location>,
    /// Decorators, hooks, class views and blueprints, for the route inventory.
    pub access: AccessFacts,
    /// Some file sends an HTTP authentication challenge (`WWW-Authenticate`).
    pub http_auth_challenge: bool,
    /// Module-level functions that read credentials (nested functions included), by
    /// `module.function`: how a decorator or hook learns who is asking.
    pub credential_readers: Vec<(String, Credentials)>,
    /// FS105 findings on one view's forms or exemption, judged once the view's guards are known.
    pub csrf_off_in_views: Vec<CsrfOffInView>,
    /// CSRF-exempt views (their name in the `def`) a cross-site form cannot drive: their request
    /// data is only a JSON body read without `force=True` (which needs a CORS preflight
    /// cross-site), or they refuse any request without a secret the forger does not know.
    pub unforgeable_views: Vec<Location>,
    /// Where FS105 reported `WTF_CSRF_CHECK_DEFAULT = False`, withdrawn when the project calls
    /// `csrf.protect()`: the documented way to protect chosen views only.
    pub csrf_check_default_off: Vec<Location>,
    /// Some view calls `<CSRFProtect>.protect()` itself.
    pub csrf_protect_called: bool,
    /// Where FS102 reported a literal key: (location, config key, literal), withdrawn when the
    /// project refuses to start with that literal.
    pub literal_secret_keys: Vec<(Location, String, String)>,
    /// (config key, literal) pairs some `if key == literal: raise` refuses.
    pub refused_secret_literals: Vec<(String, String)>,
    /// Where FS101 reported `DEBUG = True` config writes, withdrawn once it is known how the
    /// project serves its apps.
    pub debug_config_writes: Vec<Location>,
    /// `app.run(host="0.0.0.0")` calls with no `debug` keyword: FS109 reports them when the
    /// configuration turns debug on.
    pub all_interfaces_by_config: Vec<Location>,
    /// Where FS101 reported a `DebuggedApplication` (or `app.run(debug=True)`) installed only
    /// when the app's own debug setting is on, withdrawn when nothing the project ships turns
    /// that setting on.
    pub gated_debuggers: Vec<Location>,
    /// Something may start the Werkzeug debugger from the app's debug flag, or read the flag to
    /// expose internals: an app's `.run(...)`, `run_simple`, `DebuggedApplication`, a debug
    /// toolbar.
    pub may_start_debugger: bool,
    /// The project hands a WSGI app to a server other than Werkzeug's (gevent, CherryPy,
    /// waitress...), which never installs the debugger.
    pub other_wsgi_server: bool,
}

/// Template file names in the Python code: a template none of them can mean is never served.
#[derive(Debug, Clone, Default)]
pub struct TemplateNames {
    /// File names (last path segment, lowercase) of literal template names.
    pub files: HashSet<String>,
    /// Endings of names completed at run time (`"%s_row.html"` → `_row.html`), lowercase.
    pub suffixes: HashSet<String>,
    /// Some call loads a template by a name the code computes: any template may be served.
    pub computed: bool,
}

impl TemplateNames {
    fn merge(&mut self, other: TemplateNames) {
        self.files.extend(other.files);
        self.suffixes.extend(other.suffixes);
        self.computed |= other.computed;
    }

    /// Whether some code may name the template file `file_name`.
    pub fn may_name(&self, file_name: &str) -> bool {
        let lower = file_name.to_ascii_lowercase();
        self.computed
            || self.files.contains(&lower)
            || self.suffixes.iter().any(|s| lower.ends_with(s.as_str()))
    }
}

/// A Talisman option that is a weakening only in some setups (FS108).
#[derive(Debug, Clone)]
pub struct TalismanOption {
    /// The keyword.
    pub location: Location,
    pub message: String,
    pub kind: TalismanOptionKind,
}

/// Which option [`TalismanOption`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TalismanOptionKind {
    /// `session_cookie_secure=False`: Talisman then leaves the app's own setting.
    CookieSecureOff,
    /// `force_https=False`, with whether the same call keeps HSTS on.
    ForceHttpsOff { hsts_on: bool },
}

/// A view switching CSRF checks off for itself (a form with `meta={"csrf": False}`, `@csrf.exempt`):
/// only a problem when a credential the browser sends by itself reaches the view.
#[derive(Debug, Clone)]
pub struct CsrfOffInView {
    /// Where to report.
    pub location: Location,
    pub message: String,
    /// The enclosing function's name in its `def` (where the inventory places its routes).
    pub view: Location,
    /// What the function reads of credentials itself.
    pub reads: Credentials,
}

impl AppFacts {
    /// The facts of a file that could not be analysed: nothing known, and so any template
    /// may be named in it.
    pub fn unread() -> Self {
        let mut facts = Self::default();
        facts.template_names.computed = true;
        facts
    }

    /// Folds another file's facts into these.
    pub fn merge(&mut self, other: AppFacts) {
        self.apps.extend(other.apps);
        self.routes.extend(other.routes);
        self.views.extend(other.views);
        self.csrf_protection |= other.csrf_protection;
        self.csrf_everywhere |= other.csrf_everywhere;
        self.csrf_switched_off |= other.csrf_switched_off;
        self.talisman |= other.talisman;
        self.talisman_options.extend(other.talisman_options);
        self.session_cookie_secure_set |= other.session_cookie_secure_set;
        self.behind_proxy |= other.behind_proxy;
        self.security_header_table |= other.security_header_table;
        self.after_request_hooks.extend(other.after_request_hooks);
        self.max_content_length |= other.max_content_length;
        self.config_unseen |= other.config_unseen;
        self.other_body_limit |= other.other_body_limit;
        self.body_reads.extend(other.body_reads);
        self.length_checkers.extend(other.length_checkers);
        self.renders.extend(other.renders);
        self.template_folders.extend(other.template_folders);
        self.template_names.merge(other.template_names);
        self.cors_origins_configured |= other.cors_origins_configured;
        self.ambient_credentials |= other.ambient_credentials;
        self.autoescape.merge(other.autoescape);
        self.unescaped_renders.extend(other.unescaped_renders);
        self.cors_credentials_default_origins
            .extend(other.cors_credentials_default_origins);
        self.cors_echoes_judged_by_app
            .extend(other.cors_echoes_judged_by_app);
        self.access.merge(other.access);
        self.http_auth_challenge |= other.http_auth_challenge;
        self.credential_readers.extend(other.credential_readers);
        self.csrf_off_in_views.extend(other.csrf_off_in_views);
        self.unforgeable_views.extend(other.unforgeable_views);
        self.csrf_check_default_off
            .extend(other.csrf_check_default_off);
        self.csrf_protect_called |= other.csrf_protect_called;
        self.literal_secret_keys.extend(other.literal_secret_keys);
        self.refused_secret_literals
            .extend(other.refused_secret_literals);
        self.debug_config_writes.extend(other.debug_config_writes);
        self.gated_debuggers.extend(other.gated_debuggers);
        self.all_interfaces_by_config
            .extend(other.all_interfaces_by_config);
        self.may_start_debugger |= other.may_start_debugger;
        self.other_wsgi_server |= other.other_wsgi_server;
    }

    /// Whether an `after_request` hook sets security headers.
    pub fn has_header_hook(&self) -> bool {
        self.after_request_hooks
            .iter()
            .any(|h| self.view(h).is_some_and(|v| v.sets_security_headers))
    }

    /// Takes the taint engine's answer for context variables the local check could not follow
    /// (request data that went through helpers, containers or other modules).
    pub fn link_template_flows(&mut self, contexts: &[crate::taint::TemplateContext]) {
        for render in &mut self.renders {
            for var in render
                .context
                .iter_mut()
                .filter(|v| v.request_flow.is_none() && !v.harmless)
            {
                let found = contexts.iter().find(|c| {
                    c.variable == var.name
                        && c.call_location.path == render.location.path
                        && c.call_location.start == render.location.start
                });
                if let Some(c) = found {
                    let mut flow = c.flow.clone();
                    flow.push(FlowStep {
                        location: var.location.clone(),
                        message: format!("passed to `{}` as `{}`", render.template, var.name),
                    });
                    var.request_flow = Some(flow);
                }
            }
        }
    }

    /// The facts of the view function called `function` (qualified `module.function`).
    pub fn view(&self, function: &str) -> Option<&ViewFacts> {
        self.views
            .iter()
            .find(|(name, _)| name == function)
            .map(|(_, v)| v)
    }

    /// The facts of the view of `route` (qualified `module.function`) or, for a class-based
    /// view (`module.Class`), of each of its handler methods (`module.Class.post`) and of every
    /// method of its classes.
    pub fn views_of<'s>(&'s self, route: &'s Route) -> impl Iterator<Item = &'s ViewFacts> + 's {
        let function = route.function.as_str();
        // Any method of a class-based view's classes may answer: handlers hand requests to
        // methods of the subclass (`post` calling `self.POST_AUTH()`).
        let method_of_lineage = move |name: &str| {
            route.lineage.iter().any(|class| {
                name.strip_prefix(class.as_str())
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|method| !method.contains('.'))
            })
        };
        self.views
            .iter()
            .filter(move |(name, _)| {
                name == function
                    || name
                        .strip_prefix(function)
                        .is_some_and(|rest| rest.strip_prefix('.').is_some_and(is_view_handler))
                    || method_of_lineage(name)
            })
            .map(|(_, v)| v)
    }
}

/// The methods Flask (and the REST extensions) dispatch a request to in a class-based view.
pub const VIEW_HANDLERS: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "dispatch_request",
];

/// Whether a method of a class-based view handles requests.
pub fn is_view_handler(name: &str) -> bool {
    VIEW_HANDLERS.contains(&name)
}

/// A server option that caps request bodies: Tornado's `max_body_size` (and wrappers' own
/// `default_max_body_size`), Waitress's `max_request_body_size`.
pub fn names_body_limit(option: &str) -> bool {
    option.ends_with("max_body_size") || option.ends_with("max_request_body_size")
}

/// Whether `qualified` is a CSRF extension or one of its members (`flask_wtf.CSRFProtect.exempt`).
pub fn is_csrf_extension(qualified: &str) -> bool {
    qualified.starts_with("flask_wtf.CSRFProtect") || qualified.starts_with("flask_seasurf.SeaSurf")
}

/// Whether a `before_request` hook's name says it checks CSRF tokens (`csrf_protect`,
/// `check_xsrf_token`, `csrfRequestHandler`): apps with their own double-submit or session-token
/// scheme register one for every unsafe request.
pub fn names_csrf_check(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    last.contains("csrf") || last.contains("xsrf")
}

/// Whether `qualified` is an object routes can be registered on.
pub fn is_route_owner(qualified: &str) -> bool {
    qualified == "flask.Flask" || qualified == "flask.Blueprint"
}

/// Joins a blueprint's `url_prefix` and a rule the way Flask does.
pub fn join_prefix(prefix: &str, rule: &str) -> String {
    if rule.is_empty() {
        return prefix.to_string();
    }
    format!(
        "{}/{}",
        prefix.trim_end_matches('/'),
        rule.trim_start_matches('/')
    )
}

/// A route declared by decorator `@X.route(...)`/`@X.get(...)`: (methods, rule).
pub fn route_decorator(sem: &Semantic, decorator: &Expr) -> Option<(Vec<String>, Option<String>)> {
    let Expr::Call(call) = decorator else {
        return None;
    };
    let Expr::Attribute(attr) = &*call.func else {
        return None;
    };
    let owner = sem.resolve(&attr.value);
    if !owner.as_deref().is_some_and(is_route_owner) {
        return None;
    }
    let rule = call.arguments.args.first().and_then(string_literal);
    let methods = match attr.attr.as_str() {
        "route" => methods_keyword(&call.arguments),
        verb @ ("get" | "post" | "put" | "patch" | "delete") => vec![verb.to_ascii_uppercase()],
        _ => return None,
    };
    Some((methods, rule))
}

/// The `methods=[...]` of a route registration, `GET` by default.
pub fn methods_keyword(arguments: &ast::Arguments) -> Vec<String> {
    let Some(kw) = arguments.find_keyword("methods") else {
        return vec!["GET".to_string()];
    };
    let elts: &[Expr] = match &kw.value {
        Expr::List(l) => &l.elts,
        Expr::Tuple(t) => &t.elts,
        Expr::Set(s) => &s.elts,
        // Methods computed at run time: assume they may change state.
        _ => return vec!["POST".to_string()],
    };
    elts.iter()
        .filter_map(string_literal)
        .map(|m| m.to_ascii_uppercase())
        .collect()
}

/// The URL rule and the view of `add_url_rule(rule, endpoint, view_func, ...)`.
pub fn add_url_rule_parts(call: &ast::ExprCall) -> (Option<String>, Option<&Expr>) {
    let rule = call.arguments.args.first().and_then(string_literal);
    let view = call
        .arguments
        .find_keyword("view_func")
        .map(|k| &k.value)
        .or_else(|| call.arguments.args.get(2));
    (rule, view)
}

/// The parameter names of a URL rule: `/user/<int:id>/<name>` → `["id", "name"]`.
pub fn rule_params(rule: &str) -> Vec<String> {
    rule.split('<')
        .skip(1)
        .filter_map(|part| part.split('>').next())
        .map(|inner| inner.rsplit(':').next().unwrap_or(inner).trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The value of a plain string literal.
pub fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blueprint_prefixes_join_like_flask() {
        assert_eq!(join_prefix("/admin", "/users"), "/admin/users");
        assert_eq!(join_prefix("/admin/", "users"), "/admin/users");
        assert_eq!(join_prefix("/admin", "/"), "/admin/");
        assert_eq!(join_prefix("/admin", ""), "/admin");
    }

    #[test]
    fn url_rule_params() {
        assert_eq!(rule_params("/u/<int:id>/<name>/x"), vec!["id", "name"]);
        assert!(rule_params("/static").is_empty());
    }
}
