//! Run-time choices between config classes: `Dev if develop else Prod`, an if/else whose
//! branches load (or return, or assign) different classes, a name->class dict with a
//! `"default"` entry. The arm of such a choice that turns debug on while another arm does not
//! is the *development alternative*: a deployment runs the other arm, so the debug switch and
//! placeholder key written in it are not what production serves.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_python_ast::{self as ast, Expr, Stmt};

use super::semantic::{qualify, Semantic};
use crate::rules::helpers::is_truthy_literal;

/// One run-time choice between classes, spelled as the choosing module resolves them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The classes chosen between.
    pub arms: Vec<String>,
    /// The arm a dict names under `"default"`: the one that runs when nothing is chosen.
    pub default: Option<String>,
}

/// What judging a choice needs to know about one top-level class.
#[derive(Debug, Default, Clone)]
pub struct ClassFacts {
    /// Base classes, resolved as the defining module spells them.
    pub bases: Vec<String>,
    /// The class body's own `DEBUG = ...`: whether it is a truthy literal; `None` without one.
    pub debug: Option<bool>,
}

/// How deep statements, nested choices and class hierarchies are followed.
const MAX_DEPTH: usize = 8;

/// The `DEBUG` a class body sets itself (see [`ClassFacts::debug`]).
pub fn own_debug(body: &[Stmt]) -> Option<bool> {
    body.iter().rev().find_map(|stmt| match stmt {
        Stmt::Assign(a)
            if a.targets
                .iter()
                .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == "DEBUG")) =>
        {
            Some(is_truthy_literal(&a.value))
        }
        _ => None,
    })
}

/// Every choice made in `body`, at any statement depth. `sem` has the module's top-level
/// names bound, so a function may choose between classes defined below it.
pub fn choices(sem: &Semantic, body: &[Stmt]) -> Vec<Choice> {
    let mut out = Vec::new();
    walk(sem, body, 0, &mut out);
    out
}

fn walk(sem: &Semantic, body: &[Stmt], depth: usize, out: &mut Vec<Choice>) {
    if depth > MAX_DEPTH {
        return;
    }
    for stmt in body {
        if let Some(value) = passed_value(stmt) {
            out.extend(expression_choice(sem, value));
        }
        match stmt {
            Stmt::If(i) => {
                out.extend(branch_choice(sem, i));
                walk(sem, &i.body, depth + 1, out);
                for clause in &i.elif_else_clauses {
                    walk(sem, &clause.body, depth + 1, out);
                }
            }
            Stmt::FunctionDef(f) => walk(sem, &f.body, depth + 1, out),
            Stmt::ClassDef(c) => walk(sem, &c.body, depth + 1, out),
            Stmt::With(w) => walk(sem, &w.body, depth + 1, out),
            Stmt::Try(t) => {
                for part in [&t.body, &t.orelse, &t.finalbody] {
                    walk(sem, part, depth + 1, out);
                }
            }
            _ => {}
        }
    }
}

/// The value a statement hands on: `return X`, `name = X`, `config.from_object(X)`.
fn passed_value(stmt: &Stmt) -> Option<&Expr> {
    match stmt {
        Stmt::Return(r) => r.value.as_deref(),
        Stmt::Assign(a) => Some(&a.value),
        Stmt::AnnAssign(a) => a.value.as_deref(),
        Stmt::Expr(e) => match &*e.value {
            Expr::Call(c) if matches!(&*c.func, Expr::Attribute(m) if m.attr.as_str() == "from_object") => {
                c.arguments.args.first()
            }
            _ => None,
        },
        _ => None,
    }
}

/// `X if cond else Y` (nested conditionals flattened) or `{"dev": X, "default": Y}`.
fn expression_choice(sem: &Semantic, value: &Expr) -> Option<Choice> {
    match value {
        Expr::If(_) => {
            let mut arms = Vec::new();
            conditional_arms(sem, value, 0, &mut arms);
            (arms.len() >= 2).then_some(Choice {
                arms,
                default: None,
            })
        }
        Expr::Dict(d) => {
            let mut choice = Choice::default();
            for item in &d.items {
                let Some(arm) = class_name(sem, &item.value) else {
                    continue;
                };
                if item
                    .key
                    .as_ref()
                    .and_then(super::flask::string_literal)
                    .is_some_and(|k| k == "default")
                {
                    choice.default = Some(arm.clone());
                }
                choice.arms.push(arm);
            }
            // Without a default entry, which arm runs is decided elsewhere.
            (choice.default.is_some() && choice.arms.len() >= 2).then_some(choice)
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
/// branch, the else included, hands on one class, and they are not all the same.
fn branch_choice(sem: &Semantic, i: &ast::StmtIf) -> Option<Choice> {
    if !i.elif_else_clauses.iter().any(|c| c.test.is_none()) {
        return None;
    }
    let branches = std::iter::once(&i.body).chain(i.elif_else_clauses.iter().map(|c| &c.body));
    let mut arms = Vec::new();
    for branch in branches {
        let passed = branch
            .iter()
            .filter_map(passed_value)
            .find_map(|v| class_name(sem, v))?;
        arms.push(passed);
    }
    arms.dedup();
    (arms.len() >= 2).then_some(Choice {
        arms,
        default: None,
    })
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
/// (not a dict's default) that turns debug on, beside another arm that does not and does not
/// inherit from it (an arm that inherits would serve its settings in production).
pub fn development_alternatives(
    choices: &[Choice],
    classes: &HashMap<String, ClassFacts>,
) -> HashSet<String> {
    let mut found = HashSet::default();
    // Most projects have no class that turns debug on: nothing can be its development arm.
    if choices.is_empty() || !classes.values().any(|c| c.debug == Some(true)) {
        return found;
    }
    let classes = Classes::new(classes);
    for choice in choices {
        let mut arms: Vec<&str> = choice
            .arms
            .iter()
            .filter_map(|a| classes.defined(a))
            .collect();
        arms.sort_unstable();
        arms.dedup();
        let default = choice.default.as_deref().and_then(|d| classes.defined(d));
        for &arm in &arms {
            if Some(arm) == default || !classes.debug_on(arm) {
                continue;
            }
            let production_elsewhere = arms.iter().any(|&other| {
                other != arm && !classes.debug_on(other) && !classes.inherits(other, arm, 0)
            });
            if production_elsewhere {
                found.insert(arm.to_string());
            }
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

    fn debug_on(&self, class: &str) -> bool {
        self.debug_setting(class, 0).unwrap_or(false)
    }

    /// The `DEBUG` a class sets or inherits (bases searched depth first, in order).
    fn debug_setting(&self, class: &str, depth: usize) -> Option<bool> {
        let facts = self.facts.get(class)?;
        if facts.debug.is_some() || depth > MAX_DEPTH {
            return facts.debug;
        }
        facts
            .bases
            .iter()
            .filter_map(|b| self.defined(b))
            .find_map(|b| self.debug_setting(b, depth + 1))
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
