//! What the analysis needs to know about the whole project before it starts: every function and
//! method by qualified name, which functions are views (and which path parameters they take),
//! module-level name bindings per file, and the memo of function results shared by all workers.

use super::word_hits::mentions;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

use super::class_views;
use super::constfold::{self, Lit};
use super::converters;
use super::engine::{self, FnResult};
use super::infer::{self, Traits};
use super::reqparse;
use super::request_globals;
use super::return_types;
use super::sources;
use super::webargs;
use crate::python::flask;
use crate::python::project::{bind_statement, ProjectIndex};
use crate::python::semantic::{qualify, Semantic};
use crate::python::view_classes;
use crate::python::SourceFile;

/// One scanned file, with its module-level bindings resolved once.
pub struct FileCtx<'a> {
    pub idx: u32,
    pub file: &'a SourceFile,
    /// Bindings after every module-level statement (what function bodies see), built on first
    /// use: most files of a large tree are never analysed.
    module_sem: OnceLock<Semantic<'a>>,
    project: &'a ProjectIndex,
    /// Module-level names assigned a literal exactly once: their truthiness.
    pub consts: HashMap<String, bool>,
    /// Module-level names assigned a string literal exactly once: their text (a base URL
    /// `API = "https://api.example.com/v1"` pins the host of what is appended to it).
    pub texts: HashMap<String, Arc<str>>,
    /// Module-level names assigned a number or boolean literal exactly once: their value.
    pub numbers: HashMap<String, f64>,
    /// Module-level names assigned a setting read exactly once (`API = os.environ["API"]`, see
    /// [`super::app_paths::reads_setting`]): a base URL the operator configures.
    pub settings: HashSet<String>,
    /// Module-level names bound to a Jinja environment created with autoescape on.
    pub escaping_envs: Vec<String>,
    /// Whether the file imports Flask (request sources can only appear there).
    pub flask: bool,
    /// It may use flask-smorest's or APIFlask's argument decorators (see [`webargs`]).
    pub parses_args: bool,
    /// The `reqparse` arguments the file declares, when it uses `reqparse` (see [`reqparse`]).
    pub reqparse: Option<Vec<(String, bool)>>,
    /// The `flask.g` attributes the file sets from request data (see [`request_globals`]).
    pub g_from_request: Vec<String>,
    /// URL converters the file registers: (name, class).
    pub converters: Vec<(String, String)>,
    /// Library families the file mentions, gating sinks matched by method name only.
    pub mongo: bool,
    pub ldap: bool,
    pub jinja: bool,
    /// The file names an SSRF-guarded HTTP client (see [`guarded_clients`](super::guarded_clients)).
    pub guarded_client: bool,
}

impl<'a> FileCtx<'a> {
    /// What the pre-pass learned about the whole project.
    pub fn project(&self) -> &'a ProjectIndex {
        self.project
    }

    /// The module-level bindings of this file.
    pub fn module_sem(&self) -> &Semantic<'a> {
        self.module_sem
            .get_or_init(|| module_semantic(self.file, self.project))
    }
}

fn module_semantic<'a>(file: &'a SourceFile, project: &'a ProjectIndex) -> Semantic<'a> {
    let mut sem = Semantic::new(&file.module, file.path.ends_with("__init__.py"), project);
    replay(&mut sem, file.body(), 0);
    sem
}

/// Whether a decorator is spelled like a route registration (`@x.route(...)`, `@x.get(...)`), so
/// only those are resolved.
fn looks_like_route(d: &ast::Decorator) -> bool {
    matches!(&d.expression, Expr::Call(c) if matches!(&*c.func, Expr::Attribute(a)
        if matches!(a.attr.as_str(), "route" | "get" | "post" | "put" | "patch" | "delete")))
}

/// Marks the views under a project decorator that answers with JSON whatever they return (see
/// [`json_decorators`](super::json_decorators)): their return value is data, not the body.
fn mark_json_decorated(funcs: &mut HashMap<String, FuncInfo>) {
    let used: HashSet<&String> = funcs.values().flat_map(|f| f.decorators.iter()).collect();
    let json: HashSet<String> = used
        .into_iter()
        .filter(|d| {
            funcs
                .get(*d)
                .is_some_and(|f| super::json_decorators::answers_json(f.def))
        })
        .cloned()
        .collect();
    if json.is_empty() {
        return;
    }
    for f in funcs.values_mut() {
        if f.decorators.iter().any(|d| json.contains(d)) {
            f.json_view = true;
        }
    }
}

/// A function or method defined at the top level of a module or class.
pub struct FuncInfo<'a> {
    pub qualified: String,
    pub file: u32,
    pub def: &'a ast::StmtFunctionDef,
    /// The qualified name of the enclosing class, for methods.
    pub class: Option<String>,
    /// 1 when callers do not pass the first parameter (`self`, `cls`).
    pub offset: usize,
    /// For views: URL parameters and whether each is dangerous.
    pub view: Option<Vec<(String, bool)>>,
    /// Whether the file names a [`TYPED_OBJECT_WORDS`] word, for [`FuncInfo::may_produce`].
    names_typed_objects: bool,
    /// [`FuncInfo::may_produce`], read on first use: most functions are never called with clean
    /// arguments by an analysed view, and the text search is a sizeable part of a scan.
    may_produce: OnceLock<bool>,
    /// A REST resource's handler: what it returns is serialised as JSON, never HTML.
    pub json_view: bool,
    /// For views: the qualified names of their decorators other than routes, to find those that
    /// answer with JSON (see [`json_decorators`](super::json_decorators)).
    decorators: Vec<String>,
    /// What the body does to its arguments, read on first use.
    traits: OnceLock<Traits>,
    /// Whether the return annotation names only non-text types, read on first use.
    returns: OnceLock<Option<bool>>,
    /// The parameters it checks by raising (see [`validators`](super::validators)), read on
    /// first use.
    validated: OnceLock<Vec<usize>>,
    /// The parameters it confines through a path check of its own (see
    /// [`path_verdicts`](super::path_verdicts)), read on first use.
    confined: OnceLock<Vec<usize>>,
}

impl FuncInfo<'_> {
    /// What the function's body does to its arguments (see [`infer`](super::infer)).
    pub fn traits(&self) -> Traits {
        *self.traits.get_or_init(|| infer::traits(self.def))
    }

    /// May produce tainted data without any flowing in: reads request data or exception details
    /// (or calls a function that returns an operating-system error it caught),
    /// builds SQL text, or makes predictable values; or returns a URL of this application or of
    /// a configured service, which pins the host of what a caller appends.
    pub fn may_produce(&self, g: &Global) -> bool {
        *self.may_produce.get_or_init(|| {
            g.files.get(self.file as usize).is_none_or(|fc| {
                may_produce(fc.file, self.def, self.names_typed_objects)
                    || super::error_reporters::calls_one(g, fc, self, g.error_reporters())
            })
        })
    }

    /// Whether the function's own return annotation names only non-text types (`None` without
    /// one); see [`return_types`].
    pub fn declared_non_text(&self, g: &Global) -> Option<bool> {
        *self.returns.get_or_init(|| return_types::declared(g, self))
    }

    /// The positions of the parameters it checks against an allow-list, raising otherwise.
    pub fn validated(&self, g: &Global) -> &[usize] {
        self.validated
            .get_or_init(|| super::validators::validated(g, self))
    }

    /// The positions of the parameters whose path it checks before answering yes.
    pub fn confined(&self, g: &Global) -> &[usize] {
        self.confined
            .get_or_init(|| super::path_verdicts::confined(g, self))
    }
}

/// Words showing a function may produce tainted data by itself.
const PRODUCER_WORDS: &[&str] = &[
    "request",
    "session",
    "traceback",
    "except",
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
];

/// Words showing a function may build an object sinks judge by its type: a factory returning a
/// sandboxed Jinja environment must be followed for `env.from_string(...)` to know it.
const TYPED_OBJECT_WORDS: &[&str] = &["sandbox"];

/// `names_typed_objects`: whether the file mentions a [`TYPED_OBJECT_WORDS`] word at all, tested
/// once per file (most files name none).
fn may_produce(file: &SourceFile, def: &ast::StmtFunctionDef, names_typed_objects: bool) -> bool {
    let text = file.slice(def.range);
    PRODUCER_WORDS.iter().any(|w| text.contains(w))
        || super::app_paths::may_return_app_url(file, text, def)
        || super::predictable::mentions_source(text)
        || (names_typed_objects && TYPED_OBJECT_WORDS.iter().any(|w| text.contains(w)))
}

/// A later `def` of the same name rebinds the name, so calls reach the last one; but an earlier
/// one a route decorator registered is still a view, analysed under a name of its own.
fn keep_shadowed_view<'a>(funcs: &mut HashMap<String, FuncInfo<'a>>, mut shadowed: FuncInfo<'a>) {
    if shadowed.view.is_none() {
        return;
    }
    shadowed.qualified = format!(
        "{}@{}",
        shadowed.qualified,
        shadowed.def.range.start().to_u32()
    );
    funcs.insert(shadowed.qualified.clone(), shadowed);
}

/// `from pkg import f` where `pkg/__init__.py` re-exports `f` from a submodule: the one project
/// function or class named `f` (among `candidates`, the definitions with that last name) inside
/// the package `pkg` (its qualified name may start above it, when the scan root is above the
/// package).
fn reexported<'q>(candidates: &'q [String], name: &'q str) -> &'q str {
    let Some((package, _)) = name.rsplit_once('.') else {
        return name;
    };
    let inside = format!("{package}.");
    let nested = format!(".{package}.");
    let mut found = candidates
        .iter()
        .filter(|q| q.len() > name.len())
        .filter(|q| q.starts_with(&inside) || q.contains(&nested));
    match (found.next(), found.next()) {
        (Some(q), None) => q.as_str(),
        _ => name,
    }
}

/// The project as the analysis sees it.
pub struct Global<'a> {
    pub files: Vec<FileCtx<'a>>,
    pub funcs: HashMap<String, FuncInfo<'a>>,
    /// Functions and classes by their last name component, to resolve shorter spellings
    /// (`helpers.run` for `app.helpers.run`) of imports written relative to a folder that is not
    /// the scan root.
    by_last: HashMap<String, Vec<String>>,
    /// Qualified names of the project's classes that define methods.
    pub classes: HashSet<String>,
    /// Every class the project defines (with or without methods), with its base classes as
    /// spelled at the definition, resolved: exception classes and inherited methods.
    pub defined: HashMap<String, Vec<String>>,
    /// Results of functions analysed without truncation, by qualified name.
    pub memo: Mutex<HashMap<String, Arc<FnResult>>>,
    /// Project pydantic model classes by qualified name, with their fields (see
    /// [`super::models`]), found on first use.
    pub models: OnceLock<HashMap<String, super::models::Fields>>,
    /// Short names of the project's `Enum` classes that define `__call__` (members called like
    /// functions), found on first use.
    pub callable_enums: OnceLock<Vec<String>>,
    /// Operating-system exception classes the project raises itself with a message it writes
    /// (`raise PermissionError(f"User {u} may not preview")`), with the name of the raising
    /// function, found on first use.
    pub own_os_errors: OnceLock<Vec<(String, String)>>,
    /// Project classes of what constructors store in attributes (see [`attribute_types`]),
    /// found on first use.
    ///
    /// [`attribute_types`]: super::attribute_types
    attribute_classes: OnceLock<super::attribute_types::AttributeClasses>,
    /// The project functions that return an operating-system error they caught (see
    /// [`error_reporters`](super::error_reporters)), found on first use.
    error_reporters: OnceLock<super::error_reporters::Reporters>,
    /// The application checks a CSRF token on every unsafe request.
    pub csrf_everywhere: bool,
    /// Project functions the configuration declares as sanitisers.
    pub sanitizers: super::DeclaredSanitizers,
    /// `flask.g` attributes some file sets from request data (see [`request_globals`]).
    pub g_from_request: HashSet<String>,
    /// Every segment of the project's module names (`app`, `utils`...): a name can only be
    /// re-exported by a package whose name is one of them.
    module_segments: HashSet<String>,
    /// Project URL converters that reject what they do not accept (see [`converters`]).
    pub safe_converters: HashSet<String>,
    /// Scanned files by module name, built on first use.
    module_files: OnceLock<HashMap<String, u32>>,
}

impl<'a> Global<'a> {
    /// Indexes every file.
    pub fn build(files: &[&'a SourceFile], project: &'a ProjectIndex) -> Self {
        use rayon::prelude::*;
        let per_file: Vec<Indexed<'a>> = files
            .par_iter()
            .enumerate()
            .map(|(i, f)| index_file(i as u32, f, project))
            .collect();
        let mut funcs = HashMap::default();
        let mut ctxs = Vec::with_capacity(per_file.len());
        let mut registered = Vec::new();
        let mut classes = HashSet::default();
        let mut defined = HashMap::default();
        for (ctx, fs, views, defs) in per_file {
            ctxs.push(ctx);
            defined.extend(defs);
            for f in fs {
                if let Some(c) = &f.class {
                    classes.insert(c.clone());
                }
                if let Some(shadowed) = funcs.insert(f.qualified.clone(), f) {
                    keep_shadowed_view(&mut funcs, shadowed);
                }
            }
            registered.extend(views);
        }
        // Views registered with `add_url_rule` elsewhere.
        for (name, params, json) in registered {
            // Only for a class the registering code could not name (not one the project
            // defines that lacks this handler).
            let class_known = name
                .rsplit_once('.')
                .is_some_and(|(class, _)| defined.contains_key(class));
            let name = if funcs.contains_key(&name) || class_known {
                name
            } else {
                unique_by_suffix(&funcs, &name).unwrap_or(name)
            };
            if let Some(f) = funcs.get_mut(&name) {
                // A rule built at run time (`f"{url}<{pk}>"`): whatever the view takes besides
                // `self` comes from the URL.
                let params = params.unwrap_or_else(|| {
                    engine::params(f.def)
                        .iter()
                        .skip(f.offset)
                        .map(|p| (p.name.to_string(), true))
                        .collect()
                });
                f.view.get_or_insert_with(Vec::new).extend(params);
                f.json_view |= json;
            }
        }
        mark_json_decorated(&mut funcs);
        let mut by_last: HashMap<String, Vec<String>> = HashMap::default();
        for name in funcs.keys().chain(defined.keys()) {
            let last = name.rsplit('.').next().unwrap_or(name);
            by_last
                .entry(last.to_string())
                .or_default()
                .push(name.clone());
        }
        let g_from_request = ctxs
            .iter()
            .flat_map(|c| c.g_from_request.iter().cloned())
            .collect();
        let safe_converters = safe_converters(&ctxs, &funcs);
        if !safe_converters.is_empty() {
            for f in funcs.values_mut() {
                if let Some(view) = f.view.as_mut() {
                    trust_converters(view, f.def, &safe_converters);
                }
            }
        }
        let module_segments = ctxs
            .iter()
            .flat_map(|c| c.file.module.split('.'))
            .map(str::to_string)
            .collect();
        Self {
            g_from_request,
            module_segments,
            safe_converters,
            files: ctxs,
            funcs,
            by_last,
            classes,
            defined,
            memo: Mutex::new(HashMap::default()),
            models: OnceLock::new(),
            callable_enums: OnceLock::new(),
            own_os_errors: OnceLock::new(),
            attribute_classes: OnceLock::new(),
            error_reporters: OnceLock::new(),
            csrf_everywhere: false,
            sanitizers: Default::default(),
            module_files: OnceLock::new(),
        }
    }

    /// The scanned file of module `module`.
    /// The top-level class `qualified` (`module.Class`) with the file that defines it.
    pub fn class_def(&self, qualified: &str) -> Option<(&FileCtx<'a>, &'a ast::StmtClassDef)> {
        let (module, name) = qualified.rsplit_once('.')?;
        let fc = self.file_of_module(module)?;
        let file: &'a SourceFile = fc.file;
        let def = file.body().iter().find_map(|s| match s {
            Stmt::ClassDef(c) if c.name.as_str() == name => Some(c),
            _ => None,
        })?;
        Some((fc, def))
    }

    pub fn file_of_module(&self, module: &str) -> Option<&FileCtx<'a>> {
        let by_module = self.module_files.get_or_init(|| {
            self.files
                .iter()
                .map(|f| (f.file.module.clone(), f.idx))
                .collect()
        });
        by_module
            .get(module)
            .and_then(|&i| self.files.get(i as usize))
    }

    /// Whether the nearest method `method` a project base class of `class` declares with a
    /// return annotation returns no text (`None` when no base declares one).
    pub fn declared_in_bases(&self, class: &str, method: &str) -> Option<bool> {
        self.find_in_bases(class, |_, base| {
            self.funcs
                .get(&format!("{base}.{method}"))
                .and_then(|f| f.declared_non_text(self))
        })
    }

    /// The project functions and methods whose name is `last`.
    pub fn named<'s>(&'s self, last: &str) -> impl Iterator<Item = &'s FuncInfo<'a>> + 's {
        self.by_last
            .get(last)
            .into_iter()
            .flatten()
            .filter_map(|q| self.funcs.get(q))
    }

    /// The project function `func`, called in the body of `f` (in the file `fc`), reaches: a
    /// function of its module or one it imports (`helper.delete_book(...)`), or a method of its
    /// own object (`self._validate(x)`), inherited or not. A pass over bodies outside any
    /// analysis, so only names the module binds count.
    pub fn callee_in(&self, fc: &FileCtx, f: &FuncInfo, func: &Expr) -> Option<&FuncInfo<'a>> {
        let me = super::engine::params(f.def)
            .first()
            .filter(|_| f.offset == 1)
            .map(|p| p.name.as_str());
        let q = match func {
            Expr::Attribute(a) => match &*a.value {
                Expr::Name(n) if Some(n.id.as_str()) == me => {
                    f.class.as_ref().map(|c| format!("{c}.{}", a.attr))
                }
                Expr::Name(_) => fc.module_sem().resolve(func),
                _ => None,
            },
            Expr::Name(_) => fc.module_sem().resolve(func),
            _ => None,
        }?;
        let q = self.resolve_function(&q);
        self.funcs.get(q).or_else(|| self.inherited_method(q))
    }

    /// The qualified name of a project function or class as spelled at a call site.
    pub fn resolve_function<'q>(&'q self, name: &'q str) -> &'q str {
        if self.funcs.contains_key(name) || self.classes.contains(name) {
            return name;
        }
        if self.funcs.contains_key(&format!("{name}.__init__")) {
            return name;
        }
        if !name.contains('.') {
            return name;
        }
        let last = name.rsplit('.').next().unwrap_or(name);
        // Most unresolved names are library calls no project definition shares a last name with.
        let Some(candidates) = self.by_last.get(last) else {
            return name;
        };
        let suffix = format!(".{name}");
        let mut found = candidates.iter().filter(|q| q.ends_with(&suffix));
        match (found.next(), found.next()) {
            (Some(q), None) => q.as_str(),
            (None, _) => self
                .imported_into(name)
                .or_else(|| {
                    self.may_reexport(name)
                        .then(|| reexported(candidates, name))
                })
                .unwrap_or(name),
            _ => name,
        }
    }

    /// `toolkit.render` where the project module `toolkit` only imports `render` from another
    /// module (`from app.lib.base import render`, a facade of helpers): the definition the import
    /// names.
    ///
    /// Also `store.diff` where `store` is an instance another project module binds at its top
    /// level (`storage = GitStorage(path)`, imported with `from app.server import storage`):
    /// the method of the instance's class.
    fn imported_into(&self, name: &str) -> Option<&str> {
        let target = self.through_imports(name).or_else(|| {
            let (owner, method) = name.rsplit_once('.')?;
            let class = self.through_imports(owner)?;
            self.classes
                .contains(class.as_str())
                .then(|| format!("{class}.{method}"))
        })?;
        if let Some((k, _)) = self.funcs.get_key_value(target.as_str()) {
            return Some(k);
        }
        self.classes.get(target.as_str()).map(String::as_str)
    }

    /// What `module.name` stands for when the project module `module` binds `name` by an import
    /// (or to an instance of a type), followed through at most four such modules.
    pub fn through_imports(&self, name: &str) -> Option<String> {
        let mut current = name;
        let mut found: Option<String> = None;
        for _ in 0..4 {
            let (module, last) = current.rsplit_once('.')?;
            let Some(target) = self
                .file_of_module(module)
                .and_then(|f| f.module_sem().imported_as(last))
            else {
                break;
            };
            if target == current {
                break;
            }
            found = Some(target.to_string());
            current = target;
        }
        found
    }

    /// Whether `name` (as spelled at a call site) is a project function, not a class.
    pub fn is_project_function(&self, name: &str) -> bool {
        let q = self.resolve_function(name);
        self.funcs.contains_key(q) && !self.classes.contains(q) && !self.defined.contains_key(q)
    }

    /// Whether the package part of `name` (`pkg` of `pkg.f`) could be a project package.
    fn may_reexport(&self, name: &str) -> bool {
        let package = name.rsplit_once('.').map_or("", |(p, _)| p);
        let last_segment = package.rsplit('.').next().unwrap_or(package);
        self.module_segments.contains(last_segment)
    }

    /// The project class `name` (as spelled at a use) stands for, if the project defines it.
    pub fn project_class(&self, name: &str) -> Option<&str> {
        let q = self.resolve_function(name);
        self.defined.get_key_value(q).map(|(k, _)| k.as_str())
    }

    /// Whether the project class `class` derives, through project classes, from a class
    /// `is_base` accepts (by qualified name).
    pub fn derives_from(&self, class: &str, is_base: &dyn Fn(&str) -> bool) -> bool {
        self.find_in_bases(class, |written, _| is_base(written).then_some(()))
            .is_some()
    }

    /// The project functions that return an operating-system error they caught.
    pub fn error_reporters(&self) -> &super::error_reporters::Reporters {
        self.error_reporters
            .get_or_init(|| super::error_reporters::find(self))
    }

    /// The project class of what the constructors of `class` (or of a base class it inherits
    /// the attribute from) store in `attr`, when they all store one.
    pub fn attribute_class(&self, class: &str, attr: &str) -> Option<&str> {
        if !self.classes.contains(class) {
            return None;
        }
        let stored = self
            .attribute_classes
            .get_or_init(|| super::attribute_types::build(self))
            .get(attr)?;
        let own = |c: &str| {
            stored
                .iter()
                .find(|(owner, _)| owner == c)
                .map(|(_, s)| s.as_str())
        };
        own(class).or_else(|| self.find_in_bases(class, |_, base| own(base)))
    }

    /// `Class.method` looked up in the base classes the project defines when `Class` does not
    /// define it itself: `self.get_url()` in a subclass runs the base class's `get_url`.
    pub fn inherited_method(&self, qualified: &str) -> Option<&FuncInfo<'a>> {
        let (class, method) = qualified.rsplit_once('.')?;
        self.find_in_bases(class, |_, base| self.funcs.get(&format!("{base}.{method}")))
    }

    /// Walks the base classes of `class` through the classes the project defines (eight levels
    /// at most, each class once), asking `found` of each base as written and as resolved.
    pub fn find_in_bases<T>(
        &self,
        class: &str,
        mut found: impl FnMut(&str, &str) -> Option<T>,
    ) -> Option<T> {
        let mut todo: Vec<(&str, usize)> = vec![(class, 0)];
        let mut seen: Vec<&str> = Vec::new();
        while let Some((c, depth)) = todo.pop() {
            if depth > 8 || seen.contains(&c) {
                continue;
            }
            seen.push(c);
            for written in self.defined.get(c).into_iter().flatten() {
                let base = self.resolve_function(written);
                if let Some(hit) = found(written, base) {
                    return Some(hit);
                }
                todo.push((base, depth + 1));
            }
        }
        None
    }
}

type Indexed<'a> = (
    FileCtx<'a>,
    Vec<FuncInfo<'a>>,
    Vec<Registered>,
    Vec<(String, Vec<String>)>,
);

/// The URL parameters of an `add_url_rule` call's rule: a literal's, or those spelled in the
/// literal parts of a rule built at run time (`PREFIX + "/<int:id>"`); `None` when they are
/// unknown (no part spells them whole, as in `f"{url}<{pk}>"`).
fn rule_params_of(call: &ast::ExprCall, literal: Option<&str>) -> Option<Vec<(String, bool)>> {
    if let Some(rule) = literal {
        return Some(sources::rule_params(rule));
    }
    let rule = call
        .arguments
        .args
        .first()
        .or_else(|| call.arguments.find_keyword("rule").map(|k| &k.value))?;
    let mut text = String::new();
    literal_parts(rule, &mut text, 0);
    // Every `<...>` whole in the literal text (`f"{url}<{pk}>"` leaves `<>`: unknown).
    let params = sources::rule_params(&text);
    // A placeholder of `.format`/`%` standing for a parameter's name (`"/<{}>".format(key)`)
    // leaves it unknown; one in a converter's arguments (`<int(max={0}):ver>`) does not.
    let spelled = params.iter().all(|(name, _)| !name.contains(['{', '%']));
    (spelled && !params.is_empty() && text.matches('<').count() == params.len()).then_some(params)
}

/// The literal text of a concatenation or f-string, dynamic parts left out.
fn literal_parts(e: &Expr, out: &mut String, depth: usize) {
    if depth > 16 {
        return;
    }
    match e {
        Expr::StringLiteral(s) => out.push_str(s.value.to_str()),
        Expr::BinOp(b) if b.op == ast::Operator::Add => {
            literal_parts(&b.left, out, depth + 1);
            literal_parts(&b.right, out, depth + 1);
        }
        Expr::FString(f) => out.push_str(&crate::python::fstring_pieces(f).concat()),
        // `"/<int(min=1, max={0}):ver>".format(MAX)`, `"/<%s:id>" % kind`: the template.
        _ => {
            if let Some(template) = crate::python::format_template(e) {
                out.push_str(template);
            }
        }
    }
}

/// The one function whose qualified name ends with the last two parts of `name`
/// (`Class.method`): a view class named where the registering code could not resolve it (an
/// import inside a function), by the name it is defined under.
fn unique_by_suffix(funcs: &HashMap<String, FuncInfo>, name: &str) -> Option<String> {
    let mut parts = name.rsplitn(3, '.');
    let (method, class) = (parts.next()?, parts.next()?);
    let suffix = format!(".{class}.{method}");
    let mut found = funcs.keys().filter(|k| k.ends_with(&suffix));
    match (found.next(), found.next()) {
        (Some(one), None) => Some(one.clone()),
        _ => None,
    }
}

/// A view registered away from its definition: (qualified function, URL parameters or `None`
/// when the rule is not a literal, answers JSON).
type Registered = (String, Option<Vec<(String, bool)>>, bool);

fn index_file<'a>(idx: u32, file: &'a SourceFile, project: &'a ProjectIndex) -> Indexed<'a> {
    let sem: OnceLock<Semantic<'a>> = OnceLock::new();
    let sem_of = || sem.get_or_init(|| module_semantic(file, project));
    let mut consts = HashMap::default();
    let mut texts: HashMap<String, Arc<str>> = HashMap::default();
    let mut numbers: HashMap<String, f64> = HashMap::default();
    let mut settings: HashSet<String> = HashSet::default();
    let mut assigned: HashMap<String, usize> = HashMap::default();
    for stmt in file.body() {
        if let Stmt::Assign(a) = stmt {
            for t in &a.targets {
                if let Expr::Name(n) = t {
                    *assigned.entry(n.id.to_string()).or_default() += 1;
                    if let Some(truth) = literal_truth(&a.value) {
                        consts.insert(n.id.to_string(), truth);
                    }
                    if let Some(Lit::Num(x)) = constfold::literal(&a.value) {
                        numbers.insert(n.id.to_string(), x);
                    }
                    if let Expr::StringLiteral(s) = &*a.value {
                        texts.insert(n.id.to_string(), Arc::from(s.value.to_str()));
                    }
                    // Only a lookup (`m["k"]`, `m.get("k")`) or a `getenv` call can read a
                    // setting: no resolver is built for the rest.
                    let lookup = crate::rules::helpers::lookup_owner(&a.value).is_some()
                        || mentions(
                            file.slice(ruff_text_size::Ranged::range(&*a.value)),
                            "getenv",
                        );
                    if lookup && super::app_paths::reads_setting(sem_of(), &a.value) {
                        settings.insert(n.id.to_string());
                    }
                }
            }
        }
    }
    consts.retain(|k, _| assigned.get(k) == Some(&1));
    texts.retain(|k, _| assigned.get(k) == Some(&1));
    numbers.retain(|k, _| assigned.get(k) == Some(&1));
    settings.retain(|k| assigned.get(k) == Some(&1));
    let text = &file.text;
    let names_typed_objects = TYPED_OBJECT_WORDS.iter().any(|w| mentions(text, w));
    // Both names contain "flask": most files of a large tree are spared two searches.
    let smorest_or_apiflask = mentions(text, "flask") && mentions_argument_decorators(text);
    let mut funcs = Vec::new();
    let mut defined = Vec::new();
    for stmt in file.body() {
        match stmt {
            Stmt::FunctionDef(f) => {
                let view = if f.decorator_list.iter().any(looks_like_route) {
                    view_params(sem_of(), f, smorest_or_apiflask)
                } else {
                    None
                };
                let decorators = match view {
                    Some(_) => f
                        .decorator_list
                        .iter()
                        .filter(|d| !looks_like_route(d))
                        .filter_map(|d| match &d.expression {
                            Expr::Call(c) => sem_of().resolve(&c.func),
                            other => sem_of().resolve(other),
                        })
                        .collect(),
                    None => Vec::new(),
                };
                funcs.push(FuncInfo {
                    qualified: qualify(&file.module, &f.name),
                    file: idx,
                    def: f,
                    class: None,
                    offset: 0,
                    names_typed_objects,
                    may_produce: OnceLock::new(),
                    json_view: false,
                    decorators,
                    view,
                    traits: OnceLock::new(),
                    returns: OnceLock::new(),
                    validated: OnceLock::new(),
                    confined: OnceLock::new(),
                });
            }
            Stmt::ClassDef(c) => {
                let class = qualify(&file.module, &c.name);
                let bases = c
                    .bases()
                    .iter()
                    .filter_map(|b| sem_of().resolve(b))
                    .collect();
                defined.push((class.clone(), bases));
                let routed = class_views::class_route(c);
                for s in &c.body {
                    if let Stmt::FunctionDef(f) = s {
                        let is_static = f.decorator_list.iter().any(|d| matches!(&d.expression, Expr::Name(n) if n.id.as_str() == "staticmethod"));
                        funcs.push(FuncInfo {
                            qualified: format!("{class}.{}", f.name),
                            file: idx,
                            def: f,
                            class: Some(class.clone()),
                            offset: usize::from(!is_static),
                            names_typed_objects,
                            may_produce: OnceLock::new(),
                            json_view: routed.is_some(),
                            decorators: Vec::new(),
                            view: routed
                                .as_ref()
                                .filter(|_| flask::is_view_handler(&f.name))
                                .map(|url| {
                                    let mut params = url.clone();
                                    params.extend(webargs::parsed_params(
                                        sem_of(),
                                        f,
                                        url,
                                        smorest_or_apiflask,
                                    ));
                                    params
                                }),
                            traits: OnceLock::new(),
                            returns: OnceLock::new(),
                            validated: OnceLock::new(),
                            confined: OnceLock::new(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    let mut registered = Vec::new();
    if mentions(text, "add_url_rule") || mentions(text, "add_resource") {
        let mut finder = UrlRuleFinder {
            sem: sem_of(),
            module: &file.module,
            body: file.body(),
            functions: Vec::new(),
            found: &mut registered,
            depth: 0,
        };
        for stmt in file.body() {
            finder.visit_stmt(stmt);
        }
    }
    let g_from_request = if request_globals::assigns_g(text) {
        request_globals::collect(sem_of(), file.body())
    } else {
        Vec::new()
    };
    let converters = if mentions(text, "converters[") {
        converters::registered(sem_of(), file.body())
    } else {
        Vec::new()
    };
    let ctx = FileCtx {
        converters,
        idx,
        file,
        consts,
        texts,
        numbers,
        settings,
        escaping_envs: super::fixed_templates::escaping_module_envs(file.body()),
        flask: mentions(text, "flask"),
        parses_args: smorest_or_apiflask,
        reqparse: reqparse::declared(file),
        g_from_request,
        mongo: mentions(text, "mongo"),
        ldap: mentions(text, "ldap"),
        jinja: mentions(text, "jinja") || mentions(text, "Environment"),
        guarded_client: super::guarded_clients::mentioned(text),
        module_sem: sem,
        project,
    };
    (ctx, funcs, registered, defined)
}

/// Binds module-level names, including imports inside module-level `if`/`try` blocks.
fn replay(sem: &mut Semantic, body: &[Stmt], depth: usize) {
    if depth > 4 {
        return;
    }
    for stmt in body {
        bind_statement(sem, stmt);
        match stmt {
            Stmt::If(i) => {
                replay(sem, &i.body, depth + 1);
                for c in &i.elif_else_clauses {
                    replay(sem, &c.body, depth + 1);
                }
            }
            Stmt::Try(t) => {
                replay(sem, &t.body, depth + 1);
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    replay(sem, &h.body, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// The registered converters whose class's `to_python` rejects segments.
fn safe_converters(ctxs: &[FileCtx], funcs: &HashMap<String, FuncInfo>) -> HashSet<String> {
    ctxs.iter()
        .flat_map(|c| c.converters.iter())
        .filter(|(_, class)| {
            funcs.get(&format!("{class}.to_python")).is_some_and(|f| {
                converters::validates(ctxs[f.file as usize].file.slice(f.def.range))
            })
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// Marks safe the view parameters whose converter (in `f`'s route decorators) is a project
/// converter that validates.
pub fn trust_converters(
    view: &mut [(String, bool)],
    f: &ast::StmtFunctionDef,
    safe: &HashSet<String>,
) {
    let rules = route_rules(f);
    for (name, dangerous) in view.iter_mut() {
        let by_safe = rules
            .iter()
            .any(|r| converters::converter_of(r, name).is_some_and(|c| safe.contains(c)));
        if by_safe {
            *dangerous = false;
        }
    }
}

/// For a function with a route-like decorator whoever owns it (`@app.route` inside
/// `def register_routes(app)`, where `app` resolves to no known app): its URL parameters.
pub fn route_like_params(f: &ast::StmtFunctionDef) -> Option<Vec<(String, bool)>> {
    if !f.decorator_list.iter().any(looks_like_route) {
        return None;
    }
    let params = route_rules(f)
        .iter()
        .flat_map(|rule| sources::rule_params(rule))
        .collect();
    Some(params)
}

/// The literal URL rules of `f`'s route-like decorators (`@bp.route("/items/<int:id>")`).
fn route_rules(f: &ast::StmtFunctionDef) -> Vec<String> {
    f.decorator_list
        .iter()
        .filter(|d| looks_like_route(d))
        .filter_map(|d| match &d.expression {
            Expr::Call(c) => c.arguments.args.first().and_then(flask::string_literal),
            _ => None,
        })
        .collect()
}

/// Whether a module may use flask-smorest's or APIFlask's argument decorators (see [`webargs`]).
fn mentions_argument_decorators(text: &str) -> bool {
    crate::python::words::mentions_any(text, &["flask_smorest", "apiflask"])
}

/// The URL parameters of a function's route decorators, if it is a view.
pub fn view_params(
    sem: &Semantic,
    f: &ast::StmtFunctionDef,
    smorest_or_apiflask: bool,
) -> Option<Vec<(String, bool)>> {
    let mut params: Option<Vec<(String, bool)>> = None;
    for d in &f.decorator_list {
        if let Some((_, rule)) = flask::route_decorator(sem, &d.expression) {
            let list = params.get_or_insert_with(Vec::new);
            if let Some(rule) = rule {
                list.extend(sources::rule_params(&rule));
            }
        }
    }
    if let Some(list) = params.as_mut() {
        let parsed = webargs::parsed_params(sem, f, list, smorest_or_apiflask);
        list.extend(parsed);
    }
    params
}

/// The truthiness of a literal.
pub fn literal_truth(expr: &Expr) -> Option<bool> {
    match expr {
        Expr::BooleanLiteral(b) => Some(b.value),
        Expr::NoneLiteral(_) => Some(false),
        Expr::NumberLiteral(n) => match &n.value {
            ast::Number::Int(i) => Some(i.as_u64() != Some(0)),
            _ => None,
        },
        Expr::StringLiteral(s) => Some(!s.value.to_str().is_empty()),
        _ => None,
    }
}

/// Finds `X.add_url_rule("/rule/<p>", view_func=f)` anywhere in a file.
struct UrlRuleFinder<'s, 'a> {
    sem: &'s Semantic<'a>,
    module: &'s str,
    /// The module's statements, where a registering helper's callers are looked for.
    body: &'a [Stmt],
    /// The functions being walked, innermost last.
    functions: Vec<&'a ast::StmtFunctionDef>,
    found: &'s mut Vec<Registered>,
    depth: usize,
}

impl UrlRuleFinder<'_, '_> {
    /// Every handler method of the class `class` names is a view at these parameters.
    fn class_view(&mut self, class: &Expr, params: Option<&[(String, bool)]>, json: bool) {
        let name = match class {
            Expr::Name(n) => self
                .sem
                .resolve(class)
                .unwrap_or_else(|| qualify(self.module, &n.id)),
            other => match self.sem.resolve(other) {
                Some(q) => q,
                None => return,
            },
        };
        for h in flask::VIEW_HANDLERS {
            self.found
                .push((format!("{name}.{h}"), params.map(<[_]>::to_vec), json));
        }
    }
}

impl<'a> Visitor<'a> for UrlRuleFinder<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.depth > crate::python::MAX_DEPTH {
            return;
        }
        self.depth += 1;
        if let Stmt::FunctionDef(f) = stmt {
            self.functions.push(f);
            visitor::walk_stmt(self, stmt);
            self.functions.pop();
        } else {
            visitor::walk_stmt(self, stmt);
        }
        self.depth -= 1;
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.depth > crate::python::MAX_DEPTH {
            return;
        }
        if let Expr::Call(call) = expr {
            if let Expr::Attribute(a) = &*call.func {
                if let Some((class, params)) = class_views::add_resource(call) {
                    self.class_view(class, Some(&params), true);
                }
                if a.attr.as_str() == "add_url_rule" {
                    let (rule, view) = flask::add_url_rule_parts(call);
                    let classes = view.map_or_else(Vec::new, |v| {
                        view_classes::registered_classes(
                            v,
                            self.functions.last().copied(),
                            self.body,
                        )
                    });
                    let params = rule_params_of(call, rule.as_deref());
                    for class in classes {
                        self.class_view(class, params.as_deref(), false);
                    }
                    let name = match view {
                        Some(e @ Expr::Name(n)) => Some(
                            self.sem
                                .resolve(e)
                                .unwrap_or_else(|| qualify(self.module, &n.id)),
                        ),
                        Some(other) => self.sem.resolve(other),
                        None => None,
                    };
                    if let Some(name) = name {
                        let params = rule_params_of(call, rule.as_deref());
                        // A view made by a call (`dispatch(A, B)`): the name is the factory's,
                        // whose own parameters come from no URL.
                        let params = match view {
                            Some(Expr::Name(_) | Expr::Attribute(_)) => params,
                            _ => Some(params.unwrap_or_default()),
                        };
                        self.found.push((name, params, false));
                    }
                }
            }
        }
        self.depth += 1;
        visitor::walk_expr(self, expr);
        self.depth -= 1;
    }
}
