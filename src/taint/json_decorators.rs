//! Project decorators that answer with JSON whatever the view returns:
//!
//! ```python
//! def as_json(f):
//!     @wraps(f)
//!     def wrapper(*args, **kwargs):
//!         return jsonify(f(*args, **kwargs))
//!     return wrapper
//! ```
//!
//! A view under `@as_json` returns data, not the response body: the wrapper serialises it, so
//! request data in it is no reflected HTML. A wrapper that returns the view's result itself, or
//! builds text from it (`"<p>" + f() + "</p>"`), keeps the view's return a response.

use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::python::each_subexpr;
use crate::rules::helpers::last_name;
use crate::rules::local_flow::each_statement;

/// Whether the decorator `def` (`def as_json(f)`, or a factory `def resource(name)` returning
/// one) builds a wrapper that calls the decorated function and hands what it returns only to
/// JSON encoders.
pub fn answers_json(def: &ast::StmtFunctionDef) -> bool {
    // The decorator itself, or the one a factory defines inside.
    let decorators = std::iter::once(def).chain(nested_defs(&def.body));
    decorators.into_iter().any(|d| {
        let Some(view) = d.parameters.iter().next().map(|p| p.name().as_str()) else {
            return false;
        };
        nested_defs(&d.body)
            .into_iter()
            .any(|wrapper| serialises_result(wrapper, view))
    })
}

/// The functions defined directly in `body` (in its blocks too, not in nested functions).
fn nested_defs(body: &[Stmt]) -> Vec<&ast::StmtFunctionDef> {
    let mut defs = Vec::new();
    each_statement(body, &mut |stmt| {
        if let Stmt::FunctionDef(f) = stmt {
            defs.push(f);
        }
    });
    defs
}

/// Whether `wrapper` calls `view` and every `return` that mentions the call's result (the call
/// itself, or a name assigned it) passes it to a JSON encoder.
fn serialises_result(wrapper: &ast::StmtFunctionDef, view: &str) -> bool {
    let calls_view = |e: &Expr| matches!(e, Expr::Call(c) if matches!(&*c.func, Expr::Name(n) if n.id.as_str() == view));
    // Names assigned the view's result (`entities = f(*args)`) and the values returned.
    let mut results: Vec<&str> = Vec::new();
    let mut returns: Vec<Option<&Expr>> = Vec::new();
    each_statement(&wrapper.body, &mut |stmt| match stmt {
        Stmt::Assign(a) if calls_view(&a.value) => {
            results.extend(a.targets.iter().filter_map(|t| match t {
                Expr::Name(n) => Some(n.id.as_str()),
                _ => None,
            }));
        }
        Stmt::Return(r) => returns.push(r.value.as_deref()),
        _ => {}
    });
    let mentions = |e: &Expr| {
        let mut found = false;
        each_subexpr(e, &mut |sub| {
            found |=
                calls_view(sub) || matches!(sub, Expr::Name(n) if results.contains(&n.id.as_str()));
        });
        found
    };
    let mut called = !results.is_empty();
    for value in returns.iter().flatten() {
        if mentions(value) {
            if !is_json(value, 0) {
                return false;
            }
            called = true;
        }
    }
    called
}

/// `jsonify(x)`, `json.dumps(x)`, `make_response(jsonify(x), 200)`, `Response(gen(x),
/// mimetype="application/json")`: a JSON answer.
fn is_json(e: &Expr, depth: usize) -> bool {
    if depth > 4 {
        return false;
    }
    match e {
        Expr::Call(c) => {
            let name = last_name(&c.func);
            let encoder = name
                .as_deref()
                .is_some_and(|n| matches!(n, "jsonify" | "dumps" | "json_response"));
            let typed = c.arguments.keywords.iter().any(|k| {
                matches!(k.arg.as_deref(), Some("mimetype" | "content_type"))
                    && matches!(&k.value, Expr::StringLiteral(s) if s.value.to_str().contains("json"))
            });
            let wraps_json = name.as_deref() == Some("make_response")
                && c.arguments
                    .args
                    .first()
                    .is_some_and(|a| is_json(a, depth + 1));
            encoder || typed || wraps_json
        }
        // `jsonify(x), 200`
        Expr::Tuple(t) => t.elts.first().is_some_and(|a| is_json(a, depth + 1)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::SourceFile;

    fn first_def(code: &str) -> bool {
        let (file, _) = SourceFile::parse("d.py", code.to_string());
        let Some(Stmt::FunctionDef(f)) = file.body().first() else {
            panic!("no def")
        };
        answers_json(f)
    }

    #[test]
    fn json_wrappers() {
        assert!(first_def(
            "def as_json(f):\n    def w(*a):\n        return jsonify(f(*a))\n    return w\n"
        ));
        assert!(first_def(
            "def resource(name):\n    def make(f):\n        def w(q):\n            items = f(q)\n            if not items:\n                return flask.abort(404)\n            return app.response_class(gen(items), mimetype='application/json')\n        return w\n    return make\n"
        ));
        assert!(!first_def(
            "def as_page(f):\n    def w(*a):\n        return '<p>' + f(*a) + '</p>'\n    return w\n"
        ));
        assert!(!first_def(
            "def logged(f):\n    def w(*a):\n        r = f(*a)\n        log(r)\n        return r\n    return w\n"
        ));
        // Never calls the view: nothing to say about its result.
        assert!(!first_def(
            "def deny(f):\n    def w(*a):\n        return jsonify(error='no')\n    return w\n"
        ));
    }
}
