//! Project URL converters that validate: `app.url_map.converters["uuid_str"] = StrictUUID`
//! where the class's `to_python` raises `ValidationError` for a segment it does not accept, so a
//! `<uuid_str:id>` parameter holds only what the converter let through (like `<int:id>`).

use ruff_python_ast::{Expr, Stmt};

use crate::python::flask::string_literal;
use crate::python::semantic::Semantic;

/// `(converter name, class)` registered at a module's top level or in a top-level function.
pub fn registered(sem: &Semantic, body: &[Stmt]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let nested = body.iter().flat_map(|s| match s {
        Stmt::FunctionDef(f) => f.body.as_slice(),
        _ => &[],
    });
    for stmt in body.iter().chain(nested) {
        let Stmt::Assign(a) = stmt else {
            continue;
        };
        for t in &a.targets {
            let Expr::Subscript(s) = t else {
                continue;
            };
            let on_converters =
                matches!(&*s.value, Expr::Attribute(x) if x.attr.as_str() == "converters");
            if let (true, Some(name), Some(class)) = (
                on_converters,
                string_literal(&s.slice),
                sem.resolve(&a.value),
            ) {
                out.push((name, class));
            }
        }
    }
    out
}

/// Whether a converter's `to_python` text rejects segments (raises `ValidationError`).
pub fn validates(to_python: &str) -> bool {
    to_python.contains("raise ValidationError")
}

/// The converter of parameter `param` in a URL rule: `/t/<uuid_str:id>` → `uuid_str`.
pub fn converter_of<'r>(rule: &'r str, param: &str) -> Option<&'r str> {
    rule.split('<')
        .skip(1)
        .filter_map(|part| part.split('>').next())
        .find_map(|inner| {
            let (conv, name) = inner.split_once(':')?;
            (name.trim() == param).then(|| conv.split('(').next().unwrap_or(conv).trim())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converter_of_a_parameter() {
        assert_eq!(converter_of("/t/<uuid_str:id>/<n>", "id"), Some("uuid_str"));
        assert_eq!(converter_of("/t/<uuid_str:id>/<n>", "n"), None);
    }
}
