//! Test support kept outside test folders: `pkg/lib/testlib.py` with the base test case and a
//! test config, `pkg/lib/create_test_data.py` with fixture users. Such a module is test code
//! when its name or imports say it serves tests, only test code imports it, and it does not run
//! on its own: the passwords, debug switches and throwaway apps in it are the tests', as they
//! would be under `tests/`.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_python_ast::statement_visitor::{walk_stmt, StatementVisitor};
use ruff_python_ast::{Expr, Stmt};

use super::source::is_test_path;
use super::SourceFile;

/// What one file tells about its place among the tests.
#[derive(Debug, Default)]
pub struct ImportFacts {
    /// The dotted names the file imports, at any depth (relative imports made absolute), each
    /// with its parent packages, which the import runs too; and what its `from_object` calls
    /// load.
    pub imports: Vec<String>,
    /// The file runs on its own or serves an app: a top-level `if __name__ == "__main__"`, or
    /// an app built at module level (`app = create_app()`), which a WSGI server imports by name.
    pub entry_point: bool,
    /// The file imports a test framework (`pytest`, `unittest`, `flask_testing`...).
    pub imports_test_framework: bool,
    /// The file defines pytest fixtures at its top level (`@pytest.fixture`): a pytest plugin
    /// or fixture module, which pytest loads by entry point or `pytest_plugins` rather than by
    /// an import.
    pub defines_fixtures: bool,
    /// Blueprints (dotted `module.name`) the file registers only on a branch that runs under
    /// tests: `if app.testing: app.register_blueprint(dev_api_bp)`.
    pub test_blueprints: Vec<String>,
    /// Blueprints the file registers anywhere else.
    pub blueprints: Vec<String>,
}

/// The [`ImportFacts`] of `file`.
pub fn collect(file: &SourceFile) -> ImportFacts {
    let mut facts = ImportFacts::default();
    let package = file.path.ends_with("__init__.py");
    // What `from` imports bind is only needed to follow registered blueprints.
    let mut imported = file
        .text
        .contains("register_blueprint")
        .then(HashMap::default);
    collect_imports(
        file.body(),
        &file.module,
        package,
        &mut facts.imports,
        imported.as_mut(),
    );
    facts.imports.sort_unstable();
    facts.imports.dedup();
    facts.imports_test_framework = facts.imports.iter().any(|m| is_test_framework(m));
    if let Some(imported) = imported {
        let mut registrations = Registrations {
            imported: &imported,
            under_test: false,
            depth: 0,
            facts: &mut facts,
        };
        registrations.visit_body(file.body());
    }
    facts.defines_fixtures = facts
        .imports
        .binary_search_by(|m| m.as_str().cmp("pytest"))
        .is_ok()
        && file.body().iter().any(|stmt| match stmt {
            Stmt::FunctionDef(f) => f
                .decorator_list
                .iter()
                .any(|d| is_fixture_decorator(&d.expression)),
            _ => false,
        });
    facts.entry_point = file.body().iter().any(|stmt| match stmt {
        Stmt::If(i) => is_main_guard(&i.test),
        Stmt::Assign(a) => builds_app(&a.value),
        Stmt::AnnAssign(a) => a.value.as_deref().is_some_and(builds_app),
        _ => false,
    });
    facts
}

/// Collects the blueprints a file registers, telling registrations on a test-only branch apart.
struct Registrations<'i, 'f> {
    imported: &'i HashMap<String, String>,
    under_test: bool,
    depth: usize,
    facts: &'f mut ImportFacts,
}

impl<'a> StatementVisitor<'a> for Registrations<'_, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.depth > super::MAX_DEPTH {
            return;
        }
        match stmt {
            Stmt::Expr(e) => {
                let Expr::Call(c) = &*e.value else { return };
                let registers = matches!(&*c.func,
                    Expr::Attribute(a) if a.attr.as_str() == "register_blueprint");
                let target = match c.arguments.args.first() {
                    Some(Expr::Name(n)) if registers => self.imported.get(n.id.as_str()),
                    _ => None,
                };
                if let Some(t) = target {
                    let list = if self.under_test {
                        &mut self.facts.test_blueprints
                    } else {
                        &mut self.facts.blueprints
                    };
                    list.push(t.clone());
                }
            }
            // Only the branch the test selects runs under tests; `else` runs elsewhere.
            Stmt::If(i) if !self.under_test && tests_for_tests(&i.test) => {
                self.depth += 1;
                self.under_test = true;
                self.visit_body(&i.body);
                self.under_test = false;
                for clause in &i.elif_else_clauses {
                    self.visit_body(&clause.body);
                }
                self.depth -= 1;
            }
            _ => {
                self.depth += 1;
                walk_stmt(self, stmt);
                self.depth -= 1;
            }
        }
    }
}

/// `app.testing`, `config["TESTING"]`, `settings.is_test_db`, `TEST_MODE`: a condition that
/// holds only when the app runs under tests (a name, attribute or key with a word `test`,
/// `tests` or `testing`), possibly with others (`a and b`).
fn tests_for_tests(test: &Expr) -> bool {
    let is_test_word = |name: &str| {
        super::words::words(name)
            .iter()
            .any(|w| matches!(w.as_str(), "test" | "tests" | "testing"))
    };
    match test {
        Expr::Name(n) => is_test_word(n.id.as_str()),
        Expr::Attribute(a) => is_test_word(a.attr.as_str()),
        Expr::Subscript(s) => {
            matches!(&*s.slice, Expr::StringLiteral(k) if is_test_word(k.value.to_str()))
        }
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Attribute(a) if a.attr.as_str() == "get")
                && matches!(c.arguments.args.first(), Some(Expr::StringLiteral(k)) if is_test_word(k.value.to_str()))
        }
        Expr::BoolOp(b) if b.op == ruff_python_ast::BoolOp::And => {
            b.values.iter().any(tests_for_tests)
        }
        _ => false,
    }
}

/// `@pytest.fixture`, `@pytest.fixture(scope="session")`.
fn is_fixture_decorator(decorator: &Expr) -> bool {
    let callee = match decorator {
        Expr::Call(c) => &*c.func,
        other => other,
    };
    matches!(callee, Expr::Attribute(a)
        if a.attr.as_str() == "fixture"
            && matches!(&*a.value, Expr::Name(n) if n.id.as_str() == "pytest"))
}

/// Libraries only tests import.
fn is_test_framework(module: &str) -> bool {
    let top = module.split('.').next().unwrap_or(module);
    matches!(
        top,
        "pytest"
            | "unittest"
            | "flask_testing"
            | "nose"
            | "nose2"
            | "webtest"
            | "hypothesis"
            | "behave"
    ) || top.starts_with("pytest_")
}

/// `__name__ == "__main__"`, either way round.
fn is_main_guard(test: &Expr) -> bool {
    let Expr::Compare(c) = test else {
        return false;
    };
    let is = |e: &Expr, want: &str| match e {
        Expr::Name(n) => n.id.as_str() == want,
        Expr::StringLiteral(s) => s.value.to_str() == want,
        _ => false,
    };
    match (&*c.left, c.comparators.first()) {
        (left, Some(right)) => {
            (is(left, "__name__") && is(right, "__main__"))
                || (is(left, "__main__") && is(right, "__name__"))
        }
        _ => false,
    }
}

/// `Flask(...)`, `create_app()`, `make_app(...)`, `connexion.App(...)`: a call whose callee
/// names an app.
fn builds_app(value: &Expr) -> bool {
    let Expr::Call(c) = value else {
        return false;
    };
    let name = match &*c.func {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.as_str(),
        _ => return false,
    };
    name == "Flask" || name.to_ascii_lowercase().contains("app")
}

/// Every import statement of `body`, in functions, classes and branches too: a lazy import in a
/// command is as much an import as one at the top. `bound`, when given, receives the dotted
/// name each `from` import binds (`from pkg.dev import bp as dev_bp`: `dev_bp` → `pkg.dev.bp`).
fn collect_imports(
    body: &[Stmt],
    module: &str,
    package: bool,
    out: &mut Vec<String>,
    bound: Option<&mut HashMap<String, String>>,
) {
    struct Imports<'m, 'o> {
        module: &'m str,
        package: bool,
        depth: usize,
        out: &'o mut Vec<String>,
        bound: Option<&'o mut HashMap<String, String>>,
    }
    impl<'a> StatementVisitor<'a> for Imports<'_, '_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if self.depth > super::MAX_DEPTH {
                return;
            }
            match stmt {
                Stmt::Import(i) => {
                    for alias in &i.names {
                        push_with_parents(alias.name.as_str(), self.out);
                    }
                }
                Stmt::ImportFrom(i) => {
                    let Some(base) = absolute_module(
                        self.module,
                        self.package,
                        i.module.as_ref().map(|m| m.as_str()),
                        i.level,
                    ) else {
                        return;
                    };
                    if !base.is_empty() {
                        push_with_parents(&base, self.out);
                    }
                    // A name imported from a package may be its submodule.
                    for alias in &i.names {
                        let name = alias.name.as_str();
                        if name != "*" {
                            let dotted = if base.is_empty() {
                                name.to_string()
                            } else {
                                format!("{base}.{name}")
                            };
                            if let Some(bound) = self.bound.as_deref_mut() {
                                let local = alias.asname.as_ref().unwrap_or(&alias.name);
                                bound.insert(local.to_string(), dotted.clone());
                            }
                            self.out.push(dotted);
                        }
                    }
                }
                _ => {
                    self.depth += 1;
                    walk_stmt(self, stmt);
                    self.depth -= 1;
                }
            }
        }
    }
    Imports {
        module,
        package,
        depth: 0,
        out,
        bound,
    }
    .visit_body(body);
}

impl ImportFacts {
    /// Counts what a `config.from_object` of the file loads (`pkg.testlib.TestConfig`) as
    /// imported: the module is the app's configuration then, whatever its name.
    pub fn add_loaded(&mut self, name: &str) {
        push_with_parents(name, &mut self.imports);
    }
}

/// `a.b.c` and the packages importing it runs: `a.b`, `a`.
fn push_with_parents(name: &str, out: &mut Vec<String>) {
    let mut end = name.len();
    loop {
        out.push(name[..end].to_string());
        match name[..end].rfind('.') {
            Some(dot) => end = dot,
            None => break,
        }
    }
}

/// A `from` import's module made absolute, as [`super::semantic::Semantic::absolute_module`]
/// does.
fn absolute_module(module: &str, package: bool, from: Option<&str>, level: u32) -> Option<String> {
    if level == 0 {
        return from.map(str::to_string);
    }
    let mut parts: Vec<&str> = module.split('.').filter(|p| !p.is_empty()).collect();
    let drop = if package { level - 1 } else { level };
    for _ in 0..drop {
        parts.pop()?;
    }
    parts.extend(from);
    Some(parts.join("."))
}

/// Whether a file's own name says it serves tests: a `_`-separated word of it is `test`,
/// `tests`, `testing`, `testlib`, `testutils`... (`create_test_data.py`, `testlib.py`,
/// `testing_utils.py`), not merely starting with those letters (`testimonials.py`).
fn named_for_tests(path: &str) -> bool {
    let path = path.strip_suffix("/__init__.py").unwrap_or(path);
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.strip_suffix(".py").unwrap_or(name);
    stem.split('_').any(|word| {
        let word = word.to_ascii_lowercase();
        word.strip_prefix("test").is_some_and(|rest| {
            matches!(
                rest,
                "" | "s"
                    | "ing"
                    | "lib"
                    | "libs"
                    | "util"
                    | "utils"
                    | "case"
                    | "cases"
                    | "data"
                    | "helper"
                    | "helpers"
                    | "support"
                    | "tools"
                    | "fixtures"
                    | "base"
                    | "config"
                    | "settings"
            )
        })
    })
}

/// One scanned file as the derivation sees it.
pub struct Module<'a> {
    pub path: &'a str,
    pub module: &'a str,
    pub facts: &'a ImportFacts,
}

/// The paths of the files outside test folders that are test support: pytest fixture modules,
/// and files named for tests or importing a test framework, imported by at least one file and
/// only by test code (test folders and files, or test support found so, at any depth); none of
/// them an entry point. An import
/// names a module exactly or by its dotted tail (a tree scanned from above its import root
/// qualifies `pkg.testlib` as `src.pkg.testlib`).
pub fn test_support(modules: &[Module]) -> HashSet<String> {
    let mut found = test_blueprint_modules(modules);
    found.extend(test_imported_modules(modules));
    // A fixture module serves pytest whoever imports it: nothing but a test run calls a fixture.
    found.extend(
        modules
            .iter()
            .filter(|m| m.facts.defines_fixtures && !m.facts.entry_point)
            .map(|m| m.path.to_string()),
    );
    found
}

/// The paths of the modules defining a blueprint that is registered only on branches that run
/// under tests (a development API for the test suite): their views exist only in test runs.
fn test_blueprint_modules(modules: &[Module]) -> HashSet<String> {
    let registered: HashSet<&str> = modules
        .iter()
        .flat_map(|m| m.facts.blueprints.iter().map(String::as_str))
        .collect();
    let module_of = |target: &str| target.rsplit_once('.').map_or("", |(m, _)| m).to_string();
    let gated: HashSet<String> = modules
        .iter()
        .flat_map(|m| m.facts.test_blueprints.iter())
        .filter(|t| !registered.contains(t.as_str()))
        .map(|t| module_of(t))
        .collect();
    let named = |module: &str| gated.iter().any(|g| names_module(g, module));
    modules
        .iter()
        .filter(|m| !m.facts.entry_point && named(m.module))
        .map(|m| m.path.to_string())
        .collect()
}

/// Whether the dotted `name` an import (or registration) uses is `module`, exactly or by its
/// dotted tail (a tree scanned from above its import root qualifies `pkg.testlib` as
/// `src.pkg.testlib`).
fn names_module(name: &str, module: &str) -> bool {
    module == name
        || module
            .strip_suffix(name)
            .is_some_and(|head| head.ends_with('.'))
}

/// Test support found by its imports: see [`test_support`].
fn test_imported_modules(modules: &[Module]) -> HashSet<String> {
    let mut test: Vec<bool> = modules.iter().map(|m| is_test_path(m.path)).collect();
    let candidates: Vec<usize> = (0..modules.len())
        .filter(|&i| {
            let m = &modules[i];
            !test[i]
                && !m.facts.entry_point
                && (m.facts.imports_test_framework || named_for_tests(m.path))
        })
        .collect();
    if candidates.is_empty() {
        return HashSet::default();
    }
    let last = |name: &str| name.rsplit('.').next().unwrap_or(name).to_string();
    let mut by_last: HashMap<String, Vec<usize>> = HashMap::default();
    for (k, &c) in candidates.iter().enumerate() {
        by_last.entry(last(modules[c].module)).or_default().push(k);
    }
    let mut importers: Vec<Vec<usize>> = vec![Vec::new(); candidates.len()];
    for (j, m) in modules.iter().enumerate() {
        for name in &m.facts.imports {
            let Some(found) = by_last.get(name.rsplit('.').next().unwrap_or(name)) else {
                continue;
            };
            for &k in found {
                let c = candidates[k];
                if c != j
                    && names_module(name, modules[c].module)
                    && importers[k].last() != Some(&j)
                {
                    importers[k].push(j);
                }
            }
        }
    }
    // Each round settles at least one more link of a chain of test-support modules.
    loop {
        let mut changed = false;
        for (k, &c) in candidates.iter().enumerate() {
            if !test[c] && !importers[k].is_empty() && importers[k].iter().all(|&j| test[j]) {
                test[c] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    candidates
        .into_iter()
        .filter(|&c| test[c])
        .map(|c| modules[c].path.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(path: &str, code: &str) -> SourceFile {
        SourceFile::parse(path, code.to_string()).0
    }

    fn derive(files: &[SourceFile]) -> Vec<String> {
        let facts: Vec<ImportFacts> = files.iter().map(collect).collect();
        let modules: Vec<Module> = files
            .iter()
            .zip(&facts)
            .map(|(f, facts)| Module {
                path: &f.path,
                module: &f.module,
                facts,
            })
            .collect();
        let mut found: Vec<String> = test_support(&modules).into_iter().collect();
        found.sort();
        found
    }

    #[test]
    fn names_for_tests() {
        assert!(named_for_tests("pkg/lib/testlib.py"));
        assert!(named_for_tests("pkg/lib/create_test_data.py"));
        assert!(named_for_tests("pkg/testing_utils.py"));
        assert!(named_for_tests("pkg/testutils/__init__.py"));
        assert!(!named_for_tests("pkg/testimonials.py"));
        assert!(!named_for_tests("pkg/latest.py"));
        assert!(!named_for_tests("pkg/attest.py"));
    }

    #[test]
    fn blueprints_registered_only_under_tests() {
        let factory =
            "from flask import Flask\nfrom .dev import bp as dev_bp\nfrom .views import bp\n\
            def create_app():\n    app = Flask(__name__)\n    app.register_blueprint(bp)\n\
            \x20   if app.testing:\n        app.register_blueprint(dev_bp)\n    else:\n\
            \x20       app.register_blueprint(bp)\n    return app\n";
        let files = || {
            vec![
                parse("shop/__init__.py", factory),
                parse("shop/dev.py", "bp = Blueprint('dev', __name__)\n"),
                parse("shop/views.py", "bp = Blueprint('views', __name__)\n"),
            ]
        };
        assert_eq!(derive(&files()), ["shop/dev.py"]);
        // Registered elsewhere as well: the views are the app's.
        let mut more = files();
        more.push(parse(
            "shop/wsgi.py",
            "from shop.dev import bp\ndef extend(app):\n    app.register_blueprint(bp)\n",
        ));
        assert!(derive(&more).is_empty());
    }

    #[test]
    fn imported_only_by_tests() {
        let files = [
            parse(
                "shop/testlib.py",
                "from shop import create_app\nclass TestConfig:\n    DEBUG = True\n",
            ),
            parse(
                "shop/tests/test_views.py",
                "from shop.testlib import TestConfig\n",
            ),
            parse("shop/views.py", "from shop import models\n"),
            // Imported by test support only: test support too.
            parse("shop/helpers_testing.py", "X = 1\n"),
            parse(
                "shop/testsupport.py",
                "def f():\n    from . import helpers_testing\n",
            ),
            parse("shop/tests/test_more.py", "import shop.testsupport as t\n"),
        ];
        assert_eq!(
            derive(&files),
            [
                "shop/helpers_testing.py",
                "shop/testlib.py",
                "shop/testsupport.py"
            ]
        );
    }

    #[test]
    fn application_importers_and_entry_points_keep_it_application_code() {
        let files = [
            parse("shop/testlib.py", "X = 1\n"),
            parse("shop/tests/test_views.py", "from shop.testlib import X\n"),
            parse(
                "shop/cli.py",
                "def seed():\n    from shop.testlib import X\n",
            ),
            parse(
                "shop/create_test_data.py",
                "X = 1\nif __name__ == '__main__':\n    pass\n",
            ),
            parse(
                "shop/tests/test_data.py",
                "from shop import create_test_data\n",
            ),
            parse(
                "shop/testing_app.py",
                "from shop import create_app\napp = create_app()\n",
            ),
            parse(
                "shop/tests/test_app.py",
                "from shop.testing_app import app\n",
            ),
            // Imported by nothing: no one says it serves tests.
            parse("shop/support_testing.py", "X = 1\n"),
            // Named for nothing, and no test framework.
            parse("shop/helpers.py", "X = 1\n"),
            parse("shop/tests/test_helpers.py", "from shop.helpers import X\n"),
        ];
        assert!(derive(&files).is_empty());
    }

    #[test]
    fn a_test_framework_import_marks_it() {
        let files = [
            parse("shop/fixtures.py", "import pytest\n"),
            parse("shop/tests/conftest.py", "from shop.fixtures import *\n"),
        ];
        assert_eq!(derive(&files), ["shop/fixtures.py"]);
    }
}
