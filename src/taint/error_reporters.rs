//! Functions that hand a caught operating-system error back to their caller (`except OSError as
//! ex: return False, _("Deleting failed: %(message)s", message=ex)`). A caller passing them
//! nothing from the request still gets the error's text (paths, hosts) back, so calls to them are
//! followed even then (see [`FuncInfo::may_produce`]).
//! Only operating-system errors count: handlers of any exception are too common to follow every
//! caller of theirs, and their text is rarely the server's internals.

use rustc_hash::FxHashSet as HashSet;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

use super::exceptions::OS_ERRORS;
use super::index::{FileCtx, FuncInfo, Global};
use super::infer::names_any;
use crate::python::calls::callees;

/// The project functions that return an operating-system error they caught, by qualified name.
#[derive(Debug, Default)]
pub struct Reporters {
    qualified: HashSet<String>,
}

impl Reporters {
    /// Their names as written at a `def`, for a first search of a caller's text.
    fn names(&self) -> impl Iterator<Item = &str> {
        self.qualified
            .iter()
            .map(|q| q.rsplit('.').next().unwrap_or(q))
    }
}

/// Finds the [`Reporters`] among the project's functions.
pub fn find(g: &Global) -> Reporters {
    let mut found = Reporters::default();
    for f in g.funcs.values() {
        let Some(fc) = g.files.get(f.file as usize) else {
            continue;
        };
        let text = fc.file.slice(f.def.range);
        if text.contains("except")
            && text.contains("return")
            && OS_ERRORS.iter().any(|e| text.contains(e))
            && returns_caught(&f.def.body)
        {
            found.qualified.insert(f.qualified.clone());
        }
    }
    found
}

/// Whether `f` (in the file `fc`) calls one of `reporters`: a function of its module or one it
/// imports (`delete_book_file(book)`, `helper.delete_book(book)`) or a method of its own
/// object (`self.delete_file(path)`). The text is searched first: most functions name none.
pub fn calls_one(g: &Global, fc: &FileCtx, f: &FuncInfo, reporters: &Reporters) -> bool {
    let text = fc.file.slice(f.def.range);
    if !reporters.names().any(|n| text.contains(n)) {
        return false;
    }
    callees(&f.def.body).into_iter().any(|func| {
        g.callee_in(fc, f, func)
            .is_some_and(|m| reporters.qualified.contains(&m.qualified))
    })
}

/// Whether a handler of `body` catching an operating-system error (`except OSError as name`)
/// returns something that mentions `name`.
fn returns_caught(body: &[Stmt]) -> bool {
    let mut v = Handlers { found: false };
    for s in body {
        v.visit_stmt(s);
    }
    v.found
}

struct Handlers {
    found: bool,
}

impl<'a> Visitor<'a> for Handlers {
    fn visit_stmt(&mut self, s: &'a Stmt) {
        if self.found {
            return;
        }
        match s {
            // A nested function's handlers return to its own callers.
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::Try(t) => {
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    if let (Some(name), true) = (&h.name, catches_os_error(h)) {
                        let mut r = Returns {
                            name: name.as_str(),
                            found: false,
                        };
                        for s in &h.body {
                            r.visit_stmt(s);
                        }
                        self.found |= r.found;
                    }
                }
                visitor::walk_stmt(self, s);
            }
            _ => visitor::walk_stmt(self, s),
        }
    }
}

/// Whether `h` names a builtin operating-system error among the types it catches.
fn catches_os_error(h: &ast::ExceptHandlerExceptHandler) -> bool {
    let is_os = |e: &Expr| matches!(e, Expr::Name(n) if OS_ERRORS.contains(&n.id.as_str()));
    match h.type_.as_deref() {
        Some(Expr::Tuple(t)) => t.elts.iter().any(is_os),
        Some(e) => is_os(e),
        None => false,
    }
}

/// Finds a `return` whose value mentions `name`.
struct Returns<'n> {
    name: &'n str,
    found: bool,
}

impl<'a> Visitor<'a> for Returns<'_> {
    fn visit_stmt(&mut self, s: &'a Stmt) {
        match s {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::Return(ast::StmtReturn { value: Some(v), .. }) => {
                self.found |= names_any(v, &[self.name]);
            }
            _ => visitor::walk_stmt(self, s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(src: &str) -> Vec<Stmt> {
        ruff_python_parser::parse_module(src)
            .expect("valid Python")
            .into_syntax()
            .body
            .to_vec()
    }

    #[test]
    fn a_handler_returning_the_caught_exception_reports_it() {
        let b = body("try:\n    rm(p)\nexcept OSError as ex:\n    return False, str(ex)\n");
        assert!(returns_caught(&b));
        let tuple = body("try:\n    rm(p)\nexcept (IOError, OSError) as ex:\n    return _(\"failed: %(m)s\", m=ex)\n");
        assert!(returns_caught(&tuple));
    }

    #[test]
    fn a_handler_that_logs_and_returns_a_fixed_answer_does_not() {
        let b = body("try:\n    rm(p)\nexcept OSError as ex:\n    log(ex)\n    return False\n");
        assert!(!returns_caught(&b));
        let other = body("try:\n    parse(p)\nexcept ValueError as ex:\n    return str(ex)\n");
        assert!(!returns_caught(&other));
        let nested = body(
            "try:\n    rm(p)\nexcept OSError as ex:\n    def later():\n        return ex\n    return None\n",
        );
        assert!(!returns_caught(&nested));
    }
}
