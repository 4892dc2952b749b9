//! Class-based views: `MethodView`/`View` subclasses registered with `as_view`, Flask-RESTful
//! resources registered with `api.add_resource`, Flask-RESTX resources routed by `@ns.route`.
//! Their handler methods are views; what a REST resource returns is serialised as JSON.

use ruff_python_ast::{self as ast, Expr};

use super::sources;
use crate::python::flask::string_literal;

/// `api.add_resource(Resource, "/a/<id>", "/b")`: the resource class and the URL parameters of
/// every rule it is mounted at.
pub fn add_resource(call: &ast::ExprCall) -> Option<(&Expr, Vec<(String, bool)>)> {
    let Expr::Attribute(a) = &*call.func else {
        return None;
    };
    if a.attr.as_str() != "add_resource" {
        return None;
    }
    let class = call.arguments.args.first()?;
    let params = call
        .arguments
        .args
        .iter()
        .skip(1)
        .filter_map(string_literal)
        .flat_map(|r| sources::rule_params(&r))
        .collect();
    Some((class, params))
}

/// `@ns.route("/items/<id>")` on a class (Flask-RESTX, flask-smorest): the URL parameters of
/// its rules, or `None` when the class is not routed.
pub fn class_route(c: &ast::StmtClassDef) -> Option<Vec<(String, bool)>> {
    let mut out = None;
    for d in &c.decorator_list {
        let Expr::Call(call) = &d.expression else {
            continue;
        };
        if matches!(&*call.func, Expr::Attribute(a) if a.attr.as_str() == "route") {
            let list = out.get_or_insert_with(Vec::new);
            for rule in call.arguments.args.iter().filter_map(string_literal) {
                list.extend(sources::rule_params(&rule));
            }
        }
    }
    out
}
