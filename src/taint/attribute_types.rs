//! Classes of the objects a project class keeps in its attributes: a constructor storing a
//! parameter annotated with a project class (`self._executor = executor` with
//! `executor: SqlJsonExecutor`), or a new instance of one (`self.store = Store()`). A call on
//! `self._executor` then runs that class's method rather than one guessed from its name.

use rustc_hash::FxHashMap as HashMap;

use ruff_python_ast::{Expr, Operator, Stmt};

use super::engine::params;
use super::index::{FileCtx, Global};
use super::return_types;

/// Attribute name → (class, the project class its constructor stores there), for attributes
/// every such store gives one class. Keyed by the attribute, so most lookups end at one miss.
pub type AttributeClasses = HashMap<String, Vec<(String, String)>>;

/// The table of [`AttributeClasses`] for the project.
pub fn build(g: &Global) -> AttributeClasses {
    let mut found: HashMap<(String, String), Option<String>> = HashMap::default();
    for info in g.funcs.values() {
        let (Some(class), "__init__", 1) = (&info.class, info.def.name.as_str(), info.offset)
        else {
            continue;
        };
        let Some(fc) = g.files.get(info.file as usize) else {
            continue;
        };
        let ps = params(info.def);
        let Some(me) = ps.first().map(|p| p.name.as_str()) else {
            continue;
        };
        let annotated: Vec<(&str, &Expr)> = ps
            .iter()
            .filter_map(|p| Some((p.name.as_str(), p.annotation.as_deref()?)))
            .collect();
        for s in &info.def.body {
            let (target, annotation, value) = match s {
                Stmt::Assign(a) if a.targets.len() == 1 => (&a.targets[0], None, Some(&*a.value)),
                Stmt::AnnAssign(a) => (&*a.target, Some(&*a.annotation), a.value.as_deref()),
                _ => continue,
            };
            let Expr::Attribute(t) = target else { continue };
            if !matches!(&*t.value, Expr::Name(n) if n.id.as_str() == me) {
                continue;
            }
            let stored = annotation
                .and_then(|a| annotated_class(g, fc, a))
                .or_else(|| value.and_then(|v| value_class(g, fc, v, &annotated)));
            let key = (class.clone(), t.attr.to_string());
            match (found.get(&key), stored) {
                (None, Some(c)) => {
                    found.insert(key, Some(c));
                }
                (Some(Some(prev)), Some(c)) if *prev == c => {}
                // Another store gives it another class, or one the walk cannot name.
                _ => {
                    found.insert(key, None);
                }
            }
        }
    }
    let mut table = AttributeClasses::default();
    for ((class, attr), stored) in found {
        if let Some(stored) = stored {
            table.entry(attr).or_default().push((class, stored));
        }
    }
    table
}

/// The project class of a stored value: a parameter annotated with one, or a new instance.
fn value_class(
    g: &Global,
    fc: &FileCtx,
    value: &Expr,
    annotated: &[(&str, &Expr)],
) -> Option<String> {
    match value {
        Expr::Name(n) => annotated
            .iter()
            .find(|(p, _)| *p == n.id.as_str())
            .and_then(|(_, a)| annotated_class(g, fc, a)),
        Expr::Call(c) => project_class(g, fc, &c.func),
        _ => None,
    }
}

/// The project class an annotation names: `Executor`, `Optional[Executor]`, `Executor | None`.
fn annotated_class(g: &Global, fc: &FileCtx, annotation: &Expr) -> Option<String> {
    match annotation {
        Expr::Name(_) | Expr::Attribute(_) => project_class(g, fc, annotation),
        Expr::BinOp(b) if b.op == Operator::BitOr => match (&*b.left, &*b.right) {
            (Expr::NoneLiteral(_), other) | (other, Expr::NoneLiteral(_)) => {
                annotated_class(g, fc, other)
            }
            _ => None,
        },
        Expr::Subscript(s)
            if return_types::resolved(fc, &s.value).as_deref() == Some("typing.Optional") =>
        {
            annotated_class(g, fc, &s.slice)
        }
        _ => None,
    }
}

fn project_class(g: &Global, fc: &FileCtx, e: &Expr) -> Option<String> {
    let q = return_types::resolved(fc, e)?;
    g.project_class(&q).map(str::to_string)
}
