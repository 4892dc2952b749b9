//! Run-time choices between config classes: `Dev if develop else Prod`, an if/else whose
//! branches load (or return, or assign) different classes, a name->class dict with a
//! `"default"` entry, a class the operator names in an environment variable whose fallback
//! names another (`from_object(os.getenv("APP_SETTINGS", "pkg.config.Prod"))`). The arm of
//! such a choice that turns debug on while another arm does not is the *development
//! alternative*: a deployment runs the other arm, so the debug switch and placeholder key
//! written in it are not what production serves.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_python_ast::{self as ast, Expr, Stmt};

use super::semantic::{qualify, Semantic};
use crate::rules::helpers::{env_fallback, is_env_read, is_truthy_literal};

/// One run-time choice between classes, spelled as the choosing module resolves them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The classes chosen between.
    pub arms: Vec<String>,
    /// The arm a dict names under `"default"`, or the fallback of an environment read: the one
    /// that runs when nothing is chosen.
    pub default: Option<String>,
    /// The operator names the class at run time (an environment variable): any class of the
    /// default's module may be chosen, and only the default is known to run in production.
    pub open: bool,
    /// The arms a dict files under a test key (`"testing": TestingConfig`) and no other: the
    /// class the test suite asks for by name.
    pub test_arms: Vec<String>,
    /// Every class a dict names, kept when `arms` is cleared (no default): any may be loaded.
    pub listed: Vec<String>,
    /// For an open choice with no known fallback, the module the operator names a class of
    /// (`from_object("pkg.config.%sConfig" % env)`): its one class named for production that
    /// leaves debug off is what a deployment runs.
    pub module: Option<String>,
}

/// What judging a choice needs to know about one top-level class.
#[derive(Debug, Default, Clone)]
pub struct ClassFacts {
    /// Base classes, resolved as the defining module spells them.
    pub bases: Vec<String>,
    /// The class body's own `DEBUG = ...`: whether it is a truthy literal; `None` without one.
    pub debug: Option<bool>,
    /// The class body's own `TESTING = ...`, likewise.
    pub testing: Option<bool>,
    /// Defined in test code: what the tests configure, never a deployment.
    pub test_code: bool,
}

/// How deep statements, nested choices and class hierarchies are followed.
const MAX_DEPTH: usize = 8;

/// The `DEBUG` (or other `key`) a class body sets itself (see [`ClassFacts::debug`]).
pub fn own_setting(body: &[Stmt], key: &str) -> Option<bool> {
    body.iter().rev().find_map(|stmt| match stmt {
        Stmt::Assign(a)
            if a.targets
                .iter()
                .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == key)) =>
        {
            Some(is_truthy_literal(&a.value))
        }
        // `DEBUG: bool = True`, as typed config classes spell it.
        Stmt::AnnAssign(ast::StmtAnnAssign {
            target,
            value: Some(value),
            ..
        }) if matches!(&**target, Expr::Name(n) if n.id.as_str() == key) => {
            Some(is_truthy_literal(value))
        }
        _ => None,
    })
}

/// What one module chooses between and what it loads whatever happens.
#[derive(Debug, Default)]
pub struct ModuleChoices {
    /// Run-time choices between classes.
    pub choices: Vec<Choice>,
    /// Classes a `from_object` outside any branch loads (test code left out): whatever else
    /// chooses between them, these run.
    pub loaded: Vec<String>,
}

/// Every choice made in `body`, at any statement depth, and the classes loaded outside any
/// branch. `sem` has the module's top-level names bound, so a function may choose between
/// classes defined below it.
pub fn choices(sem: &Semantic, body: &[Stmt], test_code: bool) -> ModuleChoices {
    let mut walker = Walker {
        sem,
        test_code,
        out: ModuleChoices::default(),
        env_locals: HashMap::default(),
    };
    walker.walk(body, 0, false);
    walker.out
}

struct Walker<'s, 'p, 'a> {
    sem: &'s Semantic<'p>,
    test_code: bool,
    out: ModuleChoices,
    /// The enclosing function's locals bound to an environment read with a fallback, with
    /// that fallback: `name = os.getenv("K", "pkg.config.Prod")`.
    env_locals: HashMap<&'a str, &'a Expr>,
}

impl<'a> Walker<'_, '_, 'a> {
    /// `conditional`: `body` runs only on some branch of its function.
    fn walk(&mut self, body: &'a [Stmt], depth: usize, conditional: bool) {
        if depth > MAX_DEPTH {
            return;
        }
        for stmt in body {
            self.note_env_local(stmt);
            if let Some(value) = passed_value(stmt) {
                self.out.choices.extend(expression_choice(self.sem, value));
                // An environment read merely stored is not yet a class the app runs.
                if !matches!(stmt, Stmt::Assign(_) | Stmt::AnnAssign(_)) {
                    self.out.choices.extend(self.env_choice(value));
                }
            }
            if !conditional && !self.test_code {
                if let Some(class) = loaded_value(stmt).and_then(|v| self.direct_class(v)) {
                    self.out.loaded.push(class);
                }
            }
            if let Some(module) = loaded_value(stmt).and_then(formatted_module) {
                self.out.choices.push(Choice {
                    open: true,
                    module: Some(module),
                    ..Choice::default()
                });
            }
            match stmt {
                Stmt::If(i) => {
                    self.out.choices.extend(branch_choice(self.sem, i));
                    self.walk(&i.body, depth + 1, true);
                    for clause in &i.elif_else_clauses {
                        self.walk(&clause.body, depth + 1, true);
                    }
                }
                Stmt::FunctionDef(f) => {
                    let outer = std::mem::take(&mut self.env_locals);
                    self.walk(&f.body, depth + 1, false);
                    self.env_locals = outer;
                }
                Stmt::ClassDef(c) => self.walk(&c.body, depth + 1, conditional),
                Stmt::With(w) => self.walk(&w.body, depth + 1, conditional),
                Stmt::Try(t) => {
                    for part in [&t.body, &t.orelse, &t.finalbody] {
                        self.walk(part, depth + 1, conditional);
                    }
                }
                _ => {}
            }
        }
    }

    /// Tracks `name = <environment read with a fallback>`; any other binding of the name
    /// forgets it.
    fn note_env_local(&mut self, stmt: &'a Stmt) {
        let (target, value) = match stmt {
            Stmt::Assign(a) if a.targets.len() == 1 => (&a.targets[0], Some(&*a.value)),
            Stmt::AnnAssign(a) => (&*a.target, a.value.as_deref()),
            _ => return,
        };
        let Expr::Name(n) = target else {
            return;
        };
        match value
            .filter(|v| spells_env_read(v))
            .and_then(|v| env_fallback(self.sem, v))
        {
            Some(fallback) => {
                self.env_locals.insert(n.id.as_str(), fallback);
            }
            None if !self.env_locals.is_empty() => {
                self.env_locals.remove(n.id.as_str());
            }
            None => {}
        }
    }

    /// `os.getenv("K", "pkg.config.Prod")` (directly or through a local, or as the one
    /// placeholder of an f-string naming a class): the operator names the class, and the
    /// fallback runs when they name none.
    fn env_choice(&self, value: &'a Expr) -> Option<Choice> {
        let default = match value {
            Expr::Name(n) => self
                .env_locals
                .get(n.id.as_str())
                .and_then(|f| import_target(self.sem, f)),
            Expr::FString(f) => self.formatted_default(f),
            _ if spells_env_read(value) => {
                env_fallback(self.sem, value).and_then(|f| import_target(self.sem, f))
            }
            _ => None,
        }?;
        Some(Choice {
            arms: vec![default.clone()],
            default: Some(default),
            open: true,
            ..Choice::default()
        })
    }

    /// `f"pkg.config.{env}Config"` with `env` an environment read whose fallback is a string:
    /// the name the fallback spells.
    fn formatted_default(&self, f: &'a ast::ExprFString) -> Option<String> {
        // Most f-strings hold no environment read: skip them before building any text.
        let reads_env = f.value.elements().any(|el| match el {
            ast::InterpolatedStringElement::Interpolation(i) => match &*i.expression {
                Expr::Name(n) => self.env_locals.contains_key(n.id.as_str()),
                e => spells_env_read(e),
            },
            ast::InterpolatedStringElement::Literal(_) => false,
        });
        if !reads_env {
            return None;
        }
        let mut text = String::new();
        let mut placeholders = 0;
        for part in f.value.iter() {
            match part {
                ast::FStringPart::Literal(l) => text.push_str(&l.value),
                ast::FStringPart::FString(fs) => {
                    for el in fs.elements.iter() {
                        match el {
                            ast::InterpolatedStringElement::Literal(l) => text.push_str(&l.value),
                            ast::InterpolatedStringElement::Interpolation(i) => {
                                placeholders += 1;
                                // A conversion or format spec could spell the fallback otherwise.
                                let plain = i.conversion == ast::ConversionFlag::None
                                    && i.format_spec.is_none()
                                    && i.debug_text.is_none();
                                let fallback = match &*i.expression {
                                    Expr::Name(n) => self.env_locals.get(n.id.as_str()).copied(),
                                    e => env_fallback(self.sem, e),
                                };
                                match fallback {
                                    Some(Expr::StringLiteral(s)) if plain => {
                                        text.push_str(s.value.to_str());
                                    }
                                    _ => return None,
                                }
                            }
                        }
                    }
                }
            }
        }
        (placeholders == 1 && text.contains(['.', ':'])).then(|| text.replace(':', "."))
    }

    /// The class a branch-free `from_object(X)` loads: `X` spelled as a name, an attribute or
    /// an import string, not a local holding an environment read.
    fn direct_class(&self, value: &Expr) -> Option<String> {
        match value {
            Expr::Name(n) if self.env_locals.contains_key(n.id.as_str()) => None,
            Expr::Name(_) | Expr::Attribute(_) | Expr::StringLiteral(_) => {
                class_name(self.sem, value)
            }
            _ => None,
        }
    }
}

/// The module of an import string formatted in its class name only:
/// `"pkg.config.%sConfig" % env`, `"pkg.config.{}Config".format(env)`, `f"pkg.config.{env}Config"`
/// → `pkg.config`. (A fallback the value may spell is [`Walker::formatted_default`]'s business.)
pub fn formatted_module(value: &Expr) -> Option<String> {
    // The fixed text before the first placeholder, and whether any comes after it.
    let (before, after) = match value {
        Expr::FString(f) => {
            let pieces = super::fstring_pieces(f);
            if pieces.len() < 2 {
                return None; // No placeholder: a plain import string.
            }
            // Each placeholder stands where a `{` would in a `.format` template.
            let after = pieces[1..].join("{");
            (pieces[0].clone(), after)
        }
        _ => {
            let text = super::format_template(value)?;
            let at = text.find(['%', '{'])?;
            (text[..at].to_string(), text[at..].to_string())
        }
    };
    let before = before.replace(':', ".");
    // Only the class name is formatted: the module is spelled out whole.
    if after.contains(['.', ':']) {
        return None;
    }
    let module = before.strip_suffix('.')?;
    (!module.is_empty() && !module.contains(['%', '{', ' '])).then(|| module.to_string())
}

/// Whether `e` is spelled like an environment read with a fallback (`os.getenv(..)`,
/// `environ.get(..)`, `x.setdefault(..)`, `getenv(..) or ..`): a cheap test before resolving names.
fn spells_env_read(e: &Expr) -> bool {
    let call = match e {
        Expr::Call(c) => c,
        Expr::BoolOp(b) => match b.values.first() {
            Some(Expr::Call(c)) => c,
            _ => return false,
        },
        _ => return false,
    };
    match &*call.func {
        Expr::Attribute(a) => matches!(a.attr.as_str(), "getenv" | "get" | "setdefault"),
        Expr::Name(n) => n.id.as_str() == "getenv",
        _ => false,
    }
}

/// What `import_string` would load for an environment fallback: an import string (a bare word
/// names a module, not a class) or a class itself.
fn import_target(sem: &Semantic, fallback: &Expr) -> Option<String> {
    match fallback {
        Expr::StringLiteral(s) if !s.value.to_str().contains(['.', ':']) => None,
        _ => class_name(sem, fallback),
    }
}

/// The argument of `config.from_object(X)`.
fn loaded_value(stmt: &Stmt) -> Option<&Expr> {
    match stmt {
        Stmt::Expr(e) => match &*e.value {
            Expr::Call(c) if matches!(&*c.func, Expr::Attribute(m) if m.attr.as_str() == "from_object") => {
                c.arguments.args.first()
            }
            _ => None,
        },
        _ => None,
    }
}

/// The value a statement hands on: `return X`, `name = X`, `config.from_object(X)`.
fn passed_value(stmt: &Stmt) -> Option<&Expr> {
    match stmt {
        Stmt::Return(r) => r.value.as_deref(),
        Stmt::Assign(a) => Some(&a.value),
        Stmt::AnnAssign(a) => a.value.as_deref(),
        _ => loaded_value(stmt),
    }
}

/// `X if cond else Y` (nested conditionals flattened) or `{"dev": X, "default": Y}` (a
/// `"production"` entry stands for a missing `"default"`).
fn expression_choice(sem: &Semantic, value: &Expr) -> Option<Choice> {
    match value {
        Expr::If(_) => {
            let mut arms = Vec::new();
            conditional_arms(sem, value, 0, &mut arms);
            (arms.len() >= 2).then_some(Choice {
                arms,
                ..Choice::default()
            })
        }
        Expr::Dict(d) => {
            let mut choice = Choice::default();
            let mut production = None;
            for item in &d.items {
                let Some(arm) = class_name(sem, &item.value) else {
                    continue;
                };
                let key = item.key.as_ref().and_then(super::flask::string_literal);
                match key.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    Some("default") => choice.default = Some(arm.clone()),
                    Some("production" | "prod") => production = Some(arm.clone()),
                    Some(k) if is_test_key(k) => choice.test_arms.push(arm.clone()),
                    _ => {}
                }
                choice.arms.push(arm);
            }
            // Without a default entry, the production entry is what a deployment asks for.
            choice.default = choice.default.or(production);
            // A class filed under a test key and another one serves more than the tests.
            let under_other_keys = d.items.iter().filter(|item| {
                !item
                    .key
                    .as_ref()
                    .and_then(super::flask::string_literal)
                    .is_some_and(|k| is_test_key(&k))
            });
            let elsewhere: Vec<String> = under_other_keys
                .filter_map(|item| class_name(sem, &item.value))
                .collect();
            choice.test_arms.retain(|t| !elsewhere.contains(t));
            choice.listed.clone_from(&choice.arms);
            // Without either, which arm runs is decided elsewhere; the test entry still tells.
            if choice.arms.len() < 2 {
                return None;
            }
            if choice.default.is_none() {
                choice.arms.clear();
            }
            (!choice.arms.is_empty() || !choice.test_arms.is_empty()).then_some(choice)
        }
        _ => None,
    }
}

fn conditional_arms(sem: &Semantic, e: &Expr, depth: usize, arms: &mut Vec<String>) {
    match e {
        Expr::If(i) if depth < MAX_DEPTH => {
            conditional_arms(sem, &i.body, depth + 1, arms);
            conditional_arms(sem, &i.orelse, depth + 1, arms);
        }
        _ => arms.extend(class_name(sem, e)),
    }
}

/// `if ...: from_object(X) else: from_object(Y)` (or `return`/assign in each branch): each
/// branch, the else included, hands on one class, and they are not all the same. Or
/// `if os.environ.get("K"): config = pick(os.environ["K"]) else: config = "pkg.Prod"`: the
/// operator names the class, and the else branch's runs when they name none.
fn branch_choice(sem: &Semantic, i: &ast::StmtIf) -> Option<Choice> {
    if !i.elif_else_clauses.iter().any(|c| c.test.is_none()) {
        return None;
    }
    let branches = std::iter::once(&i.body).chain(i.elif_else_clauses.iter().map(|c| &c.body));
    let handed = |branch: &[Stmt]| {
        branch
            .iter()
            .filter_map(passed_value)
            .find_map(|v| class_name(sem, v))
    };
    if i.elif_else_clauses.len() == 1 && handed(&i.body).is_none() && tests_env(sem, &i.test) {
        let default = handed(&i.elif_else_clauses[0].body)?;
        return Some(Choice {
            arms: vec![default.clone()],
            default: Some(default),
            open: true,
            ..Choice::default()
        });
    }
    let mut arms = Vec::new();
    for branch in branches {
        arms.push(handed(branch)?);
    }
    arms.dedup();
    (arms.len() >= 2).then_some(Choice {
        arms,
        ..Choice::default()
    })
}

/// A dict key that files a config class for the test suite.
fn is_test_key(key: &str) -> bool {
    matches!(
        key.to_ascii_lowercase().as_str(),
        "test" | "testing" | "tests" | "unittest"
    )
}

/// Whether a test reads the environment: `os.environ.get("K")`, `"K" in os.environ`,
/// `os.getenv("K") == "1"`.
fn tests_env(sem: &Semantic, test: &Expr) -> bool {
    match test {
        Expr::Compare(c) => std::iter::once(&*c.left)
            .chain(c.comparators.iter())
            .any(|e| is_env_read(sem, e) || sem.is(e, "os.environ")),
        Expr::UnaryOp(u) => tests_env(sem, &u.operand),
        _ => is_env_read(sem, test),
    }
}

/// The qualified name an arm names: a name (one defined later in the module counts), a dotted
/// attribute, or an import string.
fn class_name(sem: &Semantic, e: &Expr) -> Option<String> {
    match e {
        Expr::Name(n) => Some(
            sem.resolve(e)
                .unwrap_or_else(|| qualify(sem.module(), &n.id)),
        ),
        Expr::Attribute(_) => sem.resolve(e),
        Expr::StringLiteral(s) => Some(s.value.to_str().replace(':', ".")),
        _ => None,
    }
}

/// The classes of `classes` that are the development alternative of some choice: one arm
/// (not a dict's default) that turns debug on or is named for development or tests, beside
/// another arm that does not turn debug on and does not inherit from it (an arm that inherits
/// would serve its settings in production). For a class
/// the operator names (see [`Choice::open`]) that other arm is the default. A class some code
/// `loaded` whatever happens is no alternative.
pub fn development_alternatives(
    choices: &[Choice],
    loaded: &[String],
    classes: &HashMap<String, ClassFacts>,
) -> HashSet<String> {
    let mut found = HashSet::default();
    if choices.is_empty() {
        return found;
    }
    let classes = Classes::new(classes);
    let loaded: HashSet<&str> = loaded.iter().filter_map(|l| classes.defined(l)).collect();
    for choice in choices {
        let default = classes.fallback(choice);
        let mut arms: Vec<&str> = match (choice.open, default) {
            (true, Some(default)) => classes.module_classes(default),
            (true, None) => continue,
            (false, _) => choice
                .arms
                .iter()
                .filter_map(|a| classes.defined(a))
                .collect(),
        };
        arms.sort_unstable();
        arms.dedup();
        for &arm in &arms {
            if Some(arm) == default
                || loaded.contains(arm)
                || !(classes.debug_on(arm) || names_development(arm))
            {
                continue;
            }
            let production = |other: &str| {
                other != arm
                    && !classes.debug_on(other)
                    && !names_development(other)
                    && !classes.inherits(other, arm, 0)
            };
            let production_elsewhere = if choice.open {
                default.is_some_and(production)
            } else {
                arms.iter().any(|&other| production(other))
            };
            if production_elsewhere {
                found.insert(arm.to_string());
            }
        }
    }
    found
}

/// Whether a class's name says it is for production (`ProductionConfig`, `ProdSettings`).
fn names_production(class: &str) -> bool {
    let last = class.rsplit('.').next().unwrap_or(class);
    super::words::words(last)
        .iter()
        .any(|w| is_production_word(w))
}

/// Whether a class's name says it is for development or tests (`DevelopmentConfig`,
/// `LocalSettings`, `TestConfig`), and not for production.
fn names_development(class: &str) -> bool {
    let last = class.rsplit('.').next().unwrap_or(class);
    let words = super::words::words(last);
    words.iter().any(|w| {
        matches!(
            w.as_str(),
            "development"
                | "dev"
                | "devel"
                | "local"
                | "test"
                | "testing"
                | "tests"
                // The settings a documentation build imports the app with.
                | "documentation"
                | "docs"
        )
    }) && !words.iter().any(|w| is_production_word(w))
}

/// `production`, `prod`, `live`: a word naming the deployed configuration.
fn is_production_word(w: &str) -> bool {
    matches!(w, "production" | "prod" | "live")
}

/// The config classes that are test configurations: they set `TESTING = True` (or inherit it),
/// as Flask's testing mode asks, or a dict of config classes files them under a test key
/// (`"testing": TestingConfig`); and no code outside tests loads them whatever happens or
/// falls back on them when nothing is chosen. Their debug switches, placeholder keys and
/// disabled CSRF serve the test client, not a deployment.
pub fn test_configs(
    choices: &[Choice],
    loaded: &[String],
    classes: &HashMap<String, ClassFacts>,
) -> HashSet<String> {
    let mut found = HashSet::default();
    let has_test_arms = choices.iter().any(|c| !c.test_arms.is_empty());
    if !has_test_arms && !classes.values().any(|c| c.testing == Some(true)) {
        return found;
    }
    let classes = Classes::new(classes);
    let runs: HashSet<&str> = loaded
        .iter()
        .chain(choices.iter().filter_map(|c| c.default.as_ref()))
        .filter_map(|l| classes.defined(l))
        .collect();
    let test_arms: HashSet<&str> = choices
        .iter()
        .flat_map(|c| &c.test_arms)
        .filter_map(|a| classes.defined(a))
        .collect();
    for name in classes.facts.keys() {
        let testing = test_arms.contains(name.as_str())
            || classes
                .setting(name, &|f: &ClassFacts| f.testing, 0)
                .unwrap_or(false);
        if testing && !runs.contains(name.as_str()) {
            found.insert(name.clone());
        }
    }
    found
}

/// The config classes whose own `DEBUG = True` reaches only development arms and test
/// configurations: a base class no code loads, chooses or lets the operator name itself, whose
/// every subclass outside test code that keeps debug on is one of `development` or `tests` (the
/// production subclass turns it off). Its other settings may still be served in production;
/// only its debug switch is not.
pub fn debug_confined(
    choices: &[Choice],
    loaded: &[String],
    classes: &HashMap<String, ClassFacts>,
    development: &HashSet<String>,
    tests: &HashSet<String>,
) -> HashSet<String> {
    let mut found = HashSet::default();
    if development.is_empty() && tests.is_empty() {
        return found;
    }
    let classes = Classes::new(classes);
    let mut chosen: HashSet<&str> = loaded
        .iter()
        .chain(
            choices
                .iter()
                .flat_map(|c| c.arms.iter().chain(&c.listed).chain(&c.default)),
        )
        .filter_map(|l| classes.defined(l))
        .collect();
    // The operator may name any class of the module an open choice falls back into.
    for choice in choices.iter().filter(|c| c.open) {
        if let Some(default) = classes.fallback(choice) {
            chosen.extend(classes.module_classes(default));
        }
    }
    for (name, facts) in classes.facts {
        if facts.debug != Some(true) || development.contains(name) || chosen.contains(name.as_str())
        {
            continue;
        }
        let mut heirs = classes
            .facts
            .iter()
            .filter(|(other, f)| !f.test_code && classes.inherits(other, name, 0))
            .map(|(other, _)| other)
            .peekable();
        if heirs.peek().is_none() {
            continue;
        }
        let mut debug_heirs = heirs.filter(|h| classes.debug_on(h));
        if debug_heirs.all(|h| development.contains(h) || tests.contains(h)) {
            found.insert(name.clone());
        }
    }
    found
}

/// The project's classes, with their qualified names by last segment for spelled lookups.
struct Classes<'c> {
    facts: &'c HashMap<String, ClassFacts>,
    by_last: HashMap<&'c str, Vec<&'c str>>,
}

impl<'c> Classes<'c> {
    fn new(facts: &'c HashMap<String, ClassFacts>) -> Self {
        let mut by_last: HashMap<&str, Vec<&str>> = HashMap::default();
        for name in facts.keys() {
            let last = name.rsplit('.').next().unwrap_or(name);
            by_last.entry(last).or_default().push(name);
        }
        Self { facts, by_last }
    }

    /// The defined class a spelled name stands for: the same name, or one it is the dotted
    /// tail of (a tree scanned from above its import root qualifies `app.config.X` as
    /// `src.app.config.X`).
    fn defined(&self, spelled: &str) -> Option<&'c str> {
        if let Some((name, _)) = self.facts.get_key_value(spelled) {
            return Some(name);
        }
        let last = spelled.rsplit('.').next().unwrap_or(spelled);
        self.by_last.get(last)?.iter().copied().find(|name| {
            name.strip_suffix(spelled)
                .is_some_and(|head| head.ends_with('.'))
        })
    }

    /// The class a choice runs when nothing is chosen: its default, or for an open choice
    /// into a module ([`Choice::module`]) the one class of that module named for production
    /// that leaves debug off.
    fn fallback(&self, choice: &Choice) -> Option<&'c str> {
        if let Some(default) = choice.default.as_deref() {
            return self.defined(default);
        }
        let module = choice.module.as_deref().filter(|_| choice.open)?;
        let mut production = self.facts.keys().map(String::as_str).filter(|name| {
            name.rsplit_once('.').is_some_and(|(m, _)| {
                m == module || m.strip_suffix(module).is_some_and(|h| h.ends_with('.'))
            }) && names_production(name)
                && !self.debug_on(name)
        });
        let found = production.next()?;
        production.next().is_none().then_some(found)
    }

    /// The classes defined in the same module as `class`, itself included.
    fn module_classes(&self, class: &'c str) -> Vec<&'c str> {
        let Some((module, _)) = class.rsplit_once('.') else {
            return vec![class];
        };
        self.facts
            .keys()
            .map(String::as_str)
            .filter(|name| name.rsplit_once('.').is_some_and(|(m, _)| m == module))
            .collect()
    }

    fn debug_on(&self, class: &str) -> bool {
        self.setting(class, &|f: &ClassFacts| f.debug, 0)
            .unwrap_or(false)
    }

    /// The setting `own` reads that a class sets or inherits (bases searched depth first, in
    /// order).
    fn setting(
        &self,
        class: &str,
        own: &dyn Fn(&ClassFacts) -> Option<bool>,
        depth: usize,
    ) -> Option<bool> {
        let facts = self.facts.get(class)?;
        if own(facts).is_some() || depth > MAX_DEPTH {
            return own(facts);
        }
        facts
            .bases
            .iter()
            .filter_map(|b| self.defined(b))
            .find_map(|b| self.setting(b, own, depth + 1))
    }

    /// Whether `class` has `ancestor` among its bases, at any depth.
    fn inherits(&self, class: &str, ancestor: &str, depth: usize) -> bool {
        depth <= MAX_DEPTH
            && self.facts.get(class).is_some_and(|facts| {
                facts
                    .bases
                    .iter()
                    .filter_map(|b| self.defined(b))
                    .any(|b| b == ancestor || self.inherits(b, ancestor, depth + 1))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::formatted_module;
    use ruff_python_parser::parse_expression;

    fn module(source: &str) -> Option<String> {
        formatted_module(parse_expression(source).unwrap().expr())
    }

    #[test]
    fn formatted_import_strings_name_their_module() {
        assert_eq!(
            module(r#""pkg.config.%sConfig" % env"#).as_deref(),
            Some("pkg.config")
        );
        assert_eq!(
            module(r#""pkg.config.{}Config".format(env)"#).as_deref(),
            Some("pkg.config")
        );
        assert_eq!(
            module(r#"f"pkg.config:{env}Config""#).as_deref(),
            Some("pkg.config")
        );
        // The module itself formatted, or no module at all.
        assert_eq!(module(r#""pkg.%s.Config" % env"#), None);
        assert_eq!(module(r#""%sConfig" % env"#), None);
        assert_eq!(module(r#""pkg.config.Config""#), None);
    }
}
