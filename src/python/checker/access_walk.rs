//! The walk's share of the route inventory: blueprints and their prefixes, the decorators,
//! hooks and checks that guard views, and class-based views. Judging is `access`'s job.

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;

use super::Checker;
use crate::python::access::{
    self, BlueprintDef, ClassView, DecoratorUse, FunctionAccess, Handler, Hook, Registration, Scope,
};
use crate::python::flask::{self, Route};
use crate::python::semantic::qualify;
use crate::python::view_body::{self, ViewBody};
use crate::python::view_classes;

/// The `function` of a route whose view is a lambda.
pub const LAMBDA_VIEW: &str = "<lambda>";

/// HTTP methods a class-based view may handle, as method names.
const HANDLERS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "options"];

impl<'a> Checker<'a> {
    /// A decorator as used here, with whether its name is a project definition.
    fn decorator_use(&self, expr: &Expr) -> DecoratorUse {
        let project = self.project;
        access::decorator_use(&self.sem, expr, self.location(expr.range()), |q| {
            module_prefixes(q).any(|m| project.has_module(m))
        })
    }

    /// Remembers what names imported from other modules stand for, so a blueprint keeps its
    /// identity where the name resolver only keeps its type.
    pub(super) fn note_identities(&mut self, stmt: &Stmt) {
        let Stmt::ImportFrom(i) = stmt else {
            return;
        };
        let Some(base) = self
            .sem
            .absolute_module(i.module.as_ref().map(|m| m.as_str()), i.level)
        else {
            return;
        };
        if base.is_empty() {
            return;
        }
        let project_module = self.project.has_module(&base);
        for alias in &i.names {
            let name = alias.name.as_str();
            if name == "*" {
                continue;
            }
            let local = alias.asname.as_ref().map_or(name, |a| a.as_str());
            let target = qualify(&base, name);
            if project_module && self.sem.at_module_level() {
                let own = qualify(&self.file.module, local);
                self.facts.access.aliases.push((own, target.clone()));
            }
            self.identities.insert(local.to_string(), target);
        }
    }

    /// `bp = Blueprint("name", __name__, url_prefix="/x")`.
    pub(super) fn note_blueprint(&mut self, targets: &[Expr], value: &Expr) {
        let Expr::Call(call) = value else {
            return;
        };
        if !self.sem.may_name_flask() {
            return;
        }
        // `app = Flask(__name__)`, also inside a factory: hooks and routes name it.
        if self.sem.is(&call.func, crate::python::project::FLASK) {
            for t in targets {
                if let Expr::Name(n) = t {
                    let identity = qualify(&self.file.module, &n.id);
                    self.identities.insert(n.id.to_string(), identity);
                }
            }
            return;
        }
        if !self.sem.is(&call.func, "flask.Blueprint") {
            return;
        }
        let name = call
            .arguments
            .args
            .first()
            .and_then(flask::string_literal)
            .or_else(|| keyword_literal(&call.arguments, "name"));
        let url_prefix = keyword_literal(&call.arguments, "url_prefix");
        let subdomain = keyword_literal(&call.arguments, "subdomain");
        for t in targets {
            if let Expr::Name(n) = t {
                let identity = qualify(&self.file.module, &n.id);
                self.identities.insert(n.id.to_string(), identity.clone());
                self.facts.access.blueprints.push(BlueprintDef {
                    identity,
                    name: name.clone(),
                    url_prefix: url_prefix.clone(),
                    subdomain: subdomain.clone(),
                });
            }
        }
    }

    /// `PUBLIC = ("login", "static")` at module level: allow-lists of hooks may name it.
    pub(super) fn note_constant(&mut self, targets: &[Expr], value: &Expr) {
        if !self.sem.at_module_level()
            || !matches!(value, Expr::List(_) | Expr::Tuple(_) | Expr::Set(_))
        {
            return;
        }
        let values = access::literals(value);
        if values.is_empty() {
            return;
        }
        for t in targets {
            if let Expr::Name(n) = t {
                self.constants.insert(n.id.to_string(), values.clone());
            }
        }
    }

    /// The identity (`module.variable`) of the object `expr` names, when it can be followed.
    fn identity(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(n) => self.identities.get(n.id.as_str()).cloned(),
            Expr::Attribute(a) => Some(qualify(&self.identity(&a.value)?, &a.attr)),
            _ => None,
        }
    }

    /// The app or blueprint `owner` is.
    pub(super) fn scope_of(&self, owner: &Expr) -> Scope {
        if self.sem.is(owner, "flask.Blueprint") {
            Scope::Blueprint(self.identity(owner))
        } else if self.is_app(owner) {
            Scope::App(self.identity(owner))
        } else {
            Scope::Blueprint(None)
        }
    }

    /// The scope and `endpoint=` of a route decorator `@owner.route(...)`.
    pub(super) fn route_decorator_extras(&self, decorator: &Expr) -> RouteExtras {
        match decorator {
            Expr::Call(call) => match &*call.func {
                Expr::Attribute(a) => RouteExtras {
                    scope: self.scope_of(&a.value),
                    endpoint: keyword_literal(&call.arguments, "endpoint"),
                    subdomain: keyword_literal(&call.arguments, "subdomain"),
                },
                _ => RouteExtras::default(),
            },
            _ => RouteExtras::default(),
        }
    }

    /// Where a `@x.before_request`-style decorator registers a hook, if it is one.
    pub(super) fn hook_scope(&self, decorator: &Expr) -> Option<Scope> {
        let Expr::Attribute(a) = decorator else {
            return None;
        };
        match a.attr.as_str() {
            "before_app_request" => Some(Scope::App(None)),
            "before_request" => Some(self.scope_of(&a.value)),
            _ => None,
        }
    }

    /// Records what a function does for access control: for module-level functions (which may
    /// be used as decorators or hooks elsewhere), views and hooks.
    pub(super) fn function_access(
        &mut self,
        f: &'a ast::StmtFunctionDef,
        is_view: bool,
        hooks: Vec<Scope>,
    ) {
        if !self.facts.access.collected
            || (!is_view && hooks.is_empty() && !self.sem.at_module_level())
        {
            return;
        }
        let function = qualify(&self.file.module, &f.name);
        for scope in hooks {
            self.facts.access.hooks.push(Hook {
                scope,
                function: Some(function.clone()),
                location: self.location(f.name.range()),
            });
        }
        let decorators = f
            .decorator_list
            .iter()
            .filter(|d| !is_registration(&self.sem, &d.expression))
            .map(|d| self.decorator_use(&d.expression))
            .collect();
        let top_check = access::top_check(&self.sem, &f.body).map(|c| self.body_check(c));
        let (as_hook, exempt) = access::hook_verdict(&self.sem, f, &self.constants);
        let access = FunctionAccess {
            function,
            location: self.location(f.name.range()),
            decorators,
            top_check,
            as_decorator: access::decorator_verdict(&self.sem, f),
            as_hook,
            exempt,
            body: is_view.then(|| self.view_body(f)),
        };
        self.facts.access.functions.push(access);
    }

    /// What a view's body does, for the rules that judge it with the inventory.
    fn view_body(&self, f: &ast::StmtFunctionDef) -> ViewBody {
        view_body::read(&self.sem, f, &|range| self.location(range))
    }

    /// Model columns naming a row's owner (`user_id = db.Column(db.ForeignKey(...))`), so
    /// loads of the model can be judged by FS413.
    pub(super) fn owned_model(&mut self, c: &ast::StmtClassDef) {
        if !self.facts.access.collected || c.arguments.as_ref().is_none_or(|a| a.args.is_empty()) {
            return;
        }
        let column = c.body.iter().find_map(|stmt| {
            let (target, value) = match stmt {
                Stmt::Assign(a) => (a.targets.first()?, &*a.value),
                Stmt::AnnAssign(a) => (&*a.target, a.value.as_deref()?),
                _ => return None,
            };
            let Expr::Name(n) = target else {
                return None;
            };
            view_body::is_owner_column(n.id.as_str(), value).then(|| n.id.to_string())
        });
        if let Some(column) = column {
            self.facts
                .access
                .owned_models
                .push((c.name.to_string(), column));
        }
    }

    fn body_check(&self, c: access::Check) -> access::BodyCheck {
        access::BodyCheck {
            name: c.name,
            roles: c.roles,
            location: self.location(c.range),
        }
    }

    /// `app.before_request(check)` / `bp.before_request(check)`.
    pub(super) fn hook_call(&mut self, call: &ast::ExprCall, attr: &ast::ExprAttribute) {
        let scope = match attr.attr.as_str() {
            "before_app_request" => Scope::App(None),
            "before_request" => self.scope_of(&attr.value),
            _ => return,
        };
        let function = call.arguments.args.first().and_then(|hook| match hook {
            Expr::Name(n) => Some(
                self.sem
                    .resolve(hook)
                    .unwrap_or_else(|| qualify(&self.file.module, &n.id)),
            ),
            other => self.sem.resolve(other),
        });
        self.facts.access.hooks.push(Hook {
            scope,
            function,
            location: self.location(call.range()),
        });
    }

    /// `app.register_blueprint(bp, url_prefix="/x", subdomain="api")`.
    pub(super) fn register_blueprint(&mut self, call: &ast::ExprCall, app: &Expr) {
        let Some(blueprint) = call.arguments.args.first().and_then(|bp| self.identity(bp)) else {
            return;
        };
        let registration = Registration {
            blueprint,
            url_prefix: keyword_literal(&call.arguments, "url_prefix"),
            subdomain: keyword_literal(&call.arguments, "subdomain"),
            app: self.identity(app),
        };
        self.facts.access.registrations.push(registration);
    }

    /// The routes of `owner.add_url_rule(rule, endpoint, view_func, ...)`: one, or one per
    /// class a registering helper is called with (see [`view_classes`]).
    pub(super) fn url_rule_routes(&self, call: &ast::ExprCall, owner: &Expr) -> Vec<Route> {
        let route = self.url_rule_route(call, owner);
        let (_, view) = flask::add_url_rule_parts(call);
        let classes = view.map_or_else(Vec::new, |v| {
            view_classes::registered_classes(v, self.enclosing_function(), self.file.body())
        });
        if classes.is_empty() {
            return vec![route];
        }
        // Without `methods=` the class says which methods it answers.
        let given = call.arguments.find_keyword("methods").is_some();
        classes
            .into_iter()
            .map(|class| {
                // A class imported inside the helper's caller is not bound here.
                let function = match class {
                    Expr::Name(n) => self.sem.resolve(class).unwrap_or_else(|| {
                        self.project
                            .unique_class(&n.id)
                            .map_or_else(|| qualify(&self.file.module, &n.id), str::to_string)
                    }),
                    other => self.sem.resolve(other).unwrap_or_default(),
                };
                let methods = self
                    .project
                    .view_methods(&function)
                    .filter(|_| !given)
                    .unwrap_or_else(|| route.methods.clone());
                Route {
                    lineage: self.project.class_lineage(&function),
                    function,
                    methods,
                    class_view: true,
                    ..route.clone()
                }
            })
            .collect()
    }

    /// The route of `owner.add_url_rule(rule, endpoint, view_func, ...)`, following
    /// `X.as_view("name")` and decorators applied in place (`login_required(view)`).
    pub(super) fn url_rule_route(&self, call: &ast::ExprCall, owner: &Expr) -> Route {
        let (rule, view) = flask::add_url_rule_parts(call);
        let mut wrappers = Vec::new();
        let mut view = view;
        let mut class_view = false;
        let mut endpoint = call
            .arguments
            .args
            .get(1)
            .and_then(flask::string_literal)
            .or_else(|| keyword_literal(&call.arguments, "endpoint"));
        while let Some(Expr::Call(c)) = view {
            if let Expr::Attribute(a) = &*c.func {
                if a.attr.as_str() == "as_view" {
                    class_view = true;
                    endpoint = endpoint.or_else(|| {
                        c.arguments
                            .args
                            .first()
                            .and_then(flask::string_literal)
                            .or_else(|| keyword_literal(&c.arguments, "name"))
                    });
                    view = Some(&*a.value);
                    break;
                }
            }
            wrappers.push(self.decorator_use(&c.func));
            view = c.arguments.args.first();
        }
        let function = match view {
            Some(v @ Expr::Name(n)) => self
                .sem
                .resolve(v)
                .unwrap_or_else(|| qualify(&self.file.module, &n.id)),
            // A lambda takes no decorators: only hooks can guard it.
            Some(Expr::Lambda(_)) => LAMBDA_VIEW.to_string(),
            Some(other) => self.sem.resolve(other).unwrap_or_default(),
            None => String::new(),
        };
        let lineage = if class_view {
            self.project.class_lineage(&function)
        } else {
            Vec::new()
        };
        Route {
            location: self.location(call.range()),
            function,
            methods: flask::methods_keyword(&call.arguments),
            params: rule.as_deref().map(flask::rule_params).unwrap_or_default(),
            rule,
            csrf_exempt: false,
            endpoint,
            subdomain: keyword_literal(&call.arguments, "subdomain"),
            scope: self.scope_of(owner),
            lineage,
            class_view,
            wrappers,
        }
    }

    /// `api.add_resource(Resource, "/a", "/b", endpoint="x")` of Flask-RESTful or Flask-RESTX.
    pub(super) fn add_resource(&mut self, call: &ast::ExprCall, callee: &str) {
        let restful = ["flask_restful.", "flask_restx.", "flask_restplus."]
            .iter()
            .any(|p| callee.starts_with(p));
        if !restful || !callee.ends_with(".add_resource") {
            return;
        }
        let Some(class) = call.arguments.args.first() else {
            return;
        };
        let function = self.sem.resolve(class).unwrap_or_default();
        // Flask-RESTful names the endpoint after the class, lower-cased.
        let endpoint = keyword_literal(&call.arguments, "endpoint").or_else(|| {
            Some(
                function
                    .rsplit('.')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
            )
            .filter(|e| !e.is_empty())
        });
        let api = match &*call.func {
            Expr::Attribute(a) => self.identity(&a.value),
            _ => None,
        };
        for url in call.arguments.args.iter().skip(1) {
            let rule = flask::string_literal(url);
            let route = Route {
                location: self.location(call.range()),
                function: function.clone(),
                methods: vec!["GET".to_string()],
                params: rule.as_deref().map(flask::rule_params).unwrap_or_default(),
                rule,
                csrf_exempt: false,
                endpoint: endpoint.clone(),
                subdomain: None,
                scope: Scope::App(None),
                class_view: true,
                wrappers: Vec::new(),
                lineage: self.project.class_lineage(&function),
            };
            self.facts.access.resources.push((route, api.clone()));
        }
    }

    /// `api = Api(app, prefix="/api", decorators=[auth.login_required])`.
    pub(super) fn note_api(&mut self, targets: &[Expr], value: &Expr) {
        let Expr::Call(call) = value else {
            return;
        };
        let callee = self.sem.resolve(&call.func).unwrap_or_default();
        if !matches!(
            callee.as_str(),
            "flask_restful.Api" | "flask_restx.Api" | "flask_restplus.Api"
        ) {
            return;
        }
        let owner = call
            .arguments
            .args
            .first()
            .or_else(|| call.arguments.find_keyword("app").map(|k| &k.value));
        // `Api()` later bound with `api.init_app(app)`.
        let scope = owner.map_or(Scope::App(None), |o| self.scope_of(o));
        let mut decorators = Vec::new();
        let mut unknown = None;
        if let Some(kw) = call.arguments.find_keyword("decorators") {
            match elements(&kw.value) {
                Some(elts) => decorators.extend(elts.iter().map(|e| self.decorator_use(e))),
                None => unknown = Some("its `Api` decorators are not a literal list".to_string()),
            }
        }
        for t in targets {
            if let Expr::Name(n) = t {
                let identity = qualify(&self.file.module, &n.id);
                self.identities.insert(n.id.to_string(), identity.clone());
                self.facts.access.apis.push(access::ApiDef {
                    identity,
                    scope: scope.clone(),
                    prefix: keyword_literal(&call.arguments, "prefix"),
                    decorators: decorators.clone(),
                    unknown: unknown.clone(),
                });
            }
        }
    }

    /// A class-based view: its `decorators`, `method_decorators`, `methods` and handlers.
    pub(super) fn class_view(&mut self, c: &'a ast::StmtClassDef) {
        if !self.facts.access.collected || c.arguments.as_ref().is_none_or(|a| a.args.is_empty()) {
            return;
        }
        let mut view = ClassView {
            class: qualify(&self.file.module, &c.name),
            decorators: Vec::new(),
            method_decorators: Vec::new(),
            methods: None,
            handlers: Vec::new(),
            unknown: None,
            guard_lists: Vec::new(),
        };
        for stmt in &c.body {
            match stmt {
                Stmt::Assign(a) => {
                    let [Expr::Name(target)] = &a.targets[..] else {
                        continue;
                    };
                    if matches!(target.id.as_str(), "decorators" | "method_decorators") {
                        view.guard_lists.push(self.location(a.range()));
                    }
                    self.class_attribute(&mut view, target.id.as_str(), &a.value);
                }
                Stmt::FunctionDef(f) if HANDLERS.contains(&f.name.as_str()) => {
                    let handler = Handler {
                        method: f.name.to_ascii_uppercase(),
                        location: self.location(f.name.range()),
                        decorators: f
                            .decorator_list
                            .iter()
                            .map(|d| self.decorator_use(&d.expression))
                            .collect(),
                        top_check: access::top_check(&self.sem, &f.body)
                            .map(|ch| self.body_check(ch)),
                        body: self.view_body(f),
                    };
                    view.handlers.push(handler);
                }
                _ => {}
            }
        }
        if !view.handlers.is_empty() || !view.decorators.is_empty() {
            self.facts.access.class_views.push(view);
        }
    }

    fn class_attribute(&self, view: &mut ClassView, name: &str, value: &Expr) {
        match name {
            "decorators" => match elements(value) {
                Some(elts) => view
                    .decorators
                    .extend(elts.iter().map(|e| self.decorator_use(e))),
                None => view.unknown = Some("its `decorators` are not a literal list".into()),
            },
            "method_decorators" => match value {
                Expr::Dict(d) => {
                    for item in &d.items {
                        let method = item.key.as_ref().and_then(flask::string_literal);
                        for e in elements(&item.value).unwrap_or_default() {
                            let mut u = self.decorator_use(e);
                            u.text = format!("{}[{}]", u.text, method.clone().unwrap_or_default());
                            view.method_decorators.push((method.clone(), u));
                        }
                    }
                }
                other => match elements(other) {
                    Some(elts) => view
                        .method_decorators
                        .extend(elts.iter().map(|e| (None, self.decorator_use(e)))),
                    None => view.unknown = Some("its `method_decorators` are not a literal".into()),
                },
            },
            "methods" => {
                if let Some(elts) = elements(value) {
                    view.methods = Some(
                        elts.iter()
                            .filter_map(flask::string_literal)
                            .map(|m| m.to_ascii_uppercase())
                            .collect(),
                    );
                }
            }
            _ => {}
        }
    }
}

/// The elements of a literal list or tuple.
fn elements(v: &Expr) -> Option<&[Expr]> {
    match v {
        Expr::List(l) => Some(&l.elts),
        Expr::Tuple(t) => Some(&t.elts),
        _ => None,
    }
}

/// Flask and Blueprint methods used as decorators to register a function.
const REGISTRATION_METHODS: &[&str] = &[
    "route",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "endpoint",
    "before_request",
    "before_app_request",
    "after_request",
    "after_app_request",
    "teardown_request",
    "teardown_app_request",
    "teardown_appcontext",
    "errorhandler",
    "app_errorhandler",
    "context_processor",
    "app_context_processor",
    "url_value_preprocessor",
    "url_defaults",
    "template_filter",
    "app_template_filter",
    "template_global",
    "app_template_global",
];

/// Decorators that register the function rather than guard it (`@app.route`, `@bp.before_request`,
/// `@app.errorhandler(404)`...): Flask and Blueprint methods.
fn is_registration(sem: &crate::python::semantic::Semantic, d: &Expr) -> bool {
    let callee = match d {
        Expr::Call(c) => &*c.func,
        other => other,
    };
    match callee {
        Expr::Attribute(a) => match sem.resolve(&a.value) {
            Some(q) => flask::is_route_owner(&q),
            // An app or blueprint the resolver cannot follow (a parameter, `self.app`).
            None => REGISTRATION_METHODS.contains(&a.attr.as_str()),
        },
        _ => false,
    }
}

/// The string literal value of keyword `name`.
/// What a route decorator says besides its rule and methods.
pub(super) struct RouteExtras {
    /// The app or blueprint it registers on.
    pub scope: Scope,
    /// `endpoint=`.
    pub endpoint: Option<String>,
    /// `subdomain=`.
    pub subdomain: Option<String>,
}

impl Default for RouteExtras {
    /// A decorator not written `@owner.route(...)`: a blueprint not followed.
    fn default() -> Self {
        Self {
            scope: Scope::Blueprint(None),
            endpoint: None,
            subdomain: None,
        }
    }
}

fn keyword_literal(arguments: &ast::Arguments, name: &str) -> Option<String> {
    arguments
        .find_keyword(name)
        .and_then(|k| flask::string_literal(&k.value))
}

/// `a.b`, `a` of `a.b.c`: the modules a qualified name may be defined in.
fn module_prefixes(q: &str) -> impl Iterator<Item = &str> {
    q.rmatch_indices('.').map(move |(i, _)| &q[..i])
}
