//! The one AST walk per file: keeps scopes and context up to date and dispatches each node to
//! the rules that want it (Ruff's checker is the model), so adding a rule never adds a pass.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::credentials::{self, Credentials};
use super::flask::{self, AppFacts, Route, ViewFacts};
use super::project::{self, ProjectIndex, FLASK};
use super::render;
use super::semantic::{qualify, Semantic};
use super::SourceFile;
use crate::finding::{Location, Severity};
use crate::rules::{dispatch, Rule};

mod access_walk;
mod body_limit;
mod credential_walk;
mod shapes;

use shapes::{
    b_name, declares_csrf_on, is_app_name, is_config_key, is_security_header,
    looks_like_config_class, returns_html, target_names,
};

pub use access_walk::LAMBDA_VIEW;

/// A finding before positions, snippets and suppressions are attached.
#[derive(Debug, Clone)]
pub struct RawFinding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub range: TextRange,
    /// Start of the enclosing statement, for suppressions on a multi-line statement's first line.
    pub statement_start: TextSize,
    /// The rule's mechanical fix, when it is sure of one.
    pub fix: Option<RawFix>,
    /// The audit part of its rule: reported only when the rule is named (`--select FS112`).
    pub audit: bool,
}

/// A fix as a rule states it: what it does, and text replacements by source range.
#[derive(Debug, Clone)]
pub struct RawFix {
    pub description: String,
    pub edits: Vec<(TextRange, String)>,
}

/// A write to Flask configuration, however it was spelled.
#[derive(Debug, Clone, Copy)]
pub struct ConfigWrite<'a> {
    /// The configuration key, e.g. `SECRET_KEY`.
    pub key: &'a str,
    pub value: &'a Expr,
    /// Where to report it.
    pub range: TextRange,
    /// Written in the body of a config class that is the development arm of a run-time choice
    /// (see [`crate::python::config_choice`]).
    pub development_alternative: bool,
    /// Written in the body of a config class whose debug switch only development arms and
    /// test configurations inherit (see [`crate::python::config_choice::debug_confined`]).
    pub debug_confined: bool,
}

/// What the walk knows about the function it is in.
#[derive(Debug, Default)]
struct FunctionContext<'a> {
    name: &'a str,
    /// The definition, for rules that follow a local name to its assignments.
    def: Option<&'a ast::StmtFunctionDef>,
    /// Whether a route decorator registers the function as a view.
    route_view: bool,
    /// Local names holding request data (`pw = request.form["password"]`), with where each got it.
    request_origins: HashMap<String, TextRange>,
    /// Local names holding sanitizer output (`body = bleach.clean(...)`).
    sanitized_names: HashSet<String>,
    view: ViewFacts,
    /// Credentials read in the function and the functions nested in it.
    credentials: Credentials,
    /// FS105 findings about this function as a view, judged with its guards later.
    csrf_off: Vec<(TextRange, String)>,
    /// How many body reads the app had when the function started: those after are its own or
    /// its nested functions'.
    body_reads_before: usize,
}

/// Per-file analysis state shared by every rule.
pub struct Checker<'a> {
    pub file: &'a SourceFile,
    pub sem: Semantic<'a>,
    pub project: &'a ProjectIndex,
    pub findings: Vec<RawFinding>,
    pub facts: AppFacts,
    statement_start: TextSize,
    functions: Vec<FunctionContext<'a>>,
    /// Targets of the assignment being walked (for rules judging a value by its target).
    targets: &'a [Expr],
    /// The value of the assignment being walked.
    assigned: Option<&'a Expr>,
    /// The value of the `return` statement being walked.
    returned: Option<&'a Expr>,
    /// Tests of the `if` statements enclosing the current node.
    if_tests: Vec<&'a Expr>,
    /// The `if` statement whose test is being walked.
    testing_if: Option<&'a ast::StmtIf>,
    /// Whether the class being walked holds Flask configuration.
    config_class: Vec<bool>,
    /// The classes being walked, each with how many functions enclose it: a function defined
    /// right in a class body is its method, recorded as `module.Class.method`.
    classes: Vec<(&'a ast::StmtClassDef, usize)>,
    /// Whether the innermost class being walked is a development alternative config class.
    development_class: bool,
    /// Whether the innermost class being walked is a test configuration.
    test_config_class: bool,
    /// The class being walked passes its debug switch only to development and test classes.
    debug_confined_class: bool,
    depth: usize,
    /// How many `lambda`s enclose the current node.
    lambdas: u32,
    /// How many comprehension conditions (`[x for x in xs if cond]`) enclose the node.
    filters: u32,
    /// Inside an `assert` statement.
    asserting: bool,
    /// The literal name of the header or cookie the expression being walked reads
    /// (`request.cookies.get("lang")`), until the read is noted.
    read_key: Option<String>,
    /// Set when the file nests deeper than the walk follows.
    pub too_deep: bool,
    /// Set while walking into the value of an attribute chain (`request.form` in
    /// `request.form.get`, `session` in `session.get`).
    chain_link: bool,
    /// Reused for the qualified name of each call's callee: resolving every call of a file
    /// into one buffer costs no allocation per call.
    callee_buf: String,
    /// Memo of [`Self::file_accepts_basic_auth`].
    basic_auth: Option<bool>,
    /// Names standing for objects of other modules or for blueprints (`bp` → `shop.views.bp`),
    /// which the resolver replaces by their type.
    identities: HashMap<String, String>,
    /// Module-level constants holding string literals, for hooks' allow-lists.
    constants: crate::python::access::Constants,
    /// FS105 findings about the function whose decorators are being read (`@csrf.exempt`),
    /// handed to its context once the walk enters it.
    exempt_pending: Vec<(TextRange, String)>,
}

impl<'a> Checker<'a> {
    /// A checker for `file`, resolving names against `project`.
    pub fn new(file: &'a SourceFile, project: &'a ProjectIndex) -> Self {
        Self {
            file,
            sem: Semantic::new(&file.module, file.path.ends_with("__init__.py"), project),
            project,
            findings: Vec::new(),
            facts: AppFacts::default(),
            statement_start: TextSize::default(),
            functions: Vec::new(),
            targets: &[],
            assigned: None,
            returned: None,
            if_tests: Vec::new(),
            testing_if: None,
            config_class: Vec::new(),
            classes: Vec::new(),
            development_class: false,
            test_config_class: false,
            debug_confined_class: false,
            depth: 0,
            lambdas: 0,
            filters: 0,
            asserting: false,
            read_key: None,
            too_deep: false,
            chain_link: false,
            callee_buf: String::new(),
            basic_auth: None,
            identities: HashMap::default(),
            constants: Default::default(),
            exempt_pending: Vec::new(),
        }
    }

    /// Also gathers the access-control facts of views, hooks and decorators (see
    /// [`crate::python::access::AccessFacts::collected`]).
    pub fn collecting_access(mut self) -> Self {
        self.facts.access.collected = true;
        self
    }

    /// Walks the whole module once.
    pub fn run(mut self) -> Self {
        self.facts.http_auth_challenge = credentials::text_challenges(&self.file.text);
        self.facts.config_unseen = self.project.config_unseen();
        let body = self.file.body();
        let module_is_config = self.project.is_config_object(&self.file.module);
        for stmt in body {
            self.visit_stmt(stmt);
            if module_is_config {
                self.module_level_config(stmt);
            }
        }
        self
    }

    /// Reports `rule` at `range` with its default message and severity.
    pub fn report(&mut self, rule: &'static Rule, range: TextRange) {
        self.report_with(rule, range, rule.message.to_string(), rule.severity);
    }

    /// Reports `rule` at `range` with a specific message.
    pub fn report_msg(&mut self, rule: &'static Rule, range: TextRange, message: String) {
        self.report_with(rule, range, message, rule.severity);
    }

    /// Reports `rule` with a specific message and severity.
    pub fn report_with(
        &mut self,
        rule: &'static Rule,
        range: TextRange,
        message: String,
        severity: Severity,
    ) {
        self.findings.push(RawFinding {
            rule,
            severity,
            message,
            range,
            statement_start: self.statement_start,
            fix: None,
            audit: false,
        });
    }

    /// Reports the audit part of `rule` at `range`: shown only when the rule is named.
    pub fn report_audit_msg(&mut self, rule: &'static Rule, range: TextRange, message: String) {
        self.report_with(rule, range, message, rule.severity);
        if let Some(last) = self.findings.last_mut() {
            last.audit = true;
        }
    }

    /// Reports `rule` with a specific message and severity, and its mechanical fix when it has one.
    pub fn report_fixable(
        &mut self,
        rule: &'static Rule,
        range: TextRange,
        message: String,
        severity: Severity,
        fix: Option<RawFix>,
    ) {
        self.report_with(rule, range, message, severity);
        if let Some(last) = self.findings.last_mut() {
            last.fix = fix;
        }
    }

    /// The location of `range` in this file.
    pub fn location(&self, range: TextRange) -> Location {
        let (start, end) = self.file.span(range);
        Location {
            path: self.file.path.clone(),
            start,
            end,
        }
    }

    /// Names assigned by the statement being walked; built on demand, as few rules ask.
    pub fn assign_targets(&self) -> Vec<String> {
        self.targets.iter().flat_map(target_names).collect()
    }

    /// The module-level name `value` is bound to, when the statement being walked is
    /// `name = value` at module level.
    pub fn module_variable_of(&self, value: TextRange) -> Option<&'a str> {
        match (self.targets, self.assigned) {
            ([Expr::Name(n)], Some(v)) if v.range() == value && self.sem.at_module_level() => {
                Some(n.id.as_str())
            }
            _ => None,
        }
    }

    /// The single plain name and the value of the assignment being walked (`name = value`).
    pub fn assignment_to_name(&self) -> Option<(&'a str, &'a Expr)> {
        match (self.targets, self.assigned) {
            ([Expr::Name(n)], Some(v)) => Some((n.id.as_str(), v)),
            _ => None,
        }
    }

    /// The `if` statement whose test holds the current node.
    pub fn if_being_tested(&self) -> Option<&'a ast::StmtIf> {
        self.testing_if
    }

    /// The value of the `return` statement being walked, if any.
    pub fn returned_value(&self) -> Option<&'a Expr> {
        self.returned
    }

    /// The names of the enclosing functions, innermost first.
    pub fn enclosing_function_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.functions.iter().rev().map(|f| f.name)
    }

    /// The name of the innermost enclosing function, if any.
    pub fn function_name(&self) -> Option<&str> {
        self.functions.last().map(|f| f.name)
    }

    /// The name of the innermost enclosing class, if any.
    pub fn class_name(&self) -> Option<&str> {
        self.enclosing_class().map(|c| c.name.as_str())
    }

    /// The innermost enclosing class definition, if any.
    pub fn enclosing_class(&self) -> Option<&'a ast::StmtClassDef> {
        self.classes.last().map(|(class, _)| *class)
    }

    /// Whether the walk is right in the body of a config class that is the development arm of
    /// a run-time choice (see [`crate::python::config_choice`]).
    pub fn in_development_config(&self) -> bool {
        self.development_class && self.config_class.last() == Some(&true)
    }

    /// Whether the walk is in a test configuration class (see
    /// [`crate::python::config_choice::test_configs`]): its settings serve the test client.
    pub fn in_test_config(&self) -> bool {
        self.test_config_class
    }

    /// The innermost enclosing function definition, if any.
    pub fn enclosing_function(&self) -> Option<&'a ast::StmtFunctionDef> {
        self.functions.last().and_then(|f| f.def)
    }

    /// Whether `name` is a parameter of the function being walked or of one enclosing it (a
    /// closure's free variable).
    pub fn is_enclosing_parameter(&self, name: &str) -> bool {
        self.functions
            .iter()
            .filter_map(|f| f.def)
            .any(|d| d.parameters.iter().any(|p| p.name().as_str() == name))
    }

    /// Whether the current node is inside a `lambda` (a predicate or key function).
    pub fn in_lambda(&self) -> bool {
        self.lambdas > 0
    }

    /// Whether the current node is inside a comprehension's condition, which picks the items
    /// kept (`[d for d in entries if d.token != old]`).
    pub fn in_comprehension_filter(&self) -> bool {
        self.filters > 0
    }

    /// Whether the current node is inside an `assert` statement: a self-check of the code
    /// (stripped under `python -O`), never the decision that admits a requester.
    pub fn in_assert(&self) -> bool {
        self.asserting
    }

    /// Tests of the enclosing `if` statements, innermost last.
    pub fn if_tests(&self) -> &[&'a Expr] {
        &self.if_tests
    }

    /// Whether `expr` is Flask request data read directly: `request.form["pw"]`,
    /// `request.args.get("q", "").strip()`, or a local name assigned from such a read.
    /// Data that went through another call (`find_user(name)`) is not counted: that is
    /// the taint engine's business, not a pattern's.
    pub fn is_request_derived(&self, expr: &Expr) -> bool {
        self.reads_request(expr, 0)
    }

    /// Where local `name` of the current function was assigned request data.
    pub fn request_origin(&self, name: &str) -> Option<TextRange> {
        self.functions.last()?.request_origins.get(name).copied()
    }

    /// Whether local `name` of the current function holds `bleach.clean`/`nh3.clean` output.
    pub fn is_sanitized_name(&self, name: &str) -> bool {
        self.functions
            .last()
            .is_some_and(|f| f.sanitized_names.contains(name))
    }

    fn reads_request(&self, expr: &Expr, depth: usize) -> bool {
        if depth > 32 {
            return false;
        }
        match expr {
            Expr::Name(n) => {
                self.functions
                    .last()
                    .is_some_and(|f| f.request_origins.contains_key(n.id.as_str()))
                    || (self.sem.may_name_flask() && self.sem.is(expr, "flask.request"))
            }
            Expr::Attribute(a) => {
                (self.sem.may_name_flask() && self.sem.is(expr, "flask.request"))
                    || self.reads_request(&a.value, depth + 1)
            }
            Expr::Subscript(s) => self.reads_request(&s.value, depth + 1),
            Expr::Call(c) => match &*c.func {
                Expr::Attribute(a) => self.reads_request(&a.value, depth + 1),
                Expr::Name(n) if matches!(n.id.as_str(), "str" | "bytes") => c
                    .arguments
                    .args
                    .first()
                    .is_some_and(|a| self.reads_request(a, depth + 1)),
                _ => false,
            },
            Expr::BoolOp(b) => b.values.iter().any(|v| self.reads_request(v, depth + 1)),
            _ => false,
        }
    }

    /// Calls `f` on `expr` and every expression inside it (bounded depth).
    pub fn any_subexpr(&self, expr: &Expr, f: &mut dyn FnMut(&Self, &Expr)) {
        super::each_subexpr(expr, &mut |e| f(self, e));
    }

    /// Whether `expr` is the Flask app object, or plausibly one where names cannot be followed
    /// (`def init_app(app): app.config[...]`).
    pub fn is_app(&self, expr: &Expr) -> bool {
        match self.sem.resolve(expr) {
            Some(q) => q == FLASK,
            None => match expr {
                Expr::Name(n) => is_app_name(n.id.as_str()),
                Expr::Attribute(a) => is_app_name(a.attr.as_str()),
                _ => false,
            },
        }
    }

    fn module_level_config(&mut self, stmt: &'a Stmt) {
        if let Stmt::Assign(a) = stmt {
            for t in &a.targets {
                if let Expr::Name(n) = t {
                    if is_config_key(n.id.as_str()) {
                        self.config_write(n.id.as_str(), &a.value, stmt.range());
                    }
                }
            }
        }
    }

    fn config_write(&mut self, key: &str, value: &Expr, range: TextRange) {
        if key == "MAX_CONTENT_LENGTH" && !matches!(value, Expr::NoneLiteral(_)) {
            self.facts.max_content_length = true;
        }
        if key == "SESSION_COOKIE_SECURE" && !crate::rules::helpers::is_falsy_literal(value) {
            self.facts.session_cookie_secure_set = true;
        }
        // Only the class body itself: the flag does not reach into its methods.
        let in_class_body = self.config_class.last() == Some(&true);
        let development_alternative = self.development_class && in_class_body;
        let debug_confined = self.debug_confined_class && in_class_body;
        dispatch::config_write(
            self,
            &ConfigWrite {
                key,
                value,
                range,
                development_alternative,
                debug_confined,
            },
        );
    }

    /// Config writes spelled as a call: `app.config.update(...)`, `from_mapping`, `setdefault`.
    fn config_call(&mut self, call: &'a ast::ExprCall) {
        let Expr::Attribute(method) = &*call.func else {
            return;
        };
        let Expr::Attribute(config) = &*method.value else {
            return;
        };
        if config.attr.as_str() != "config" || !self.is_app(&config.value) {
            return;
        }
        match method.attr.as_str() {
            "update" | "from_mapping" => {
                for kw in &call.arguments.keywords {
                    if let Some(arg) = &kw.arg {
                        self.config_write(arg.as_str(), &kw.value, kw.range());
                    }
                }
                match call.arguments.args.first() {
                    Some(Expr::Dict(d)) => {
                        for item in &d.items {
                            if let Some(key) = item.key.as_ref().and_then(flask::string_literal) {
                                self.config_write(&key, &item.value, item.value.range());
                            }
                        }
                    }
                    // `update(dict(SECRET_KEY=...))`
                    Some(Expr::Call(inner)) if matches!(&*inner.func, Expr::Name(n) if n.id.as_str() == "dict") => {
                        for kw in &inner.arguments.keywords {
                            if let Some(arg) = &kw.arg {
                                self.config_write(arg.as_str(), &kw.value, kw.range());
                            }
                        }
                    }
                    _ => {}
                }
            }
            "setdefault" => {
                if let [key, value, ..] = &call.arguments.args[..] {
                    if let Some(key) = flask::string_literal(key) {
                        self.config_write(&key, value, call.range());
                    }
                }
            }
            _ => {}
        }
    }

    /// Config writes spelled as assignments: `app.config["K"] = v`, `app.secret_key = v`.
    fn config_assign(&mut self, target: &'a Expr, value: &'a Expr, range: TextRange) {
        match target {
            Expr::Subscript(s) => {
                if let Expr::Attribute(config) = &*s.value {
                    if config.attr.as_str() == "config" && self.is_app(&config.value) {
                        if let Some(key) = flask::string_literal(&s.slice) {
                            self.config_write(&key, value, range);
                        }
                    }
                }
            }
            Expr::Attribute(a) => {
                // The attribute first: `self.x = ...` is everywhere, app settings are not.
                let key = match a.attr.as_str() {
                    "secret_key" => "SECRET_KEY",
                    "debug" => "DEBUG",
                    _ => return,
                };
                if self.is_app(&a.value) {
                    self.config_write(key, value, range);
                }
            }
            Expr::Name(n)
                if self.config_class.last() == Some(&true) && is_config_key(n.id.as_str()) =>
            {
                self.config_write(n.id.as_str(), value, range);
            }
            _ => {}
        }
    }

    fn function_def(&mut self, f: &'a ast::StmtFunctionDef) {
        // The qualified name is built only where a fact needs it: most functions are methods
        // nothing is recorded about.
        if self.sem.at_module_level() {
            let qualified = qualify(&self.file.module, &f.name);
            self.sem.bind_qualified(f.name.as_str(), qualified);
        }
        let mut routes = Vec::new();
        let mut exempt = false;
        let mut after_request = false;
        let mut name = String::new();
        let mut hooks = Vec::new();
        for d in &f.decorator_list {
            self.visit_expr(&d.expression);
            if let Some((methods, rule)) = flask::route_decorator(&self.sem, &d.expression) {
                let extras = self.route_decorator_extras(&d.expression);
                routes.push(Route {
                    location: self.location(d.range()),
                    function: qualify(&self.file.module, &f.name),
                    methods,
                    params: rule.as_deref().map(flask::rule_params).unwrap_or_default(),
                    rule,
                    csrf_exempt: false,
                    endpoint: extras.endpoint,
                    subdomain: extras.subdomain,
                    scope: extras.scope,
                    class_view: false,
                    wrappers: Vec::new(),
                    lineage: Vec::new(),
                });
            }
            hooks.extend(self.hook_scope(&d.expression));
            self.sem.resolve_into(&d.expression, &mut name);
            exempt |= name.ends_with(".exempt") && flask::is_csrf_extension(&name);
            // `@app.after_request` also where `app` is a parameter (`def init_security(app)`)
            // and cannot be resolved.
            after_request |= name.ends_with(".after_request")
                || name.ends_with(".after_app_request")
                || matches!(&d.expression, Expr::Attribute(a)
                    if matches!(a.attr.as_str(), "after_request" | "after_app_request"));
            if name.ends_with(".before_request") || name.ends_with(".before_app_request") {
                let checks = flask::names_csrf_check(f.name.as_str());
                self.facts.csrf_protection |= checks;
                self.facts.csrf_everywhere |= checks;
            }
        }
        for r in &mut routes {
            r.csrf_exempt = exempt;
        }
        dispatch::function_def(self, f, &routes);
        let route_view = !routes.is_empty();
        self.function_access(f, route_view, hooks);
        self.facts.routes.extend(routes);
        for p in f.parameters.iter_non_variadic_params() {
            if let Some(default) = &p.default {
                self.visit_expr(default);
            }
        }
        self.sem.push_scope();
        for p in f.parameters.iter() {
            self.sem.bind_unknown(p.name().as_str());
        }
        if after_request {
            self.facts
                .after_request_hooks
                .push(qualify(&self.file.module, &f.name));
        }
        let module_level = self.functions.is_empty() && self.config_class.is_empty();
        self.functions.push(FunctionContext {
            name: f.name.as_str(),
            def: Some(f),
            route_view,
            csrf_off: std::mem::take(&mut self.exempt_pending),
            body_reads_before: self.facts.body_reads.len(),
            ..FunctionContext::default()
        });
        let outer_if = std::mem::take(&mut self.if_tests);
        self.config_class.push(false);
        for stmt in &f.body {
            self.visit_stmt(stmt);
        }
        self.config_class.pop();
        self.if_tests = outer_if;
        let mut ctx = self.functions.pop().unwrap_or_default();
        self.function_credentials(f, &mut ctx, module_level);
        self.note_body_limit(f, ctx.body_reads_before);
        if ctx.view != ViewFacts::default() {
            let name = match self.classes.last() {
                Some((class, depth)) if *depth == self.functions.len() => {
                    format!("{}.{}.{}", self.file.module, class.name, f.name)
                }
                _ => qualify(&self.file.module, &f.name),
            };
            self.facts.views.push((name, ctx.view));
        }
        self.sem.pop_scope();
    }

    /// Whether `f` checks the declared body length (see [`body_limit`]), and what its own body
    /// reads, those from `before` on that no nested function claimed, call.
    fn note_body_limit(&mut self, f: &ast::StmtFunctionDef, before: usize) {
        let checked = body_limit::checks_declared_length(self.file.slice(f.range), f);
        if checked {
            self.facts.length_checkers.push(f.name.to_string());
        }
        let own = self.facts.body_reads[before..]
            .iter_mut()
            .filter(|r| !r.checked && r.calls.is_empty());
        let mut calls: Option<Vec<String>> = None;
        for read in own {
            read.checked = checked;
            read.calls = calls
                .get_or_insert_with(|| super::calls::called_names(&f.body))
                .clone();
        }
    }

    fn class_def(&mut self, c: &'a ast::StmtClassDef) {
        for d in &c.decorator_list {
            self.visit_expr(&d.expression);
        }
        let mut base_is_config = false;
        if let Some(args) = &c.arguments {
            for b in args.args.iter() {
                self.visit_expr(b);
                let q = self.sem.resolve(b).unwrap_or_default();
                if q == "flask_wtf.FlaskForm" {
                    self.facts.csrf_protection = true;
                }
                base_is_config |= looks_like_config_class(b_name(b));
            }
        }
        // WTForms' own CSRF: `class Meta: csrf = True` inside a form class.
        if c.name.as_str() == "Meta" && declares_csrf_on(&c.body) {
            self.facts.csrf_protection = true;
        }
        let qualified = qualify(&self.file.module, &c.name);
        if self.sem.at_module_level() {
            self.sem.bind_qualified(c.name.as_str(), qualified.clone());
        }
        let is_config = self.project.is_config_object(&qualified)
            || ((looks_like_config_class(c.name.as_str()) || base_is_config)
                && (self.file.text.contains("flask")
                    || self.project.module_holds_config(&self.file.module)));
        dispatch::class_def(self, c);
        self.class_view(c);
        self.owned_model(c);
        // A test configuration's settings serve the test client, not a deployment.
        let test_config = self.project.is_test_config(&qualified);
        let is_config = is_config && !test_config;
        self.config_class.push(is_config);
        let outer_test_config = std::mem::replace(&mut self.test_config_class, test_config);
        let outer_development = std::mem::replace(
            &mut self.development_class,
            is_config && self.project.is_development_alternative(&qualified),
        );
        let outer_confined = std::mem::replace(
            &mut self.debug_confined_class,
            is_config && self.project.is_debug_confined(&qualified),
        );
        // Class-body names live in their own scope and must not shadow module names.
        self.sem.push_scope();
        self.classes.push((c, self.functions.len()));
        for stmt in &c.body {
            self.visit_stmt(stmt);
        }
        self.classes.pop();
        self.sem.pop_scope();
        self.development_class = outer_development;
        self.test_config_class = outer_test_config;
        self.debug_confined_class = outer_confined;
        self.config_class.pop();
    }

    /// Flask facts a call establishes; `callee` is its resolved name (empty if unknown).
    fn note_call(&mut self, call: &'a ast::ExprCall, callee: &str) {
        // `PgApp(__name__)`, `StrictCSRF()`: a project subclass makes what its library class makes.
        let callee = self.project.library_class_of(callee).unwrap_or(callee);
        match callee {
            FLASK => self.facts.apps.push(self.location(call.range())),
            "flask.render_template" => render::record(self, call),
            "flask_wtf.CSRFProtect" | "flask_seasurf.SeaSurf" => {
                self.facts.csrf_protection = true;
                self.facts.csrf_everywhere = true;
            }
            "flask_talisman.Talisman" => self.facts.talisman = true,
            // CherryPy's server answers 413 past `server.max_request_body_size`, 100 MB unless
            // configured otherwise.
            "cherrypy.tree.graft" => self.facts.other_body_limit = true,
            // OpenStack's body limit: oslo.middleware's size limiter wrapped around the app.
            "oslo_middleware.RequestBodySizeLimiter"
            | "oslo_middleware.sizelimit.RequestBodySizeLimiter" => {
                self.facts.other_body_limit = true
            }
            "werkzeug.middleware.proxy_fix.ProxyFix" | "werkzeug.contrib.fixers.ProxyFix" => {
                self.facts.behind_proxy = true
            }
            _ => {}
        }
        render::note_template_folder(self, call, callee);
        render::note_computed_template_name(self, call, callee);
        self.facts.other_body_limit |= body_limit::loads_size_limiter(call);
        self.facts.other_body_limit |= call.arguments.keywords.iter().any(|k| {
            k.arg
                .as_ref()
                .is_some_and(|a| flask::names_body_limit(a.as_str()))
                && !k.value.is_none_literal_expr()
        });
        if callee.ends_with(".init_app") {
            let owner = callee.trim_end_matches(".init_app");
            if flask::is_csrf_extension(owner) {
                self.facts.csrf_protection = true;
                self.facts.csrf_everywhere = true;
            }
            if owner == "flask_talisman.Talisman" {
                self.facts.talisman = true;
            }
        }
        if callee.ends_with("validate_on_submit") {
            if let Some(f) = self.functions.last_mut() {
                f.view.validates_form = true;
            }
        }
        if matches!(
            callee,
            "flask.render_template" | "flask.render_template_string"
        ) {
            if let Some(f) = self.functions.last_mut() {
                f.view.renders_html = true;
            }
        }
        if let Expr::Attribute(a) = &*call.func {
            if a.attr.as_str() == "set_cookie" {
                // A preference cookie (`preferred_lang`) signs nobody in.
                let name = call
                    .arguments
                    .args
                    .first()
                    .or_else(|| call.arguments.find_keyword("key").map(|k| &k.value))
                    .and_then(flask::string_literal);
                self.facts.ambient_credentials |=
                    name.is_none_or(|n| credentials::names_credential(&n));
            }
            if matches!(a.attr.as_str(), "before_request" | "before_app_request") {
                if let Some(hook) = call.arguments.args.first() {
                    let name = self.sem.resolve(hook).unwrap_or_default();
                    let checks = flask::names_csrf_check(&name);
                    self.facts.csrf_protection |= checks;
                    self.facts.csrf_everywhere |= checks;
                }
            }
            if matches!(a.attr.as_str(), "after_request" | "after_app_request") {
                if let Some(Expr::Name(hook)) = call.arguments.args.first() {
                    let name = qualify(&self.file.module, &hook.id);
                    self.facts.after_request_hooks.push(name);
                }
            }
            if a.attr.as_str() == "add_url_rule" {
                if self.is_app(&a.value) {
                    let routes = self.url_rule_routes(call, &a.value);
                    self.facts.routes.extend(routes);
                } else if self.sem.is(&a.value, "flask.Blueprint") {
                    let routes = self.url_rule_routes(call, &a.value);
                    self.facts.access.extra_routes.extend(routes);
                }
            }
            match a.attr.as_str() {
                "register_blueprint" => self.register_blueprint(call, &a.value),
                "add_resource" => self.add_resource(call, callee),
                _ => {}
            }
            self.hook_call(call, a);
        }
        self.config_call(call);
    }

    /// Login extensions keep the user signed in with a cookie the browser sends on its own.
    fn note_auth_import(&mut self, stmt: &Stmt) {
        const COOKIE_AUTH: [&str; 4] = [
            "flask_login",
            "flask_security",
            "flask_httpauth",
            "flask_praetorian",
        ];
        let names_one = |module: &str| {
            let package = module.split('.').next().unwrap_or(module);
            COOKIE_AUTH.contains(&package)
        };
        let hit = match stmt {
            Stmt::Import(i) => i.names.iter().any(|a| names_one(a.name.as_str())),
            Stmt::ImportFrom(i) => i.module.as_ref().is_some_and(|m| names_one(m.as_str())),
            _ => false,
        };
        // An `HTTPBasicAuth()` no view is put behind (no `login_required`, no password
        // callback) asks nobody for anything.
        let unused_httpauth = || {
            let module = match stmt {
                Stmt::Import(i) => i.names.first().map(|a| a.name.as_str()),
                Stmt::ImportFrom(i) => i.module.as_ref().map(|m| m.as_str()),
                _ => None,
            };
            module.is_some_and(|m| m.starts_with("flask_httpauth"))
                && !super::words::mentions_any(
                    &self.file.text,
                    &[
                        "login_required",
                        "verify_password",
                        "get_password",
                        "verify_token",
                    ],
                )
        };
        self.facts.ambient_credentials |= hit && !unused_httpauth();
    }

    /// Whether `expr` is `request.headers` or `request.cookies`. Judged by the attribute name
    /// first: this runs on every subscript and membership test.
    /// `session` as Flask's session object.
    fn names_session(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Name(n) if n.id.as_str() == "session")
            && self.sem.may_name_flask()
            && self.sem.is(expr, "flask.session")
    }

    /// The text of a key: a literal, or a module constant holding one (`session[CXGUID]`).
    fn key_text(&self, key: &Expr) -> Option<String> {
        if let Some(text) = super::flask::string_literal(key) {
            return Some(text);
        }
        let Expr::Name(n) = key else { return None };
        match super::locals::module_values(self, n.id.as_str())?.as_slice() {
            [value] => super::flask::string_literal(value),
            _ => None,
        }
    }

    fn names_headers_or_cookies(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Attribute(a) if matches!(a.attr.as_str(), "headers" | "cookies"))
            && self.sem.may_name_flask()
            && self.sem.root_may_be(expr, "flask")
            && self.sem.resolve(expr).is_some_and(|q| {
                matches!(
                    q.as_str(),
                    "flask.request.headers" | "flask.request.cookies"
                )
            })
    }

    fn note_request_read(&mut self, expr: &Expr) {
        // Most attribute chains (`self.x.y`) have nothing to do with Flask: rule them out by
        // their root name before building the qualified name. (authlib's Flask integration
        // holds the bearer token a view was admitted with.)
        if !self.sem.may_name_flask()
            || !(self.sem.root_may_be(expr, "flask") || self.sem.root_may_be(expr, "authlib"))
        {
            return;
        }
        let Some(q) = self.sem.resolve(expr) else {
            return;
        };
        self.note_credential_read(&q, expr);
        let Some(attr) = q.strip_prefix("flask.request.") else {
            return;
        };
        let attr = attr.split('.').next().unwrap_or(attr);
        if matches!(attr, "form" | "values" | "files") {
            if let Some(f) = self.functions.last_mut() {
                f.view.reads_form = true;
            }
        }
        if matches!(
            attr,
            "files" | "data" | "get_data" | "stream" | "get_json" | "json"
        ) {
            let location = self.location(expr.range());
            self.facts.body_reads.push(super::flask::BodyRead {
                location,
                checked: false,
                calls: Vec::new(),
            });
        }
    }

    fn track_request_names(&mut self, targets: &[Expr], value: &Expr) {
        let derived = self.is_request_derived(value);
        let origin = match value {
            Expr::Name(n) => self.request_origin(n.id.as_str()).unwrap_or(value.range()),
            _ => value.range(),
        };
        let sanitized = render::is_sanitizer_call(self, value);
        let Some(f) = self.functions.last_mut() else {
            return;
        };
        for t in targets {
            if let Expr::Name(n) = t {
                if derived {
                    f.request_origins.insert(n.id.to_string(), origin);
                } else if !f.request_origins.is_empty() {
                    f.request_origins.remove(n.id.as_str());
                }
                if sanitized {
                    f.sanitized_names.insert(n.id.to_string());
                } else if !f.sanitized_names.is_empty() {
                    f.sanitized_names.remove(n.id.as_str());
                }
            }
        }
    }

    fn header_literal(&mut self, expr: &Expr) {
        let Some(f) = self.functions.last_mut() else {
            return;
        };
        if is_security_header(expr) {
            f.view.sets_security_headers = true;
        }
    }

    /// `response.headers["X-Frame-Options"] = ...` in a function (not a view) given the
    /// response as a parameter: a helper that secures the responses handed to it, typically by an
    /// `after_request` hook (a view's own headers decorate only its one response).
    fn header_helper(&mut self, s: &ast::ExprSubscript) {
        let Some(f) = self.functions.last() else {
            return;
        };
        let Expr::Attribute(headers) = &*s.value else {
            return;
        };
        let Expr::Name(owner) = &*headers.value else {
            return;
        };
        let is_param = f.def.is_some_and(|d| {
            d.parameters
                .iter_non_variadic_params()
                .any(|p| p.parameter.name.as_str() == owner.id.as_str())
        });
        if !f.route_view
            && is_param
            && headers.attr.as_str() == "headers"
            && is_security_header(&s.slice)
        {
            self.facts.security_header_table = true;
        }
    }

    /// `{"max_body_size": limit}`: server options gathered in a dict before being passed on
    /// (`HTTPServer(app, **options)`).
    fn body_limit_option(&mut self, dict: &ast::ExprDict) {
        self.facts.other_body_limit |= dict.items.iter().any(|item| {
            matches!(&item.key, Some(Expr::StringLiteral(k)) if flask::names_body_limit(k.value.to_str()))
                && !item.value.is_none_literal_expr()
        });
    }

    /// `{"X-Frame-Options": "sameorigin", ...}` outside a view: a table of headers meant for
    /// every response, which the project hands to middleware or to the server hosting the app
    /// (a view's own dict only decorates that one response).
    fn header_table(&mut self, dict: &ast::ExprDict) {
        if self.facts.security_header_table || self.functions.last().is_some_and(|f| f.route_view) {
            return;
        }
        self.facts.security_header_table = dict.items.iter().any(|item| {
            item.key.as_ref().is_some_and(is_security_header) && !item.value.is_none_literal_expr()
        });
    }
}

impl<'a> Visitor<'a> for Checker<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.depth > super::MAX_DEPTH {
            self.too_deep = true;
            return;
        }
        self.depth += 1;
        let outer_start = self.statement_start;
        self.statement_start = stmt.start();
        dispatch::stmt(self, stmt);
        match stmt {
            Stmt::FunctionDef(f) => self.function_def(f),
            Stmt::ClassDef(c) => self.class_def(c),
            Stmt::Import(_) | Stmt::ImportFrom(_) => {
                project::bind_statement(&mut self.sem, stmt);
                self.note_auth_import(stmt);
                self.note_identities(stmt);
            }
            Stmt::Assign(a) => {
                self.targets = &a.targets;
                self.assigned = Some(&a.value);
                self.visit_expr(&a.value);
                for t in &a.targets {
                    self.visit_expr(t);
                    self.config_assign(t, &a.value, stmt.range());
                }
                self.track_request_names(&a.targets, &a.value);
                self.note_blueprint(&a.targets, &a.value);
                self.note_constant(&a.targets, &a.value);
                self.note_api(&a.targets, &a.value);
                self.targets = &[];
                self.assigned = None;
                project::bind_statement(&mut self.sem, stmt);
            }
            Stmt::AnnAssign(a) => {
                self.targets = std::slice::from_ref(&*a.target);
                if let Some(v) = &a.value {
                    self.visit_expr(v);
                    self.config_assign(&a.target, v, stmt.range());
                    self.track_request_names(std::slice::from_ref(&*a.target), v);
                }
                self.targets = &[];
                project::bind_statement(&mut self.sem, stmt);
            }
            Stmt::If(i) => {
                let outer = self.testing_if.replace(i);
                self.visit_expr(&i.test);
                self.testing_if = outer;
                self.if_tests.push(&i.test);
                self.visit_body(&i.body);
                self.if_tests.pop();
                for clause in &i.elif_else_clauses {
                    if let Some(test) = &clause.test {
                        self.visit_expr(test);
                    }
                    self.visit_body(&clause.body);
                }
            }
            Stmt::Assert(_) => {
                let outer = std::mem::replace(&mut self.asserting, true);
                visitor::walk_stmt(self, stmt);
                self.asserting = outer;
            }
            Stmt::Return(r) => {
                if let Some(v) = &r.value {
                    if returns_html(v) {
                        if let Some(f) = self.functions.last_mut() {
                            f.view.renders_html = true;
                        }
                    }
                }
                let outer = std::mem::replace(&mut self.returned, r.value.as_deref());
                visitor::walk_stmt(self, stmt);
                self.returned = outer;
            }
            _ => visitor::walk_stmt(self, stmt),
        }
        self.statement_start = outer_start;
        self.depth -= 1;
    }

    fn visit_comprehension(&mut self, comprehension: &'a ast::Comprehension) {
        self.visit_expr(&comprehension.iter);
        self.visit_expr(&comprehension.target);
        self.filters += 1;
        for condition in &comprehension.ifs {
            self.visit_expr(condition);
        }
        self.filters -= 1;
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.depth > super::MAX_DEPTH {
            self.too_deep = true;
            return;
        }
        self.depth += 1;
        let inner_link = std::mem::take(&mut self.chain_link);
        match expr {
            Expr::Call(call) => {
                // The buffer leaves `self` while rules (which borrow `self` mutably) read it.
                let mut callee = std::mem::take(&mut self.callee_buf);
                self.sem.resolve_into(&call.func, &mut callee);
                if credentials::is_keyed_read(&callee) {
                    self.read_key = call.arguments.args.first().and_then(|k| self.key_text(k));
                }
                self.note_call(call, &callee);
                dispatch::call(self, call, &callee);
                self.callee_buf = callee;
            }
            // `request.form.get` reads the same thing as its inner `request.form`: judge the
            // whole chain once, at its outermost link.
            Expr::Attribute(_) if !inner_link => self.note_request_read(expr),
            Expr::Name(n) if !inner_link && matches!(n.id.as_str(), "session" | "current_user") => {
                self.note_request_read(expr)
            }
            Expr::Compare(cmp) => {
                // `"User-Agent" in request.headers`.
                if matches!(cmp.ops.as_ref(), [ast::CmpOp::In | ast::CmpOp::NotIn])
                    && (self.names_headers_or_cookies(&cmp.comparators[0])
                        || self.names_session(&cmp.comparators[0]))
                {
                    self.read_key = self.key_text(&cmp.left);
                }
                dispatch::compare(self, cmp)
            }
            Expr::StringLiteral(s) => {
                self.header_literal(expr);
                render::note_template_literal(self, s.value.to_str());
            }
            Expr::FString(f) => render::note_template_fstring(self, f),
            Expr::Subscript(s) => {
                if self.names_headers_or_cookies(&s.value) || self.names_session(&s.value) {
                    self.read_key = self.key_text(&s.slice);
                }
                self.header_helper(s)
            }
            Expr::Dict(d) => {
                self.header_table(d);
                self.body_limit_option(d);
            }
            _ => {}
        }
        self.chain_link = matches!(expr, Expr::Attribute(a)
            if a.value.is_attribute_expr() || a.value.is_name_expr());
        let lambda = u32::from(expr.is_lambda_expr());
        self.lambdas += lambda;
        visitor::walk_expr(self, expr);
        self.lambdas -= lambda;
        self.chain_link = false;
        self.depth -= 1;
    }
}

impl<'a> Checker<'a> {
    fn visit_body(&mut self, body: &'a [Stmt]) {
        for s in body {
            self.visit_stmt(s);
        }
    }
}
