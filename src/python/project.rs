//! Cross-module facts gathered before the rule pass: app factories, app variables and the config
//! objects handed to `config.from_object`, so a rule in one file can judge what another defines.

use super::words::{mentions, mentions_any};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use rayon::prelude::*;
use ruff_python_ast::{self as ast, Expr, Stmt};

use super::config_choice::{self, ClassFacts, ModuleChoices};
use super::fresh;
use super::semantic::{qualify, NoProject, ProjectLookup, Semantic};
use super::test_support::{self, ImportFacts};
use super::SourceFile;

/// The qualified type of a Flask application object.
pub const FLASK: &str = "flask.Flask";

/// What the whole scanned tree defines, keyed by qualified name.
#[derive(Debug, Default)]
pub struct ProjectIndex {
    /// Functions (and `Flask` subclasses) that return an app when called.
    returns: HashMap<String, String>,
    /// Module-level variables holding an object made by a call (an app, an extension...).
    variables: HashMap<String, String>,
    /// Config objects the app loads (see [`ConfigObjects`]).
    config_objects: ConfigObjects,
    /// Project module names.
    modules: HashSet<String>,
    /// Sessions are kept on the server (a custom `session_interface`, Flask-Session): clients
    /// cannot write session values, signed or not.
    server_side_sessions: bool,
    /// Per module: the names `from module import *` binds.
    exports: HashMap<String, Vec<String>>,
    /// Every name some project module imports by name (`from m import name`).
    imported_names: HashSet<String>,
    /// Project subclasses of a library class that matters to the rules, with that class.
    subclasses: HashMap<String, String>,
    /// Top-level classes with the HTTP methods their bodies declare (see
    /// [`super::view_classes::declared_methods`]).
    view_methods: HashMap<String, Vec<String>>,
    /// Every top-level class's resolved bases (kept only when some class declares methods).
    class_bases: HashMap<String, Vec<String>>,
    /// Some `config.from_object(...)` loads an object this scan cannot read (see
    /// [`ProjectIndex::config_unseen`]).
    config_unseen: bool,
    /// Project functions that return a new random value at each call (see [`fresh`]).
    fresh_functions: HashSet<String>,
    exiting_functions: HashSet<String>,
    /// Config classes that are the development arm of a run-time choice (see [`config_choice`]).
    development_alternatives: HashSet<String>,
    /// Config classes that are test configurations (see [`config_choice::test_configs`]).
    test_configs: HashSet<String>,
    /// Config classes whose debug switch only development arms and test configurations
    /// inherit (see [`config_choice::debug_confined`]).
    debug_confined: HashSet<String>,
    /// Project subclasses of a PyYAML loader, with the loader whose constructors they inherit.
    yaml_loaders: HashMap<String, String>,
    /// Paths of the files outside test folders that are test support (see [`test_support`]).
    test_support: HashSet<String>,
}

/// What `config.from_object`/`from_pyfile` calls load.
#[derive(Debug, Default)]
struct ConfigObjects {
    /// Qualified names (classes or modules) loaded as configuration.
    names: HashSet<String>,
    /// What each `from_object` outside test code loads, `None` when it names nothing the scan
    /// can follow (a parameter without a default, a call's result): only this is code whose
    /// settings the scan must be able to read (see [`ProjectIndex::config_unseen`]).
    from_object: HashSet<Option<String>>,
}

impl ConfigObjects {
    fn extend(&mut self, other: ConfigObjects) {
        self.names.extend(other.names);
        self.from_object.extend(other.from_object);
    }
}

impl ProjectLookup for ProjectIndex {
    fn return_type(&self, function: &str) -> Option<&str> {
        self.returns
            .get(function)
            .or_else(|| self.subclasses.get(function))
            .map(String::as_str)
    }
    fn variable_type(&self, variable: &str) -> Option<&str> {
        self.variables.get(variable).map(String::as_str)
    }
    fn star_exports(&self, module: &str) -> &[String] {
        self.exports.get(module).map_or(&[], Vec::as_slice)
    }
}

/// What one file contributes to the [`ProjectIndex`]. Collected right after the file is parsed,
/// while its tree is still in the cache, and merged once every file is in.
#[derive(Debug, Default)]
pub struct ModuleFacts {
    returns: HashMap<String, String>,
    /// Collected as if no project function returned an app; [`ProjectIndex::merge`] collects
    /// again when one does.
    variables: HashMap<String, String>,
    config_objects: ConfigObjects,
    server_side_sessions: bool,
    /// (module, the names a star import of it binds).
    exports: (String, Vec<String>),
    imported_names: Vec<String>,
    /// Top-level classes and their base classes, qualified: subclasses of subclasses of
    /// `Flask`/`Blueprint` defined in other modules are found once every file is in (see
    /// [`library_subclasses`]).
    class_bases: Vec<(String, Vec<String>)>,
    /// Top-level classes with the HTTP methods their bodies declare.
    view_methods: Vec<(String, Vec<String>)>,
    fresh_functions: Vec<String>,
    /// Top-level functions that end the process (see [`exits_process`]).
    exiting_functions: Vec<String>,
    /// Top-level classes with the `DEBUG` and `TESTING` each sets itself.
    class_debug: Vec<(String, Option<bool>, Option<bool>)>,
    /// Run-time choices between classes, and classes loaded whatever happens (see
    /// [`config_choice`]).
    choices: ModuleChoices,
    /// What the file imports and whether it runs on its own (see [`test_support`]).
    imports: ImportFacts,
}

impl ModuleFacts {
    /// The facts of `file` alone.
    pub fn collect(file: &SourceFile) -> Self {
        let mut facts = Self::default();
        // Only a file that names `flask` (or sits in a `flask` package, for relative imports)
        // can build an app: factories are judged without the project, so no other name can
        // stand for one.
        if mentions(&file.text, "flask") || file.module.contains("flask") {
            collect_factories(file, semantic_for(file, &NoProject), &mut facts.returns);
        }
        let sem = collect_variables_and_config(
            file,
            semantic_for(file, &NoProject),
            &mut facts.variables,
            &mut facts.config_objects,
            Some(&mut facts.class_bases),
            super::source::is_test_path(&file.path),
        );
        // Every choice is spelled with `else`, a `"default"`, `"production"` or test entry or
        // an environment read, and every load with `from_object`.
        if mentions_any(
            &file.text,
            &[
                "else",
                "default",
                "getenv",
                "environ",
                "from_object",
                "prod",
                "test",
            ],
        ) {
            let test_code = super::source::is_test_path(&file.path);
            facts.choices = config_choice::choices(&sem, file.body(), test_code);
        }
        if mentions(&file.text, "View") || mentions(&file.text, "methods") {
            facts.view_methods = file
                .body()
                .iter()
                .filter_map(|stmt| match stmt {
                    Stmt::ClassDef(c) => super::view_classes::declared_methods(c)
                        .map(|m| (qualify(&file.module, &c.name), m)),
                    _ => None,
                })
                .collect();
        }
        // A class body setting `DEBUG` spells it.
        let sets_debug = mentions(&file.text, "DEBUG");
        let sets_testing = mentions(&file.text, "TESTING");
        facts.class_debug = file
            .body()
            .iter()
            .filter_map(|stmt| match stmt {
                Stmt::ClassDef(c) => Some((
                    qualify(&file.module, &c.name),
                    sets_debug
                        .then(|| config_choice::own_setting(&c.body, "DEBUG"))
                        .flatten(),
                    sets_testing
                        .then(|| config_choice::own_setting(&c.body, "TESTING"))
                        .flatten(),
                )),
                _ => None,
            })
            .collect();
        facts.exports = (file.module.clone(), star_exports(file));
        facts.imported_names = names_imported_from(file);
        facts.imports = test_support::collect(file);
        if mentions(&file.text, "exit") {
            facts.exiting_functions = file
                .body()
                .iter()
                .filter_map(|stmt| match stmt {
                    Stmt::FunctionDef(f) if f.body.iter().any(exits_process) => {
                        Some(qualify(&file.module, &f.name))
                    }
                    _ => None,
                })
                .collect();
        }
        if fresh::mentions_generator(&file.text) {
            facts.fresh_functions = collect_fresh_functions(file, semantic_for(file, &NoProject));
        }
        facts.server_side_sessions = mentions_any(
            &file.text,
            &["session_interface", "flask_session", "SESSION_TYPE"],
        );
        facts
    }
}

impl ProjectIndex {
    /// Whether the app keeps sessions on the server (see the field).
    pub fn server_side_sessions(&self) -> bool {
        self.server_side_sessions
    }

    /// Whether the config class `qualified` is the development arm of a run-time choice whose
    /// other arm keeps debug off (see [`config_choice`]).
    pub fn is_development_alternative(&self, qualified: &str) -> bool {
        self.development_alternatives.contains(qualified)
    }

    /// Whether the debug switch of the config class `qualified` is inherited only by
    /// development arms and test configurations (see [`config_choice::debug_confined`]).
    pub fn is_debug_confined(&self, qualified: &str) -> bool {
        self.debug_confined.contains(qualified)
    }

    /// Whether the file at `path` is test code: in a test folder or named as a test file, or
    /// test support kept elsewhere (see [`test_support`]).
    pub fn is_test_code(&self, path: &str) -> bool {
        super::source::is_test_path(path) || self.test_support.contains(path)
    }

    /// The paths of the test support kept outside test folders (see [`test_support`]).
    pub fn test_support(&self) -> &HashSet<String> {
        &self.test_support
    }

    /// Whether the config class `qualified` is a test configuration (see
    /// [`config_choice::test_configs`]).
    pub fn is_test_config(&self, qualified: &str) -> bool {
        self.test_configs.contains(qualified)
    }

    /// Whether the project function `qualified` returns a new random value at each call.
    /// Whether the project function `qualified` ends the process wherever it is called
    /// (`def fatal_error(msg): print(msg); sys.exit(1)`).
    pub fn exits_process(&self, qualified: &str) -> bool {
        self.exiting_functions.contains(qualified)
    }

    pub fn is_fresh_function(&self, qualified: &str) -> bool {
        self.fresh_functions.contains(qualified)
    }

    /// Builds the index from every parsed file of the scan.
    pub fn build(files: &[&SourceFile]) -> Self {
        let facts = files.par_iter().map(|f| ModuleFacts::collect(f)).collect();
        Self::merge(files, facts)
    }

    /// Merges the facts of every file (`facts[i]` of `files[i]`).
    pub fn merge(files: &[&SourceFile], mut facts: Vec<ModuleFacts>) -> Self {
        let mut index = Self {
            modules: files.iter().map(|f| f.module.clone()).collect(),
            test_support: find_test_support(files, &mut facts),
            ..Self::default()
        };
        let mut variables = Vec::with_capacity(facts.len());
        let mut class_bases = Vec::new();
        let (mut classes, mut choices, mut loaded) = (HashMap::default(), Vec::new(), Vec::new());
        for (file, mut f) in files.iter().zip(facts) {
            // Test support configures throwaway apps, as test files do (see `ConfigObjects`).
            if index.test_support.contains(&file.path) {
                f.choices.loaded.clear();
                f.config_objects.from_object.clear();
            }
            let test_code = index.is_test_code(&file.path);
            for (class, debug, testing) in f.class_debug {
                classes.insert(
                    class,
                    ClassFacts {
                        bases: Vec::new(),
                        debug,
                        testing,
                        test_code,
                    },
                );
            }
            choices.extend(f.choices.choices);
            loaded.extend(f.choices.loaded);
            class_bases.extend(f.class_bases);
            index.view_methods.extend(f.view_methods);
            index.server_side_sessions |= f.server_side_sessions;
            index.exports.insert(f.exports.0, f.exports.1);
            index.imported_names.extend(f.imported_names);
            index.returns.extend(f.returns);
            index.config_objects.extend(f.config_objects);
            index.fresh_functions.extend(f.fresh_functions);
            index.exiting_functions.extend(f.exiting_functions);
            variables.push(f.variables);
        }
        index.subclasses = library_subclasses(&class_bases);
        index.yaml_loaders = first_library_bases(&class_bases, &|b| {
            b.starts_with("yaml.") && b.ends_with("Loader")
        });
        for (class, bases) in &class_bases {
            if let Some(facts) = classes.get_mut(class) {
                facts.bases.clone_from(bases);
            }
        }
        if !index.view_methods.is_empty() {
            index.class_bases = class_bases.iter().cloned().collect();
        }
        index.development_alternatives =
            config_choice::development_alternatives(&choices, &loaded, &classes);
        index.test_configs = config_choice::test_configs(&choices, &loaded, &classes);
        index.debug_confined = config_choice::debug_confined(
            &choices,
            &loaded,
            &classes,
            &index.development_alternatives,
            &index.test_configs,
        );
        if index.returns.is_empty() && index.subclasses.is_empty() {
            // Nothing returns an app, so each file's variables are what it saw on its own.
            index.variables = variables.into_iter().reduce(merge_maps).unwrap_or_default();
            index.config_unseen = index.loads_unseen_config();
            return index;
        }
        // `app = create_app()` in one module names what a factory in another returns: collect
        // variables and config objects again with the factories known.
        let (variables, config_objects) = files
            .par_iter()
            .map(|file| {
                let (mut variables, mut config) = (HashMap::default(), ConfigObjects::default());
                collect_variables_and_config(
                    file,
                    semantic_for(file, &index),
                    &mut variables,
                    &mut config,
                    None,
                    index.is_test_code(&file.path),
                );
                (variables, config)
            })
            .reduce(
                || (HashMap::default(), ConfigObjects::default()),
                |(v1, mut c1), (v2, c2)| {
                    c1.extend(c2);
                    (merge_maps(v1, v2), c1)
                },
            );
        index.variables = variables;
        index.config_objects = config_objects;
        index.config_unseen = index.loads_unseen_config();
        index
    }

    /// Whether some `from_object` loads an object the scan does not read.
    fn loads_unseen_config(&self) -> bool {
        self.config_objects.from_object.iter().any(|loaded| {
            loaded
                .as_deref()
                .is_none_or(|name| !self.reads_config(name))
        })
    }

    /// Whether the scan reads the config object `name`: a project module, or a name defined in
    /// one (a class, a dict of classes). Modules are also matched by their dotted tail: a tree
    /// scanned from above its import root names `config` as `pgapp.config`.
    fn reads_config(&self, name: &str) -> bool {
        let is_module = |m: &str| {
            self.modules.contains(m)
                || self.modules.iter().any(|module| {
                    module
                        .strip_suffix(m)
                        .is_some_and(|head| head.ends_with('.'))
                })
        };
        is_module(name)
            || name
                .rsplit_once('.')
                .is_some_and(|(module, _)| is_module(module))
    }

    /// Whether the app loads configuration from Python code the scan cannot read (a config
    /// object passed in by a caller, one built at run time, a module outside the tree): a
    /// setting may then be made there, so "missing setting" rules stay quiet. Configuration
    /// files and environment variables the operator supplies (`from_pyfile`, `from_envvar`)
    /// are the deployment's, not the code's defaults, and do not count.
    pub fn config_unseen(&self) -> bool {
        self.config_unseen
    }

    /// Whether `qualified` (a class or module) is loaded as Flask configuration somewhere.
    pub fn is_config_object(&self, qualified: &str) -> bool {
        self.config_objects.names.contains(qualified)
    }

    /// Whether `module` holds a class loaded as configuration (so its other config classes,
    /// e.g. the base class, are configuration too).
    pub fn module_holds_config(&self, module: &str) -> bool {
        self.config_objects.names.iter().any(|c| {
            c.strip_prefix(module)
                .is_some_and(|rest| rest.starts_with('.'))
                // Spelled from the import root, below the scan root: `grid.settings.X` names
                // a class of `app.grid.settings`.
                || c.rsplit_once('.').is_some_and(|(spelled, _)| {
                    module
                        .strip_suffix(spelled)
                        .is_some_and(|head| head.ends_with('.'))
                })
        })
    }

    /// Whether some project module imports `name` by name (`from m import name`), so a
    /// module-level value unused in its own file may still be used elsewhere.
    pub fn imports_name(&self, name: &str) -> bool {
        self.imported_names.contains(name)
    }

    /// The one top-level project class named `short` (its last name part), whatever module
    /// defines it: a class named where the code could not resolve it (an import inside a
    /// function).
    pub fn unique_class(&self, short: &str) -> Option<&str> {
        let suffix = format!(".{short}");
        let mut found = self
            .class_bases
            .keys()
            .chain(self.view_methods.keys())
            .filter(|k| k.ends_with(&suffix));
        let first = found.next()?;
        found.all(|k| k == first).then_some(first.as_str())
    }

    /// The HTTP methods the project's class-based view `class` answers: what it and its project
    /// bases declare (a `methods` list, handler methods), as Flask's `View`/`MethodView` collect
    /// them; `None` when none of them declares any.
    pub fn view_methods(&self, class: &str) -> Option<Vec<String>> {
        let mut out: Vec<String> = self
            .class_lineage(class)
            .iter()
            .filter_map(|c| self.view_methods.get(c.as_str()))
            .flatten()
            .cloned()
            .collect();
        out.sort();
        out.dedup();
        (!out.is_empty()).then_some(out)
    }

    /// `class` and the project classes it derives from, at any depth (bounded): the classes
    /// whose methods may handle a request to a class-based view, as a base's `post` hands it to
    /// a method the subclass defines (`self.POST(...)`).
    pub fn class_lineage(&self, class: &str) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        let mut todo = vec![(class, 0)];
        while let Some((c, depth)) = todo.pop() {
            if depth > 8 || seen.iter().any(|s| s == c) {
                continue;
            }
            seen.push(c.to_string());
            for b in self.class_bases.get(c).into_iter().flatten() {
                todo.push((b, depth + 1));
            }
        }
        seen
    }

    /// The library class (`flask.Flask`, `flask_wtf.CSRFProtect`...) a project class subclasses, at
    /// any depth, when it is one the rules know.
    pub fn library_class_of(&self, class: &str) -> Option<&str> {
        self.subclasses.get(class).map(String::as_str)
    }

    /// The PyYAML loader (`yaml.SafeLoader`, `yaml.Loader`...) the project class `class` derives
    /// from, following project classes and taking the first base that leads to one, as Python's
    /// method order does: its constructors are the ones a `yaml.load` with the class runs.
    pub fn yaml_loader_of(&self, class: &str) -> Option<&str> {
        if let Some(l) = self.yaml_loaders.get(class) {
            return Some(l);
        }
        // Spelled as imported, shorter than the qualified name when the scan root is above the
        // package (`pkg.loaders.X` imported as `loaders.X`): one class ending so is the one.
        let suffix = format!(".{class}");
        let mut found = self
            .yaml_loaders
            .iter()
            .filter(|(k, _)| k.ends_with(&suffix));
        match (found.next(), found.next()) {
            (Some((_, l)), None) => Some(l),
            _ => None,
        }
    }

    /// Whether `module` is a module of the scanned tree.
    pub fn has_module(&self, module: &str) -> bool {
        self.modules.contains(module)
    }
}

/// The test support among `files` (see [`test_support`]); what a file's `from_object` loads
/// counts as imported by it.
fn find_test_support(files: &[&SourceFile], facts: &mut [ModuleFacts]) -> HashSet<String> {
    for f in facts.iter_mut() {
        for name in f.config_objects.from_object.iter().flatten() {
            f.imports.add_loaded(name);
        }
    }
    let modules: Vec<test_support::Module> = files
        .iter()
        .zip(facts.iter())
        .map(|(file, f)| test_support::Module {
            path: &file.path,
            module: &file.module,
            facts: &f.imports,
        })
        .collect();
    test_support::test_support(&modules)
}

fn merge_maps(
    mut a: HashMap<String, String>,
    b: HashMap<String, String>,
) -> HashMap<String, String> {
    a.extend(b);
    a
}

fn semantic_for<'p>(file: &SourceFile, project: &'p dyn ProjectLookup) -> Semantic<'p> {
    Semantic::new(&file.module, file.path.ends_with("__init__.py"), project)
}

/// Records imports and simple `name = <resolvable>` bindings of one statement.
pub fn bind_statement(sem: &mut Semantic, stmt: &Stmt) {
    match stmt {
        Stmt::FunctionDef(f) if sem.at_module_level() => {
            let q = qualify(sem.module(), &f.name);
            sem.bind_qualified(f.name.as_str(), q);
        }
        Stmt::ClassDef(c) if sem.at_module_level() => {
            let q = qualify(sem.module(), &c.name);
            sem.bind_qualified(c.name.as_str(), q);
        }
        Stmt::Import(i) => sem.import(i),
        Stmt::ImportFrom(i) => sem.import_from(i),
        Stmt::Assign(a) => {
            for target in &a.targets {
                bind_target(sem, target, Some(&a.value));
            }
        }
        Stmt::AnnAssign(a) => bind_target(sem, &a.target, a.value.as_deref()),
        _ => {}
    }
}

/// Binds one assignment target: a resolvable value binds its qualified name, anything else shadows.
pub fn bind_target(sem: &mut Semantic, target: &Expr, value: Option<&Expr>) {
    match target {
        Expr::Name(n) => match value.and_then(|v| sem.resolve(v)) {
            Some(q) => sem.bind_qualified(n.id.as_str(), q),
            None => sem.bind_unknown(n.id.as_str()),
        },
        Expr::Tuple(t) => t.elts.iter().for_each(|e| bind_target(sem, e, None)),
        Expr::List(l) => l.elts.iter().for_each(|e| bind_target(sem, e, None)),
        Expr::Starred(s) => bind_target(sem, &s.value, None),
        _ => {}
    }
}

/// The names a file imports with `from m import name`, at module level or directly in a
/// function or method body (lazy imports).
fn names_imported_from(file: &SourceFile) -> Vec<String> {
    fn collect(body: &[Stmt], depth: u8, out: &mut Vec<String>) {
        for stmt in body {
            match stmt {
                Stmt::ImportFrom(i) => out.extend(i.names.iter().map(|a| a.name.to_string())),
                Stmt::FunctionDef(f) if depth < 2 => collect(&f.body, depth + 1, out),
                Stmt::ClassDef(c) if depth < 2 => collect(&c.body, depth + 1, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    collect(file.body(), 0, &mut out);
    out
}

/// The names `from module import *` binds: `__all__` when it is a literal list or tuple, else
/// every module-level function, class and assigned name not starting with `_`.
fn star_exports(file: &SourceFile) -> Vec<String> {
    let mut names = Vec::new();
    for stmt in file.body() {
        match stmt {
            Stmt::Assign(a) => {
                for t in &a.targets {
                    let Expr::Name(n) = t else { continue };
                    if n.id.as_str() == "__all__" {
                        if let Expr::List(ast::ExprList { elts, .. })
                        | Expr::Tuple(ast::ExprTuple { elts, .. }) = &*a.value
                        {
                            return elts
                                .iter()
                                .filter_map(super::flask::string_literal)
                                .collect();
                        }
                    }
                    names.push(n.id.to_string());
                }
            }
            Stmt::FunctionDef(f) => names.push(f.name.to_string()),
            Stmt::ClassDef(c) => names.push(c.name.to_string()),
            _ => {}
        }
    }
    names.retain(|n| !n.starts_with('_'));
    names
}

fn collect_factories(file: &SourceFile, mut sem: Semantic, returns: &mut HashMap<String, String>) {
    for stmt in file.body() {
        bind_statement(&mut sem, stmt);
        match stmt {
            Stmt::FunctionDef(f) => {
                sem.push_scope();
                if returns_app(&mut sem, &f.body, 0) {
                    returns.insert(qualify(&file.module, &f.name), FLASK.to_string());
                }
                sem.pop_scope();
            }
            Stmt::ClassDef(c) => {
                let subclasses_flask = c
                    .arguments
                    .as_ref()
                    .is_some_and(|a| a.args.iter().any(|b| sem.is(b, FLASK)));
                if subclasses_flask {
                    returns.insert(qualify(&file.module, &c.name), FLASK.to_string());
                }
            }
            _ => {}
        }
    }
}

/// The module-level functions of `file` that only return a generator's new value.
/// `sys.exit(...)`, `os._exit(...)`, `exit()`, `quit()`, `raise SystemExit(...)`: a statement
/// that ends the process.
pub fn exits_process(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Raise(r) => r.exc.as_deref().is_some_and(|e| {
            let e = match e {
                Expr::Call(c) => &*c.func,
                other => other,
            };
            matches!(e, Expr::Name(n) if n.id.as_str() == "SystemExit")
        }),
        Stmt::Expr(e) => matches!(&*e.value, Expr::Call(c) if match &*c.func {
            Expr::Name(n) => matches!(n.id.as_str(), "exit" | "quit"),
            Expr::Attribute(a) => matches!(a.attr.as_str(), "exit" | "_exit")
                && matches!(&*a.value, Expr::Name(n) if matches!(n.id.as_str(), "sys" | "os")),
            _ => false,
        }),
        _ => false,
    }
}

fn collect_fresh_functions(file: &SourceFile, mut sem: Semantic) -> Vec<String> {
    let mut out = Vec::new();
    for stmt in file.body() {
        bind_statement(&mut sem, stmt);
        if let Stmt::FunctionDef(f) = stmt {
            if fresh::returns_fresh(&sem, &f.body) {
                out.push(qualify(&file.module, &f.name));
            }
        }
    }
    out
}

/// Library classes whose project subclasses still are what they subclass: an app, a blueprint, a
/// CSRF or security-headers extension.
fn is_library_root(name: &str) -> bool {
    super::flask::is_route_owner(name)
        || matches!(
            name,
            "flask_wtf.CSRFProtect" | "flask_seasurf.SeaSurf" | "flask_talisman.Talisman"
        )
}

/// Calling a subclass of a [library root](is_library_root) (at any depth, across modules: `class
/// ServerModule(AppModule)`, `class AppModule(Blueprint)`) makes what its root makes, so routes
/// declared on the instance are routes and `init_app` of a CSRF subclass protects the app.
/// Returns each such class with its root.
fn library_subclasses(classes: &[(String, Vec<String>)]) -> HashMap<String, String> {
    let mut found: HashMap<String, String> = HashMap::default();
    let last = |name: &str| name.rsplit('.').next().unwrap_or(name).to_string();
    let mut by_last: HashMap<String, Vec<&str>> = HashMap::default();
    for (class, _) in classes {
        by_last.entry(last(class)).or_default().push(class);
    }
    // A base is spelled as its module imports it (`pgadmin.utils.X`), which is shorter than the
    // qualified name when the scan root is above the package (`src.pgadmin.utils.X`).
    let root = |spelled: &str, found: &HashMap<String, String>| -> Option<String> {
        if is_library_root(spelled) {
            return Some(spelled.to_string());
        }
        by_last
            .get(&last(spelled))?
            .iter()
            .filter(|defined| {
                **defined == spelled
                    || defined
                        .strip_suffix(spelled)
                        .is_some_and(|head| head.ends_with('.'))
            })
            .find_map(|defined| found.get(*defined))
            .cloned()
    };
    // Each round settles at least one more level of the hierarchy.
    for _ in 0..classes.len().min(64) {
        let mut changed = false;
        for (class, bases) in classes {
            if found.contains_key(class) {
                continue;
            }
            if let Some(r) = bases.iter().find_map(|b| root(b, &found)) {
                found.insert(class.clone(), r);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    found
}

/// For each project class, the first library base (in base order, depth first through project
/// classes, as the method order finds a method) that `is_root` accepts. Unlike
/// [`library_subclasses`], a later base never wins over an earlier one, so a class whose first
/// base leads to an unsafe library class is not taken for its later, safer one.
fn first_library_bases(
    classes: &[(String, Vec<String>)],
    is_root: &dyn Fn(&str) -> bool,
) -> HashMap<String, String> {
    let mut out = HashMap::default();
    if !classes
        .iter()
        .any(|(_, bases)| bases.iter().any(|b| is_root(b)))
    {
        return out;
    }
    let bases_of: HashMap<&str, &[String]> = classes
        .iter()
        .map(|(c, b)| (c.as_str(), b.as_slice()))
        .collect();
    let last = |name: &str| name.rsplit('.').next().unwrap_or(name).to_string();
    let mut by_last: HashMap<String, Vec<&str>> = HashMap::default();
    for (class, _) in classes {
        by_last.entry(last(class)).or_default().push(class);
    }
    // A base is spelled as its module imports it, possibly shorter than the qualified name.
    let defined_as = |spelled: &str| -> Option<&str> {
        by_last
            .get(&last(spelled))?
            .iter()
            .copied()
            .find(|defined| {
                *defined == spelled
                    || defined
                        .strip_suffix(spelled)
                        .is_some_and(|head| head.ends_with('.'))
            })
    };
    fn walk<'c>(
        class: &str,
        depth: usize,
        bases_of: &HashMap<&str, &'c [String]>,
        defined_as: &dyn Fn(&str) -> Option<&'c str>,
        is_root: &dyn Fn(&str) -> bool,
    ) -> Option<&'c str> {
        if depth > 8 {
            return None;
        }
        bases_of.get(class)?.iter().find_map(|b| {
            if is_root(b) {
                return Some(b.as_str());
            }
            walk(defined_as(b)?, depth + 1, bases_of, defined_as, is_root)
        })
    }
    for (class, _) in classes {
        if let Some(root) = walk(class, 0, &bases_of, &defined_as, is_root) {
            out.insert(class.clone(), root.to_string());
        }
    }
    out
}

/// Whether a function body returns a Flask app (directly or through a local variable).
fn returns_app(sem: &mut Semantic, body: &[Stmt], depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    let mut found = false;
    for stmt in body {
        bind_statement(sem, stmt);
        found |= match stmt {
            Stmt::Return(r) => r.value.as_deref().is_some_and(|v| sem.is(v, FLASK)),
            Stmt::If(i) => {
                returns_app(sem, &i.body, depth + 1)
                    || i.elif_else_clauses
                        .iter()
                        .any(|c| returns_app(sem, &c.body, depth + 1))
            }
            Stmt::With(w) => returns_app(sem, &w.body, depth + 1),
            Stmt::Try(t) => {
                returns_app(sem, &t.body, depth + 1) || returns_app(sem, &t.orelse, depth + 1)
            }
            _ => false,
        };
    }
    found
}

/// Also collects the top-level classes' resolved bases into `class_bases`, when given, in the
/// same walk.
/// Returns the semantic model with the module's names bound.
fn collect_variables_and_config<'p>(
    file: &SourceFile,
    mut sem: Semantic<'p>,
    variables: &mut HashMap<String, String>,
    config_objects: &mut ConfigObjects,
    mut class_bases: Option<&mut Vec<(String, Vec<String>)>>,
    test_file: bool,
) -> Semantic<'p> {
    let mut visitor = ConfigObjectVisitor {
        sem: &mut sem,
        found: config_objects,
        depth: 0,
        params: Vec::new(),
        test_file,
    };
    // Only files that mention the loaders need the full walk; the rest need their top level.
    let loads_config = memchr::memmem::find_iter(file.text.as_bytes(), b"from_")
        .any(|at| matches!(file.text.get(at + 5..at + 11), Some("object" | "pyfile")));
    for stmt in file.body() {
        if loads_config {
            ast::visitor::Visitor::visit_stmt(&mut visitor, stmt);
        } else {
            bind_statement(visitor.sem, stmt);
        }
        if let (Some(out), Stmt::ClassDef(c)) = (class_bases.as_deref_mut(), stmt) {
            let bases: Vec<String> = c
                .arguments
                .iter()
                .flat_map(|a| a.args.iter())
                .filter_map(|b| visitor.sem.resolve(b))
                .collect();
            if !bases.is_empty() {
                out.push((qualify(&file.module, &c.name), bases));
            }
        }
        // `app = Flask(...)`, `csrf = CSRFProtect()`, `bp = Blueprint(...)`: other modules import
        // these objects, and rules need to know what they are there.
        if let Stmt::Assign(a) = stmt {
            if let (Expr::Call(_), Some(q)) = (&*a.value, visitor.sem.resolve(&a.value)) {
                for t in &a.targets {
                    if let Expr::Name(n) = t {
                        variables.insert(qualify(&file.module, &n.id), q.clone());
                    }
                }
            }
        }
    }
    sem
}

/// Finds `config.from_object(X)` / `from_pyfile("x.py")` anywhere in a file.
struct ConfigObjectVisitor<'a, 'p> {
    sem: &'a mut Semantic<'p>,
    found: &'a mut ConfigObjects,
    depth: usize,
    /// Parameters of the enclosing functions, with the config object their default names
    /// (`None` without one): `def create_app(config=settings)` loads `settings` unless a caller
    /// passes another.
    params: Vec<(String, Option<String>)>,
    /// The file is test code.
    test_file: bool,
}

impl ConfigObjectVisitor<'_, '_> {
    /// What `from_object(arg)` loads, `None` when it cannot be followed.
    fn loaded(&self, method: &str, arg: &Expr) -> Option<String> {
        if let Expr::Name(n) = arg {
            if let Some((_, default)) = self.params.iter().rev().find(|(p, _)| p == n.id.as_str()) {
                return default.clone();
            }
        }
        if let Expr::Subscript(s) = arg {
            // `from_object(configs[name])`: one of the objects a project dict holds.
            return self.loaded(method, &s.value);
        }
        config_object_name(self.sem, method, arg)
    }

    /// The parameters of `f` with the config object each default names.
    fn param_defaults(&self, f: &ast::StmtFunctionDef) -> Vec<(String, Option<String>)> {
        f.parameters
            .iter_non_variadic_params()
            .map(|p| {
                let default = match p.default.as_deref() {
                    Some(d @ (Expr::Name(_) | Expr::Attribute(_) | Expr::StringLiteral(_))) => {
                        config_object_name(self.sem, "from_object", d)
                    }
                    _ => None,
                };
                (p.parameter.name.to_string(), default)
            })
            .collect()
    }
}

impl<'x> ast::visitor::Visitor<'x> for ConfigObjectVisitor<'_, '_> {
    fn visit_stmt(&mut self, stmt: &'x Stmt) {
        if self.depth > super::MAX_DEPTH {
            return;
        }
        bind_statement(self.sem, stmt);
        self.depth += 1;
        if let Stmt::FunctionDef(f) = stmt {
            let outer = self.params.len();
            let params = self.param_defaults(f);
            self.params.extend(params);
            ast::visitor::walk_stmt(self, stmt);
            self.params.truncate(outer);
        } else {
            ast::visitor::walk_stmt(self, stmt);
        }
        self.depth -= 1;
    }

    fn visit_expr(&mut self, expr: &'x Expr) {
        if self.depth > super::MAX_DEPTH {
            return;
        }
        if let Expr::Call(call) = expr {
            if let Expr::Attribute(attr) = &*call.func {
                let method = attr.attr.as_str();
                if method == "from_object" {
                    if let Some(arg) = call.arguments.args.first() {
                        let loaded = self.loaded(method, arg);
                        // Test code configures throwaway apps: not what the app runs with.
                        // `configs[name]` counts only as loaded: which of the dict's objects
                        // runs is not known.
                        if let Some(name) = loaded
                            .clone()
                            .filter(|_| !matches!(arg, Expr::Subscript(_)))
                        {
                            self.found.names.insert(name);
                        }
                        // `"pkg.settings.%sConfig" % env`: some class of that module, so its
                        // classes are configuration (see `module_holds_config`).
                        if let Some(module) = super::config_choice::formatted_module(arg) {
                            self.found.names.insert(format!("{module}.*"));
                        }
                        if !self.test_file {
                            self.found.from_object.insert(loaded);
                        }
                    }
                } else if method == "from_pyfile" {
                    // A file named at run time is the operator's, not the code's.
                    if let Some(arg) = call.arguments.args.first() {
                        if let Some(name) = config_object_name(self.sem, method, arg) {
                            self.found.names.insert(name);
                        }
                    }
                }
            }
        }
        self.depth += 1;
        ast::visitor::walk_expr(self, expr);
        self.depth -= 1;
    }
}

fn config_object_name(sem: &Semantic, method: &str, arg: &Expr) -> Option<String> {
    match arg {
        Expr::StringLiteral(s) => {
            let s = s.value.to_str();
            if method == "from_pyfile" {
                let stem = s.rsplit('/').next()?.strip_suffix(".py").unwrap_or(s);
                Some(stem.replace('/', "."))
            } else {
                Some(s.replace(':', "."))
            }
        }
        Expr::Name(n) => Some(
            sem.resolve(arg)
                .unwrap_or_else(|| qualify(sem.module(), &n.id)),
        ),
        _ => sem.resolve(arg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(path: &str, code: &str) -> SourceFile {
        SourceFile::parse(path, code.to_string()).0
    }

    #[test]
    fn a_factory_in_one_module_types_the_variable_of_another() {
        let factory = parse(
            "shop/__init__.py",
            "from flask import Flask\n\ndef create_app():\n    app = Flask(__name__)\n    app.config.from_object('shop.settings.Prod')\n    return app\n",
        );
        let main = parse(
            "wsgi.py",
            "from shop import create_app\nimport logging\n\napp = create_app()\nlog = logging.getLogger(__name__)\n",
        );
        let index = ProjectIndex::build(&[&factory, &main]);
        assert_eq!(index.return_type("shop.create_app"), Some(FLASK));
        assert_eq!(index.variable_type("wsgi.app"), Some(FLASK));
        assert_eq!(index.variable_type("wsgi.log"), Some("logging.getLogger"));
        assert!(index.is_config_object("shop.settings.Prod"));
        assert!(index.module_holds_config("shop.settings"));
        assert!(index.has_module("wsgi"));
    }

    #[test]
    fn a_parameter_default_names_the_config_and_a_bare_parameter_is_unseen() {
        let settings = parse("shop/settings.py", "MAX_CONTENT_LENGTH = 1024\n");
        let factory = parse(
            "shop/__init__.py",
            "from flask import Flask\nfrom shop import settings\n\ndef create_app(cfg=settings):\n    app = Flask(__name__)\n    app.config.from_object(cfg)\n    app.config.from_envvar('SHOP_CONF')\n    return app\n",
        );
        let index = ProjectIndex::build(&[&settings, &factory]);
        assert!(index.is_config_object("shop.settings"));
        assert!(!index.config_unseen());
        let bare = parse(
            "shop/__init__.py",
            "from flask import Flask\n\ndef create_app(cfg):\n    app = Flask(__name__)\n    app.config.from_object(cfg)\n    return app\n",
        );
        assert!(ProjectIndex::build(&[&settings, &bare]).config_unseen());
    }

    #[test]
    fn without_factories_each_file_keeps_its_own_variables() {
        let a = parse("a.py", "import requests\nsession = requests.Session()\n");
        let b = parse("b.py", "from a import session\nclient = session\n");
        let index = ProjectIndex::build(&[&a, &b]);
        assert_eq!(index.variable_type("a.session"), Some("requests.Session"));
        assert_eq!(index.variable_type("b.client"), None);
        assert_eq!(index.return_type("a.session"), None);
    }
}
