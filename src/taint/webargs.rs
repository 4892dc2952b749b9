//! webargs: `@use_args(schema)` passes the parsed request (query, form, JSON...) to the view as
//! an extra argument, `@use_kwargs({"name": fields.Str()})` as one keyword argument per field.
//! Those parameters are request data. A field declared as a number, boolean, UUID or date is
//! converted (or the request rejected) before the view runs, so it carries no text; with
//! `use_args` the parsed dict keeps the taint of its text fields as a whole. flask-smorest's
//! `@blp.arguments(...)` and APIFlask's `@app.input(...)` are webargs underneath.

use std::sync::Arc;

use ruff_python_ast::{self as ast, Expr, Stmt};

use super::index::Global;
use super::value::{Shape, Val};

use crate::python::flask::string_literal;
use crate::python::semantic::Semantic;

/// marshmallow field types whose value is not text once loaded.
const TYPED_FIELDS: &[&str] = &[
    "Int",
    "Integer",
    "Float",
    "Decimal",
    "Number",
    "Bool",
    "Boolean",
    "UUID",
    "Date",
    "DateTime",
    "Time",
    "TimeDelta",
];

/// The view parameters webargs decorators of `f` fill from the request (beyond the URL
/// parameters in `url`), each with whether it may hold text.
pub fn parsed_params(
    sem: &Semantic,
    f: &ast::StmtFunctionDef,
    url: &[(String, bool)],
    smorest_or_apiflask: bool,
) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for d in &f.decorator_list {
        let Expr::Call(c) = &d.expression else {
            continue;
        };
        // By its webargs name: the project's own parser (`parser = FlaskParser()`) is used as
        // `@parser.use_args(...)` or re-exported (`use_args = parser.use_args`).
        let Some(q) = sem.resolve(&c.func) else {
            continue;
        };
        let schema = c.arguments.args.first();
        match q.rsplit('.').next() {
            Some("use_kwargs") => {
                if let Some(Expr::Dict(fields)) = schema {
                    out.extend(dict_fields(sem, fields));
                    continue;
                }
            }
            Some("use_args") => {}
            // flask-smorest `@blp.arguments(Schema)`, APIFlask `@app.input(Schema)`: webargs
            // underneath, the parsed data passed as a positional argument.
            Some("arguments" | "input") if smorest_or_apiflask => {}
            _ => continue,
        }
        // A schema class or instance: which parameters it fills is decided at run time.
        out.extend(
            f.parameters
                .iter_non_variadic_params()
                .map(|p| p.parameter.name.as_str())
                .filter(|n| *n != "self" && !url.iter().any(|(u, _)| u == n))
                .map(|n| (n.to_string(), true)),
        );
    }
    out
}

/// The fields of the one `@use_args({...})` dict schema of `f`, each with whether it is text:
/// the parsed dict the view receives holds those keys (unknown keys are excluded by default).
/// `None` with no such decorator, or with several argument decorators (which parameter each
/// fills is then a matter of order).
pub fn args_dict_fields(
    g: &Global,
    sem: &Semantic,
    f: &ast::StmtFunctionDef,
) -> Option<Vec<(String, bool)>> {
    let mut found = None;
    let mut decorators = 0;
    for d in &f.decorator_list {
        let Expr::Call(c) = &d.expression else {
            continue;
        };
        let Some(q) = sem.resolve(&c.func) else {
            continue;
        };
        if !matches!(
            q.rsplit('.').next(),
            Some("use_args" | "arguments" | "input")
        ) {
            continue;
        }
        decorators += 1;
        found = match c.arguments.args.first() {
            Some(Expr::Dict(fields)) => Some(dict_fields(sem, fields)),
            // `Schema` or `Schema()`: a project schema class.
            Some(Expr::Call(schema)) => schema_fields(g, sem, &schema.func),
            Some(schema) => schema_fields(g, sem, schema),
            None => None,
        };
    }
    found.filter(|_| decorators == 1)
}

/// The fields a project marshmallow `Schema` subclass declares in its body (`name =
/// fields.Str()`), each with whether it is text; `None` when `class` names no such class. Only a
/// direct subclass of marshmallow's `Schema` is read: a project base class may add fields.
fn schema_fields(g: &Global, sem: &Semantic, class: &Expr) -> Option<Vec<(String, bool)>> {
    let q = sem.resolve(class)?;
    let q = g.resolve_function(&q);
    let bases = g.defined.get(q)?;
    if !bases.iter().all(|b| is_marshmallow_schema(b)) || bases.is_empty() {
        return None;
    }
    let (fc, def) = g.class_def(q)?;
    let sem = fc.module_sem();
    Some(
        def.body
            .iter()
            .filter_map(|s| match s {
                Stmt::Assign(a) => match &a.targets[..] {
                    [Expr::Name(n)] => Some((n.id.to_string(), !is_typed_field(sem, &a.value))),
                    _ => None,
                },
                _ => None,
            })
            .collect(),
    )
}

/// `marshmallow.Schema` as resolved at a class definition.
fn is_marshmallow_schema(base: &str) -> bool {
    matches!(base, "marshmallow.Schema" | "marshmallow.schema.Schema")
}

/// The parsed dict as a value: `request` (the parameter's request data) in each text field, no
/// text in the typed ones.
pub fn shaped(request: Val, fields: &[(String, bool)]) -> Val {
    let items = fields
        .iter()
        .map(|(key, text)| {
            let v = if *text {
                Val {
                    taints: request.taints.clone(),
                    ..Val::default()
                }
            } else {
                Val::constant()
            };
            (key.clone(), v)
        })
        .collect();
    Val {
        taints: Vec::new(),
        shape: Shape::Map(Arc::new(items)),
        ..request
    }
}

/// `{"name": fields.Str(), "page": fields.Int()}`: each field's name, and whether it is text.
fn dict_fields(sem: &Semantic, d: &ast::ExprDict) -> Vec<(String, bool)> {
    d.items
        .iter()
        .filter_map(|i| {
            let name = string_literal(i.key.as_ref()?)?;
            Some((name, !is_typed_field(sem, &i.value)))
        })
        .collect()
}

/// Whether `e` declares a marshmallow field whose loaded value is not text (`fields.Int()`).
fn is_typed_field(sem: &Semantic, e: &Expr) -> bool {
    let Expr::Call(c) = e else {
        return false;
    };
    sem.resolve(&c.func)
        .filter(|q| q.starts_with("marshmallow.") || q.starts_with("webargs."))
        .and_then(|q| q.rsplit('.').next().map(str::to_string))
        .is_some_and(|last| TYPED_FIELDS.contains(&last.as_str()))
}
