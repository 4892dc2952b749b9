//! Self-reflection: a view that only accepts state-changing methods, in an application whose
//! every unsafe request must carry a CSRF token (`CSRFProtect`, SeaSurf, a token-checking
//! `before_request` hook), can only be sent its body by the signed-in user's own pages. What it
//! echoes from that body is the user's own input (self-XSS), not reflected XSS a third-party page
//! can trigger. Query-string data stays dangerous: it arrives with a `GET` link as well.

use ruff_python_ast::{self as ast, Expr};

use crate::python::flask;
use crate::python::semantic::Semantic;

/// Whether the body of a request to `def` can only come from the application's own pages:
/// CSRF is checked for every unsafe request, and every route of the view is state-changing only
/// and not exempted.
pub fn body_from_own_pages(
    sem: &Semantic,
    def: &ast::StmtFunctionDef,
    csrf_everywhere: bool,
) -> bool {
    if !csrf_everywhere {
        return false;
    }
    let mut routes = 0;
    for d in &def.decorator_list {
        if exempts_csrf(&d.expression) {
            return false;
        }
        if let Some((methods, _)) = flask::route_decorator(sem, &d.expression) {
            let unsafe_only = !methods.is_empty()
                && methods
                    .iter()
                    .all(|m| flask::STATE_CHANGING.contains(&m.as_str()));
            if !unsafe_only {
                return false;
            }
            routes += 1;
        }
    }
    routes > 0
}

/// `@csrf.exempt`, `@csrf_exempt`: the view takes bodies from anywhere.
fn exempts_csrf(e: &Expr) -> bool {
    let e = match e {
        Expr::Call(c) => &*c.func,
        e => e,
    };
    let name = match e {
        Expr::Attribute(a) => a.attr.as_str(),
        Expr::Name(n) => n.id.as_str(),
        _ => return false,
    };
    name.contains("exempt")
}
