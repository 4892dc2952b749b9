//! Name resolution: every name and attribute chain resolves to a qualified name through imports,
//! aliases and known constructors (`from flask import request as r; r.args` → `flask.request.args`).

use rustc_hash::FxHashMap as HashMap;

use ruff_python_ast::{self as ast, Expr};

/// Qualified names that are spelled several ways; the first is folded into the second.
const CANONICAL: &[(&str, &str)] = &[
    ("flask.app.Flask", "flask.Flask"),
    ("flask.current_app", "flask.Flask"),
    ("flask.globals.current_app", "flask.Flask"),
    ("flask.globals.request", "flask.request"),
    ("flask.globals.session", "flask.session"),
    ("flask.blueprints.Blueprint", "flask.Blueprint"),
    ("flask.helpers.send_file", "flask.send_file"),
    ("flask.helpers.redirect", "flask.redirect"),
    ("flask.helpers.make_response", "flask.make_response"),
    ("flask.helpers.url_for", "flask.url_for"),
    (
        "flask.templating.render_template_string",
        "flask.render_template_string",
    ),
    ("flask.templating.render_template", "flask.render_template"),
    ("flask.Markup", "markupsafe.Markup"),
    ("jinja2.Markup", "markupsafe.Markup"),
    ("flask.escape", "markupsafe.escape"),
    ("jinja2.escape", "markupsafe.escape"),
    ("werkzeug.redirect", "flask.redirect"),
    ("werkzeug.utils.redirect", "flask.redirect"),
    ("werkzeug.utils.send_file", "flask.send_file"),
    ("werkzeug.exceptions.abort", "flask.abort"),
    (
        "werkzeug.debug.DebuggedApplication",
        "werkzeug.debug.DebuggedApplication",
    ),
    ("flask_wtf.csrf.CSRFProtect", "flask_wtf.CSRFProtect"),
    ("flask_wtf.CsrfProtect", "flask_wtf.CSRFProtect"),
    ("flask_wtf.form.FlaskForm", "flask_wtf.FlaskForm"),
    ("flask_wtf.Form", "flask_wtf.FlaskForm"),
    ("flask_seasurf.SeaSurf", "flask_seasurf.SeaSurf"),
    (
        "flask_talisman.talisman.Talisman",
        "flask_talisman.Talisman",
    ),
    ("flask_cors.extension.CORS", "flask_cors.CORS"),
    (
        "flask_cors.decorator.cross_origin",
        "flask_cors.cross_origin",
    ),
    (
        "flask_login.login_manager.LoginManager",
        "flask_login.LoginManager",
    ),
    (
        "werkzeug.security.generate_password_hash",
        "werkzeug.security.generate_password_hash",
    ),
    ("flask.wrappers.Response", "flask.Response"),
    ("werkzeug.wrappers.Response", "flask.Response"),
    ("werkzeug.Response", "flask.Response"),
    ("Crypto.Hash.MD5.new", "hashlib.md5"),
    ("Cryptodome.Hash.MD5.new", "hashlib.md5"),
    ("Crypto.Hash.SHA.new", "hashlib.sha1"),
    ("Crypto.Hash.SHA1.new", "hashlib.sha1"),
    ("Cryptodome.Hash.SHA1.new", "hashlib.sha1"),
];

/// Folds alternative spellings of a qualified name into the one rules match.
pub fn canonical(name: &str) -> String {
    canonical_owned(name.to_string())
}

/// [`canonical`] on an owned name, without copying it when nothing changes (the hot path).
fn canonical_owned(name: String) -> String {
    // Every spelling to fold starts with one of these packages; most names start with none.
    const ROOTS: &[&str] = &["flask", "jinja2", "werkzeug", "Crypto"];
    if !ROOTS.iter().any(|r| name.starts_with(r)) {
        return name;
    }
    for (from, to) in CANONICAL {
        if name == *from {
            return (*to).to_string();
        }
        if let Some(rest) = name.strip_prefix(from).filter(|r| r.starts_with('.')) {
            return format!("{to}{rest}");
        }
    }
    name
}

/// Builtins rules care about; unbound uses resolve to `builtins.<name>`.
const BUILTINS: &[&str] = &[
    "eval",
    "exec",
    "compile",
    "open",
    "input",
    "__import__",
    "getattr",
    "str",
    "repr",
    "int",
    "float",
    "bool",
    "format",
];

/// What a local name refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Binding {
    /// An import, alias or instance: the qualified name it stands for.
    Qualified(String),
    /// A local value we know nothing about (shadows outer bindings).
    Unknown,
}

/// Project-wide facts name resolution needs from other modules.
pub trait ProjectLookup: Sync {
    /// The qualified type a project function returns when called, e.g. an app factory → `flask.Flask`.
    fn return_type(&self, function: &str) -> Option<&str>;
    /// The qualified type of a module-level variable of the project, e.g. `myapp.app` → `flask.Flask`.
    fn variable_type(&self, variable: &str) -> Option<&str>;
}

/// Scoped bindings of one file, updated as the walk goes.
#[derive(Clone)]
pub struct Semantic<'p> {
    scopes: Vec<HashMap<String, Binding>>,
    module: String,
    is_package: bool,
    project: &'p dyn ProjectLookup,
}

impl<'p> Semantic<'p> {
    /// An empty model for `module` (`is_package` for `__init__.py`, which changes relative imports).
    pub fn new(module: &str, is_package: bool, project: &'p dyn ProjectLookup) -> Self {
        Self {
            scopes: vec![HashMap::default()],
            module: module.to_string(),
            is_package,
            project,
        }
    }

    /// Enters a function scope.
    pub fn push_scope(&mut self) {
        self.scopes.push(HashMap::default());
    }

    /// Leaves a function scope.
    pub fn pop_scope(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }

    /// Whether the walk is at module level.
    pub fn at_module_level(&self) -> bool {
        self.scopes.len() == 1
    }

    fn bind(&mut self, name: &str, binding: Binding) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_string(), binding);
        }
    }

    /// Binds `name` to a value we cannot resolve (parameters, unknown assignments).
    pub fn bind_unknown(&mut self, name: &str) {
        self.bind(name, Binding::Unknown);
    }

    /// Binds `name` to the qualified name `qualified`.
    pub fn bind_qualified(&mut self, name: &str, qualified: String) {
        self.bind(name, Binding::Qualified(qualified));
    }

    /// Records the bindings an `import` statement creates.
    pub fn import(&mut self, stmt: &ast::StmtImport) {
        for alias in &stmt.names {
            let full = alias.name.as_str();
            match &alias.asname {
                Some(asname) => self.bind_qualified(asname.as_str(), canonical(full)),
                None => {
                    let first = full.split('.').next().unwrap_or(full);
                    self.bind_qualified(first, first.to_string());
                }
            }
        }
    }

    /// Records the bindings a `from ... import` statement creates.
    pub fn import_from(&mut self, stmt: &ast::StmtImportFrom) {
        let Some(base) = self.absolute_module(stmt.module.as_ref().map(|m| m.as_str()), stmt.level)
        else {
            return;
        };
        for alias in &stmt.names {
            let name = alias.name.as_str();
            if name == "*" {
                continue;
            }
            let local = alias.asname.as_ref().map_or(name, |a| a.as_str());
            let qualified = if base.is_empty() {
                name.to_string()
            } else {
                format!("{base}.{name}")
            };
            self.bind_qualified(local, canonical(&qualified));
        }
    }

    /// Turns a possibly relative `from` module into an absolute dotted name.
    pub fn absolute_module(&self, module: Option<&str>, level: u32) -> Option<String> {
        if level == 0 {
            return module.map(str::to_string);
        }
        let mut parts: Vec<&str> = self.module.split('.').filter(|p| !p.is_empty()).collect();
        // In `pkg/mod.py`, `.` is `pkg`; in `pkg/__init__.py` it is `pkg` itself.
        let drop = if self.is_package { level - 1 } else { level };
        for _ in 0..drop {
            parts.pop()?;
        }
        if let Some(m) = module {
            parts.push(m);
        }
        Some(parts.join("."))
    }

    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    /// The qualified name `expr` stands for, or `None` when it is not a name we can follow.
    ///
    /// A call resolves to what it returns: a known project factory's return type, otherwise the
    /// callee itself (a constructor call `Flask(...)` stands for a `flask.Flask` instance).
    pub fn resolve(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(n) => match self.lookup(n.id.as_str()) {
                Some(Binding::Qualified(q)) => {
                    Some(self.project_type(q).unwrap_or_else(|| q.clone()))
                }
                Some(Binding::Unknown) => None,
                None => BUILTINS
                    .contains(&n.id.as_str())
                    .then(|| format!("builtins.{}", n.id)),
            },
            Expr::Attribute(_) => {
                // Resolve the root once and append the chain: `a.b.c` costs one lookup.
                let mut attrs = Vec::new();
                let mut root = expr;
                while let Expr::Attribute(a) = root {
                    attrs.push(a.attr.as_str());
                    root = &a.value;
                }
                let mut name = self.resolve(root)?;
                for attr in attrs.iter().rev() {
                    name.push('.');
                    name.push_str(attr);
                }
                Some(canonical_owned(name))
            }
            Expr::Call(c) => {
                let callee = self.resolve(&c.func)?;
                Some(
                    self.project
                        .return_type(&callee)
                        .map_or(callee, str::to_string),
                )
            }
            _ => None,
        }
    }

    fn project_type(&self, qualified: &str) -> Option<String> {
        self.project.variable_type(qualified).map(str::to_string)
    }

    /// Cheap pre-check: whether the root name of an attribute chain or call may resolve into
    /// `package` (unbound names and unknown values cannot).
    pub fn root_may_be(&self, expr: &Expr, package: &str) -> bool {
        let mut root = expr;
        loop {
            match root {
                Expr::Attribute(a) => root = &a.value,
                Expr::Call(c) => root = &c.func,
                Expr::Subscript(s) => root = &s.value,
                _ => break,
            }
        }
        match root {
            Expr::Name(n) => match self.lookup(n.id.as_str()) {
                Some(Binding::Qualified(q)) => {
                    q.starts_with(package) || self.project.variable_type(q).is_some()
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Whether `expr` resolves to exactly `qualified`.
    pub fn is(&self, expr: &Expr, qualified: &str) -> bool {
        self.resolve(expr).as_deref() == Some(qualified)
    }

    /// The module this model belongs to.
    pub fn module(&self) -> &str {
        &self.module
    }
}

/// A [`ProjectLookup`] that knows nothing: for tests and single files.
pub struct NoProject;

impl ProjectLookup for NoProject {
    fn return_type(&self, _: &str) -> Option<&str> {
        None
    }
    fn variable_type(&self, _: &str) -> Option<&str> {
        None
    }
}
