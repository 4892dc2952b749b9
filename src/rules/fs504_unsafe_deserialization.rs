//! FS504 unsafe-deserialization (the `yaml.load` pattern half; the taint half lives in taint/).

use ruff_python_ast::{self as ast, Expr, ExprCall};
use ruff_text_size::Ranged;

use super::helpers::{argument, is_module_literal};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;
use crate::python::project::ProjectIndex;

pub const RULE: Rule = Rule {
    id: "FS504",
    name: "unsafe-deserialization",
    severity: Severity::Critical,
    cwe: &[502],
    kind: RuleKind::Taint,
    precision: Precision::High,
    suite: Suite::Linked,
    message: "Untrusted data is deserialised with a loader that can run code",
    fix: "Use `yaml.safe_load` (or `Loader=yaml.SafeLoader`) and JSON for data from clients; never unpickle request data.",
    help: "pickle, marshal, shelve, dill, jsonpickle and YAML's full loaders rebuild arbitrary Python objects, which lets the author of the data run code in your process.",
    bad: "config = yaml.load(text)",
    good: "config = yaml.safe_load(text)",
};

const SAFE_LOADERS: &[&str] = &["SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"];

/// Whether the library loader `name` builds only plain data. `yaml.SafeLoader`,
/// `yaml.loader.SafeLoader`: the last segment names the loader.
fn is_safe_loader(name: &str) -> bool {
    name.contains('.') && SAFE_LOADERS.contains(&name.rsplit('.').next().unwrap_or(""))
}

/// Whether a class base is a safe library loader: by its resolved name (or the library loader a
/// project loader derives from), or, when alternative imports bind it (`try: from yaml import
/// CSafeLoader as SafeLoader` / `except ImportError: from yaml import SafeLoader`) and it
/// resolves to nothing, by its spelling.
pub fn is_safe_loader_base(resolved: Option<&str>, base: &Expr) -> bool {
    match resolved {
        Some(q) => is_safe_loader(q),
        None => matches!(base, Expr::Name(n) if SAFE_LOADERS.contains(&n.id.as_str())),
    }
}

/// Whether a `Loader=` argument builds only plain data, or `None` when the loader is decided
/// elsewhere: an attribute of a class or an object (`cls.yaml_loader`, `self.loader`, a setting
/// subclasses or callers fill, often with a safe loader made at run time) or a name nothing
/// binds here (a parameter). `name_of` resolves a name or an attribute owner; a project loader
/// builds what the library loader it derives from builds; of a conditional loader, either
/// branch may run.
pub fn judge_loader(
    loader: &Expr,
    name_of: &dyn Fn(&Expr) -> Option<String>,
    project: &ProjectIndex,
) -> Option<bool> {
    match loader {
        Expr::If(i) => match (
            judge_loader(&i.body, name_of, project),
            judge_loader(&i.orelse, name_of, project),
        ) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Expr::Attribute(a)
            if name_of(&a.value).is_none_or(|q| {
                !(q == "yaml" || q.starts_with("yaml.") || project.has_module(&q))
            }) =>
        {
            None
        }
        _ => match name_of(loader) {
            Some(n) => Some(is_safe_loader(project.yaml_loader_of(&n).unwrap_or(&n))),
            None if matches!(loader, Expr::Name(_)) => None,
            None => Some(false),
        },
    }
}

/// `yaml.load(...)` without a safe loader, `yaml.unsafe_load(...)`: medium whatever the source,
/// unless the document is text written in the module itself (a literal or a module constant).
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    if !callee.starts_with("yaml.") {
        return;
    }
    if argument(call, 0, "stream").is_some_and(|doc| {
        matches!(doc, Expr::StringLiteral(_) | Expr::BytesLiteral(_)) || is_module_literal(cx, doc)
    }) {
        return;
    }
    let safe = match callee {
        "yaml.load" | "yaml.load_all" => match argument(call, 1, "Loader") {
            None => false,
            Some(l) => local_loader(cx, l)
                .or_else(|| {
                    // A project loader defined further down its module is not bound yet when a
                    // function body is walked.
                    let name_of = |e: &Expr| {
                        cx.sem.resolve(e).or_else(|| match e {
                            Expr::Name(n) => {
                                let q = crate::python::semantic::qualify(
                                    &cx.file.module,
                                    n.id.as_str(),
                                );
                                cx.project.yaml_loader_of(&q).is_some().then_some(q)
                            }
                            _ => None,
                        })
                    };
                    judge_loader(l, &name_of, cx.project)
                })
                .unwrap_or(true),
        },
        "yaml.unsafe_load" | "yaml.unsafe_load_all" | "yaml.full_load" | "yaml.full_load_all" => {
            false
        }
        _ => return,
    };
    if !safe {
        let func = callee.trim_start_matches("yaml.");
        let message = format!(
            "`yaml.{func}` without `SafeLoader` can build arbitrary Python objects from the document"
        );
        let fix = safe_load_fix(call, func);
        cx.report_fixable(&RULE, call.range(), message, Severity::Medium, fix);
    }
}

/// `class OrderedLoader(SafeLoader): ...` defined in the enclosing function and passed as the
/// loader: whether it is safe (a subclass builds what its safe base builds; the constructors it
/// adds are the project's own, for plain data such as ordered mappings), or `None` when the
/// loader is no class of the enclosing function.
fn local_loader(cx: &Checker, loader: &Expr) -> Option<bool> {
    let (Expr::Name(n), Some(f)) = (loader, cx.enclosing_function()) else {
        return None;
    };
    f.body.iter().find_map(|stmt| match stmt {
        ast::Stmt::ClassDef(c) if c.name.as_str() == n.id.as_str() => {
            Some(c.bases().iter().any(|b| {
                let q = cx.sem.resolve(b);
                is_safe_loader_base(
                    q.as_deref()
                        .map(|q| cx.project.yaml_loader_of(q).unwrap_or(q)),
                    b,
                )
            }))
        }
        _ => None,
    })
}

/// `yaml.load(text)` → `yaml.safe_load(text)` (and the `_all` forms), when the document is the
/// only argument and the function is reached as an attribute of the module (`yaml.load`,
/// `y.load`), so the safe function is reachable under the same name. A `Loader=` argument may
/// name a custom loader someone relies on: that one needs a person.
fn safe_load_fix(call: &ExprCall, func: &str) -> Option<crate::python::checker::RawFix> {
    let Expr::Attribute(attr) = &*call.func else {
        return None;
    };
    if call.arguments.args.len() != 1
        || !call.arguments.keywords.is_empty()
        || call.arguments.args[0].is_starred_expr()
    {
        return None;
    }
    let safe = if func.ends_with("_all") {
        "safe_load_all"
    } else {
        "safe_load"
    };
    Some(super::fix_edits::fix(
        format!("Use `yaml.{safe}`"),
        vec![super::fix_edits::replace(&attr.attr, safe)],
    ))
}
