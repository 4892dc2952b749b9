//! Name resolution: every name and attribute chain resolves to a qualified name through imports,
//! aliases and known constructors (`from flask import request as r; r.args` → `flask.request.args`).

use rustc_hash::FxHashMap as HashMap;

use ruff_python_ast::{self as ast, Expr};

/// Qualified names that are spelled several ways; the first is folded into the second.
const CANONICAL: &[(&str, &str)] = &[
    ("flask.app.Flask", "flask.Flask"),
    // Frameworks built on Flask whose app object is a Flask app.
    ("apiflask.APIFlask", "flask.Flask"),
    ("apiflask.app.APIFlask", "flask.Flask"),
    ("connexion.FlaskApp.app", "flask.Flask"),
    ("connexion.App.app", "flask.Flask"),
    ("connexion.apps.flask.FlaskApp.app", "flask.Flask"),
    ("flask.current_app", "flask.Flask"),
    ("flask.globals.current_app", "flask.Flask"),
    ("flask.globals.request", "flask.request"),
    ("flask.globals.session", "flask.session"),
    ("flask.blueprints.Blueprint", "flask.Blueprint"),
    // flask-smorest's Blueprint subclasses Flask's (adding `arguments`/`response`).
    ("flask_smorest.Blueprint", "flask.Blueprint"),
    ("flask_smorest.blueprint.Blueprint", "flask.Blueprint"),
    ("flask.helpers.send_file", "flask.send_file"),
    (
        "flask.helpers.send_from_directory",
        "flask.send_from_directory",
    ),
    (
        "werkzeug.utils.send_from_directory",
        "flask.send_from_directory",
    ),
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

/// `module.name`, built without the formatting machinery (this runs for every definition).
pub fn qualify(module: &str, name: &str) -> String {
    let mut q = String::with_capacity(module.len() + 1 + name.len());
    q.push_str(module);
    q.push('.');
    q.push_str(name);
    q
}

/// Folds alternative spellings of a qualified name into the one rules match.
pub fn canonical(name: &str) -> String {
    let mut name = name.to_string();
    canonicalize_from(&mut name, 0);
    name
}

/// Every spelling [`CANONICAL`] folds starts with one of these; most names start with none.
const CANONICAL_ROOTS: &[&str] = &[
    "flask",
    "jinja2",
    "werkzeug",
    "Crypto",
    "apiflask",
    "connexion",
];

/// Folds the qualified name that starts at byte `start` of `buf` in place.
fn canonicalize_from(buf: &mut String, start: usize) {
    let name = &buf[start..];
    if !CANONICAL_ROOTS.iter().any(|r| name.starts_with(r)) {
        return;
    }
    for (from, to) in CANONICAL {
        let rest = match name.strip_prefix(from) {
            Some("") => 0,
            Some(r) if r.starts_with('.') => r.len(),
            _ => continue,
        };
        let end = buf.len() - rest;
        buf.replace_range(start..end, to);
        return;
    }
}

/// `flask` of `flask.request.args`.
fn first_segment(qualified: &str) -> &str {
    qualified.split('.').next().unwrap_or_default()
}

/// Builtins rules care about; unbound uses resolve to `builtins.<name>`.
fn is_builtin(name: &str) -> bool {
    matches!(
        name,
        "eval"
            | "exec"
            | "compile"
            | "open"
            | "input"
            | "__import__"
            | "getattr"
            | "str"
            | "repr"
            | "int"
            | "float"
            | "bool"
            | "format"
    )
}

/// The visible bindings of one name: the innermost inline, the ones it shadows aside (rare, so
/// that vector seldom allocates).
#[derive(Clone, Default)]
struct Slot {
    /// The innermost binding, with the depth of its scope.
    top: Option<(u32, Binding)>,
    shadowed: Vec<(u32, Binding)>,
}

impl Slot {
    fn pop(&mut self) {
        self.top = self.shadowed.pop();
    }
}

/// What a local name refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Binding {
    /// An import, alias or instance: the qualified name it stands for. A project variable is
    /// replaced by its type when bound (`from app import app` → `flask.Flask`), so resolving a
    /// name never asks the project again; `project` says that happened.
    Qualified { name: String, project: bool },
    /// A local value we know nothing about (shadows outer bindings).
    Unknown,
}

/// Project-wide facts name resolution needs from other modules.
pub trait ProjectLookup: Sync {
    /// The qualified type a project function returns when called, e.g. an app factory → `flask.Flask`.
    fn return_type(&self, function: &str) -> Option<&str>;
    /// The qualified type of a module-level variable of the project, e.g. `myapp.app` → `flask.Flask`.
    fn variable_type(&self, variable: &str) -> Option<&str>;
    /// The names `from module import *` binds, for a project module (empty otherwise).
    fn star_exports(&self, _module: &str) -> &[String] {
        &[]
    }
}

/// Scoped bindings of one file, updated as the walk goes.
#[derive(Clone)]
///
/// One map serves every scope (each name keeps a stack of its bindings, innermost last), so a
/// lookup is one hash however deep the walk is, and a name bound again in the next function
/// reuses its entry.
pub struct Semantic<'p> {
    /// Name → its slot in `bindings`.
    names: HashMap<String, u32>,
    /// Per slot: the visible bindings of that name.
    bindings: Vec<Slot>,
    /// Per open scope: the slots it bound, to unbind when it closes.
    scopes: Vec<Vec<u32>>,
    /// Emptied scope lists kept for reuse.
    spare: Vec<Vec<u32>>,
    /// Whether any name was ever bound under a package that resolves into `flask` (or that
    /// [`canonical`] folds into it): without one, nothing in the file can name Flask.
    flask_bound: bool,
    module: String,
    is_package: bool,
    project: &'p dyn ProjectLookup,
    /// The model names fall back to when this one has no visible binding: a function's model
    /// layered on its module's, so each function does not copy every module-level name.
    parent: Option<&'p Semantic<'p>>,
}

impl<'p> Semantic<'p> {
    /// An empty model for `module` (`is_package` for `__init__.py`, which changes relative imports).
    pub fn new(module: &str, is_package: bool, project: &'p dyn ProjectLookup) -> Self {
        Self {
            names: HashMap::default(),
            bindings: Vec::new(),
            scopes: vec![Vec::new()],
            spare: Vec::new(),
            flask_bound: false,
            module: module.to_string(),
            is_package,
            project,
            parent: None,
        }
    }

    /// An empty model layered on `parent`: lookups it cannot answer go to `parent`, bindings
    /// stay in the child. Costs nothing per name of the parent.
    pub fn child(parent: &'p Semantic<'p>) -> Self {
        Self {
            flask_bound: parent.flask_bound,
            parent: Some(parent),
            ..Self::new(&parent.module, parent.is_package, parent.project)
        }
    }

    /// Enters a function scope.
    pub fn push_scope(&mut self) {
        let scope = self.spare.pop().unwrap_or_default();
        self.scopes.push(scope);
    }

    /// Leaves a function scope.
    pub fn pop_scope(&mut self) {
        if self.scopes.len() > 1 {
            if let Some(mut scope) = self.scopes.pop() {
                for &slot in &scope {
                    self.bindings[slot as usize].pop();
                }
                scope.clear();
                self.spare.push(scope);
            }
        }
    }

    /// Whether the walk is at module level.
    pub fn at_module_level(&self) -> bool {
        self.scopes.len() == 1
    }

    fn bind(&mut self, name: &str, binding: Binding) {
        if let Binding::Qualified { name, .. } = &binding {
            self.flask_bound |= CANONICAL_ROOTS.iter().any(|r| name.starts_with(r));
        }
        let depth = self.scopes.len() as u32 - 1;
        let slot = match self.names.get(name) {
            Some(&slot) => slot,
            None => {
                let slot = self.bindings.len() as u32;
                self.names.insert(name.to_string(), slot);
                self.bindings.push(Slot::default());
                slot
            }
        };
        let entry = &mut self.bindings[slot as usize];
        match &mut entry.top {
            Some((d, current)) if *d == depth => *current = binding,
            top => {
                if let Some(outer) = top.replace((depth, binding)) {
                    entry.shadowed.push(outer);
                }
                if let Some(scope) = self.scopes.last_mut() {
                    scope.push(slot);
                }
            }
        }
    }

    /// Binds `name` to a value we cannot resolve (parameters, unknown assignments).
    pub fn bind_unknown(&mut self, name: &str) {
        self.bind(name, Binding::Unknown);
    }

    /// Binds `name` to the qualified name `qualified`.
    pub fn bind_qualified(&mut self, name: &str, qualified: String) {
        let binding = match self.project.variable_type(&qualified) {
            Some(ty) => Binding::Qualified {
                name: ty.to_string(),
                project: true,
            },
            None => Binding::Qualified {
                name: qualified,
                project: false,
            },
        };
        self.bind(name, binding);
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
                let project = self.project;
                for export in project.star_exports(&base) {
                    self.bind_qualified(export, qualify(&base, export));
                }
                continue;
            }
            let local = alias.asname.as_ref().map_or(name, |a| a.as_str());
            let qualified = if base.is_empty() {
                name.to_string()
            } else {
                qualify(&base, name)
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
        let own = self
            .names
            .get(name)
            .and_then(|&slot| self.bindings[slot as usize].top.as_ref());
        match own {
            Some((_, b)) => Some(b),
            None => self.parent?.lookup(name),
        }
    }

    /// The qualified name a module-level import or alias `name` is bound to, if it is one.
    pub fn imported_as(&self, name: &str) -> Option<&str> {
        match self.lookup(name)? {
            Binding::Qualified { name, .. } => Some(name),
            Binding::Unknown => None,
        }
    }

    /// The qualified name `expr` stands for, or `None` when it is not a name we can follow.
    ///
    /// A call resolves to what it returns: a known project factory's return type, otherwise the
    /// callee itself (a constructor call `Flask(...)` stands for a `flask.Flask` instance).
    pub fn resolve(&self, expr: &Expr) -> Option<String> {
        let mut name = String::new();
        self.resolve_into(expr, &mut name).then_some(name)
    }

    /// [`Self::resolve`] into `out` (cleared first), so a hot caller can reuse one buffer;
    /// returns whether `expr` resolved (`out` is then the qualified name, else empty).
    pub fn resolve_into(&self, expr: &Expr, out: &mut String) -> bool {
        out.clear();
        let resolved = self.write_resolved(expr, out);
        if !resolved {
            out.clear();
        }
        resolved
    }

    /// Appends the qualified name of `expr` to `out`.
    fn write_resolved(&self, expr: &Expr, out: &mut String) -> bool {
        match expr {
            Expr::Name(n) => match self.lookup(n.id.as_str()) {
                Some(Binding::Qualified { name, .. }) => {
                    out.push_str(name);
                    true
                }
                Some(Binding::Unknown) => false,
                None if is_builtin(n.id.as_str()) => {
                    out.push_str("builtins.");
                    out.push_str(n.id.as_str());
                    true
                }
                None => false,
            },
            Expr::Attribute(_) => {
                // Resolve the root once, then write the chain's links from the outermost
                // backwards: `a.b.c` costs one lookup and no intermediate strings.
                let mut chain = 0;
                let mut root = expr;
                while let Expr::Attribute(a) = root {
                    chain += 1 + a.attr.len();
                    root = &a.value;
                }
                let start = out.len();
                if !self.write_resolved(root, out) {
                    return false;
                }
                let mut bytes = std::mem::take(out).into_bytes();
                let mut end = bytes.len() + chain;
                bytes.resize(end, b'.');
                let mut link = expr;
                while let Expr::Attribute(a) = link {
                    let attr = a.attr.as_bytes();
                    bytes[end - attr.len()..end].copy_from_slice(attr);
                    end -= attr.len() + 1;
                    link = &a.value;
                }
                // Only ASCII dots and whole identifiers were written.
                *out = String::from_utf8(bytes).unwrap_or_default();
                canonicalize_from(out, start);
                true
            }
            Expr::Call(c) => {
                let start = out.len();
                if !self.write_resolved(&c.func, out) {
                    return false;
                }
                if let Some(ty) = self.project.return_type(&out[start..]) {
                    out.truncate(start);
                    out.push_str(ty);
                }
                true
            }
            _ => false,
        }
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
                Some(Binding::Qualified { name, project }) => *project || name.starts_with(package),
                _ => false,
            },
            _ => false,
        }
    }

    /// Whether anything bound so far may resolve to a `flask.*` name; a cheap file-level
    /// refusal for Flask-only questions.
    pub fn may_name_flask(&self) -> bool {
        self.flask_bound
    }

    /// Whether `expr` resolves to exactly `qualified`.
    pub fn is(&self, expr: &Expr, qualified: &str) -> bool {
        self.is_any(expr, &[qualified])
    }

    /// Whether `expr` resolves to one of `candidates`.
    pub fn is_any(&self, expr: &Expr, candidates: &[&str]) -> bool {
        self.may_resolve_to(expr, candidates)
            && self
                .resolve(expr)
                .is_some_and(|q| candidates.contains(&q.as_str()))
    }

    /// Cheap refusal for [`Self::is`]: an attribute chain on a name bound outside the packages
    /// [`canonical`] rewrites resolves under that binding's first segment, so a different first
    /// segment cannot match. Anything else is left to the full resolution.
    fn may_resolve_to(&self, expr: &Expr, candidates: &[&str]) -> bool {
        let mut root = expr;
        while let Expr::Attribute(a) = root {
            root = &a.value;
        }
        let Expr::Name(n) = root else {
            return true;
        };
        match self.lookup(n.id.as_str()) {
            Some(Binding::Qualified { name, .. }) => {
                CANONICAL_ROOTS.iter().any(|r| name.starts_with(r))
                    || candidates
                        .iter()
                        .any(|q| first_segment(q) == first_segment(name))
            }
            Some(Binding::Unknown) => false,
            None => true,
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::project::bind_statement;
    use crate::python::SourceFile;
    use ruff_python_ast::Stmt;

    /// The value of the last statement of `code`, an expression statement.
    fn last_expr(file: &SourceFile) -> &Expr {
        match file.body().last() {
            Some(Stmt::Expr(e)) => &e.value,
            other => panic!("expected an expression statement, got {other:?}"),
        }
    }

    #[test]
    fn chains_resolve_through_aliases_and_fold_spellings() {
        let (file, _) = SourceFile::parse(
            "app.py",
            "import flask.globals as g\nfrom os import path as p\ng.request.args.get\n".into(),
        );
        let mut sem = Semantic::new("app", false, &NoProject);
        for stmt in file.body() {
            bind_statement(&mut sem, stmt);
        }
        let expr = last_expr(&file);
        assert_eq!(sem.resolve(expr).as_deref(), Some("flask.request.args.get"));
        assert!(sem.is(expr, "flask.request.args.get"));
        assert!(!sem.is(expr, "os.path.join"));
    }

    #[test]
    fn inner_scopes_shadow_and_closing_them_restores_the_outer_binding() {
        let mut sem = Semantic::new("app", false, &NoProject);
        sem.bind_qualified("request", "flask.request".into());
        let (file, _) = SourceFile::parse("app.py", "request.form\n".into());
        let expr = last_expr(&file);
        assert!(sem.is(expr, "flask.request.form"));
        sem.push_scope();
        sem.bind_unknown("request");
        assert_eq!(sem.resolve(expr), None);
        sem.push_scope();
        sem.bind_qualified("request", "myapp.request".into());
        assert_eq!(sem.resolve(expr).as_deref(), Some("myapp.request.form"));
        assert!(!sem.is(expr, "flask.request.form"));
        sem.pop_scope();
        assert_eq!(sem.resolve(expr), None);
        sem.pop_scope();
        assert!(sem.is(expr, "flask.request.form"));
        // The module scope never closes.
        sem.pop_scope();
        assert!(sem.at_module_level());
        assert!(sem.is(expr, "flask.request.form"));
    }

    #[test]
    fn a_child_model_sees_its_parent_until_it_binds_the_name_itself() {
        let mut module = Semantic::new("app", false, &NoProject);
        module.bind_qualified("request", "flask.request".into());
        let (file, _) = SourceFile::parse("app.py", "request.form\n".into());
        let expr = last_expr(&file);
        let mut function = Semantic::child(&module);
        function.push_scope();
        assert!(function.is(expr, "flask.request.form"));
        assert!(function.may_name_flask());
        function.bind_unknown("request");
        assert_eq!(function.resolve(expr), None);
        function.pop_scope();
        assert!(function.is(expr, "flask.request.form"));
        // The parent never sees the child's bindings.
        assert!(module.is(expr, "flask.request.form"));
    }

    #[test]
    fn unbound_names_resolve_only_as_known_builtins() {
        let sem = Semantic::new("app", false, &NoProject);
        let (file, _) = SourceFile::parse("app.py", "eval\n".into());
        assert_eq!(
            sem.resolve(last_expr(&file)).as_deref(),
            Some("builtins.eval")
        );
        let (file, _) = SourceFile::parse("app.py", "undefined_thing.attr\n".into());
        assert_eq!(sem.resolve(last_expr(&file)), None);
    }
}
