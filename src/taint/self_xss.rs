//! Self-reflection: in an application whose every unsafe request must carry a CSRF token
//! (`CSRFProtect`, SeaSurf, a token-checking `before_request` hook), a request body can only be
//! sent by the signed-in user's own pages: a third-party page's cross-site `POST` lacks the token,
//! and a cross-site `GET` (a link, a `method=get` form) carries no body at all. What a view echoes
//! from that body is the user's own input (self-XSS), not reflected XSS a third-party page can
//! trigger. Query-string data stays dangerous: it arrives with a `GET` link as well.

use ruff_python_ast::{self as ast, Expr};

use crate::python::flask;
use crate::python::semantic::Semantic;

/// Which request data of a view only the application's own pages can send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OwnPages {
    /// What the view reads from the body itself (`request.form`, `get_json()`, `files`).
    pub body_reads: bool,
    /// A form's fields too, which may be filled from the query string (`Form(request.args)`)
    /// unless every route of the view takes only state-changing methods.
    pub form_fields: bool,
}

/// What of a request to `def` can only come from the application's own pages: CSRF must be
/// checked for every unsafe request, and the view routed and not exempted.
pub fn body_from_own_pages(
    sem: &Semantic,
    def: &ast::StmtFunctionDef,
    csrf_everywhere: bool,
) -> OwnPages {
    if !csrf_everywhere {
        return OwnPages::default();
    }
    let mut routes = 0;
    let mut unsafe_only = true;
    for d in &def.decorator_list {
        if exempts_csrf(&d.expression) {
            return OwnPages::default();
        }
        if let Some((methods, _)) = flask::route_decorator(sem, &d.expression) {
            unsafe_only &= !methods.is_empty()
                && methods
                    .iter()
                    .all(|m| flask::STATE_CHANGING.contains(&m.as_str()));
            routes += 1;
        }
    }
    OwnPages {
        body_reads: routes > 0,
        form_fields: routes > 0 && unsafe_only,
    }
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
