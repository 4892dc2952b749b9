//! A local name of the enclosing function followed back to the values assigned to it: one
//! function, no calls (not a taint analysis). Shared by the Flask model and the pattern rules.

use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextSize};

use super::checker::Checker;

/// Calls `f` on every statement of `body` and of the blocks nested in it, not entering nested
/// functions or classes (their names are other scopes).
pub fn each_statement<'a>(body: &'a [Stmt], f: &mut dyn FnMut(&'a Stmt)) {
    for stmt in body {
        f(stmt);
        match stmt {
            Stmt::If(i) => {
                each_statement(&i.body, f);
                for clause in &i.elif_else_clauses {
                    each_statement(&clause.body, f);
                }
            }
            Stmt::For(l) => {
                each_statement(&l.body, f);
                each_statement(&l.orelse, f);
            }
            Stmt::While(l) => {
                each_statement(&l.body, f);
                each_statement(&l.orelse, f);
            }
            Stmt::With(w) => each_statement(&w.body, f),
            Stmt::Try(t) => {
                each_statement(&t.body, f);
                for handler in &t.handlers {
                    let ruff_python_ast::ExceptHandler::ExceptHandler(h) = handler;
                    each_statement(&h.body, f);
                }
                each_statement(&t.orelse, f);
                each_statement(&t.finalbody, f);
            }
            _ => {}
        }
    }
}

/// The values assigned to local `name` in the enclosing function before `before` in the source
/// (`name = value` only; a later `name = other` is a reuse of the name for something else), or
/// `None` when it is a parameter or bound some other way (loop target, `with ... as`,
/// augmented assignment), where the values cannot all be seen.
pub fn assigned_values<'a>(
    cx: &Checker<'a>,
    name: &str,
    before: TextSize,
) -> Option<Vec<&'a Expr>> {
    let def = cx.enclosing_function()?;
    if def.parameters.iter().any(|p| p.name().as_str() == name) {
        return None;
    }
    let mut values = Vec::new();
    let mut opaque = false;
    each_statement(&def.body, &mut |stmt| match stmt {
        _ if stmt.start() >= before => {}
        Stmt::Assign(a) => {
            if a.targets.iter().any(|t| is_name(t, name)) {
                values.push(&*a.value);
            } else if a.targets.iter().any(|t| binds_inside(t, name)) {
                opaque = true;
            }
        }
        Stmt::AnnAssign(a) if is_name(&a.target, name) => {
            if let Some(v) = &a.value {
                values.push(&**v);
            }
        }
        Stmt::AugAssign(a) if is_name(&a.target, name) => opaque = true,
        Stmt::For(l) if binds_inside(&l.target, name) => opaque = true,
        Stmt::With(w) => {
            opaque |= w
                .items
                .iter()
                .filter_map(|i| i.optional_vars.as_deref())
                .any(|v| binds_inside(v, name));
        }
        _ => {}
    });
    (!opaque && !values.is_empty()).then_some(values)
}

/// The values module-level statements assign to `name` (`TEMPLATE = "page.html"`), when the
/// enclosing function (if any) neither takes nor assigns a local of that name; `None` when no
/// top-level `name = value` exists.
pub fn module_values<'a>(cx: &Checker<'a>, name: &str) -> Option<Vec<&'a Expr>> {
    if let Some(def) = cx.enclosing_function() {
        let mut local = def.parameters.iter().any(|p| p.name().as_str() == name);
        each_statement(&def.body, &mut |stmt| {
            local |= matches!(stmt, Stmt::Assign(a) if a.targets.iter().any(|t| binds_inside(t, name)))
                || matches!(stmt, Stmt::AnnAssign(a) if is_name(&a.target, name));
        });
        if local {
            return None;
        }
    }
    let values: Vec<&Expr> = cx
        .file
        .body()
        .iter()
        .filter_map(|stmt| match stmt {
            Stmt::Assign(a) if a.targets.iter().any(|t| is_name(t, name)) => Some(&*a.value),
            _ => None,
        })
        .collect();
    (!values.is_empty()).then_some(values)
}

/// Whether `e` is the name `name`.
pub fn is_name(e: &Expr, name: &str) -> bool {
    matches!(e, Expr::Name(n) if n.id.as_str() == name)
}

/// `name` bound by unpacking (`a, name = ...`).
fn binds_inside(target: &Expr, name: &str) -> bool {
    match target {
        Expr::Name(n) => n.id.as_str() == name,
        Expr::Tuple(t) => t.elts.iter().any(|e| binds_inside(e, name)),
        Expr::List(l) => l.elts.iter().any(|e| binds_inside(e, name)),
        Expr::Starred(s) => binds_inside(&s.value, name),
        _ => false,
    }
}
