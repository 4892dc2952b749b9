//! Validated models: an object made by validating data into a project `pydantic.BaseModel`
//! subclass (`Model.model_validate(data)`, `Model.parse_obj(data)`, `Model(**data)`) holds, in
//! each field declared with a non-text type (`int`, `UUID`, `datetime`, an `Enum`, `Literal`...,
//! or `Optional`/`Annotated` of those), a value validation coerced to that type: it cannot carry
//! path, SQL or HTML syntax, whatever the request sent. Text fields (`str`, `Any`, nested models,
//! dicts, lists, anything not resolved) keep the data.
//!
//! The value keeps the class as its alias; a project function validating into a class it was
//! given (`def parse(schema, data): return schema.model_validate(data)`) returns the class of
//! that argument, marked in its summary by [`param_model`].

use std::sync::Arc;

use ruff_python_ast::{Expr, Operator, Stmt};

use rustc_hash::FxHashMap as HashMap;

use super::index::{FileCtx, Global};
use super::return_types;

/// Pydantic's model base classes, by qualified name.
const BASES: &[&str] = &[
    "pydantic.BaseModel",
    "pydantic.main.BaseModel",
    "pydantic.v1.BaseModel",
];

/// Class methods that validate data into a new instance (`model_construct`/`construct` do not
/// validate, so they are not here).
pub const VALIDATORS: &[&str] = &[
    "model_validate",
    "model_validate_json",
    "model_validate_strings",
    "parse_obj",
    "parse_raw",
];

/// Field types whose validated values hold no text, by qualified name.
const SCALARS: &[&str] = &[
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.complex",
    "uuid.UUID",
    "datetime.datetime",
    "datetime.date",
    "datetime.time",
    "datetime.timedelta",
    "decimal.Decimal",
    "pydantic.UUID1",
    "pydantic.UUID3",
    "pydantic.UUID4",
    "pydantic.UUID5",
    "pydantic.PositiveInt",
    "pydantic.NegativeInt",
    "pydantic.NonNegativeInt",
    "pydantic.NonPositiveInt",
    "pydantic.PositiveFloat",
    "pydantic.NonNegativeFloat",
    "pydantic.StrictInt",
    "pydantic.StrictFloat",
    "pydantic.StrictBool",
];

/// How many module-level aliases or base classes are followed.
const MAX_DEPTH: u8 = 4;

/// Prefix of the alias marking, in a summary, an instance of the class passed as a parameter.
const PARAM_MODEL: &str = "pydantic.BaseModel@";

/// A model class's fields (own first, then inherited) with whether each holds no text.
pub type Fields = Arc<Vec<(String, bool)>>;

/// The alias of an instance of the model class the function's parameter `p` holds.
pub fn param_model(p: u16) -> Arc<str> {
    Arc::from(format!("{PARAM_MODEL}{p}"))
}

/// The parameter whose class an alias made by [`param_model`] stands for.
pub fn param_of(alias: &str) -> Option<usize> {
    alias.strip_prefix(PARAM_MODEL)?.parse().ok()
}

/// Every project pydantic model class by qualified name, with its fields: found once per scan
/// (one walk of the project's classes), so a field read is one lookup.
fn all<'g>(g: &'g Global) -> &'g HashMap<String, Fields> {
    g.models.get_or_init(|| {
        // Most projects define no model: one pass over the written bases tells.
        let direct = g
            .defined
            .values()
            .flatten()
            .any(|b| BASES.contains(&b.as_str()));
        if !direct {
            return HashMap::default();
        }
        g.defined
            .keys()
            .filter(|c| g.derives_from(c, &|b| BASES.contains(&b)))
            .map(|c| (c.clone(), Arc::new(collect(g, c))))
            .collect()
    })
}

/// The qualified name of the project model class `name` (as spelled at a use); `None` when it
/// is no project pydantic model.
pub fn class<'g>(g: &'g Global, name: &str) -> Option<&'g str> {
    let models = all(g);
    if models.is_empty() {
        return None;
    }
    models
        .get_key_value(name)
        .or_else(|| models.get_key_value(g.resolve_function(name)))
        .map(|(k, _)| k.as_str())
}

/// Whether `alias` (a value's, so already resolved) names an instance of a project model class,
/// or of a parameter's class.
pub fn is_model(g: &Global, alias: &str) -> bool {
    let models = all(g);
    param_of(alias).is_some() || (!models.is_empty() && models.contains_key(alias))
}

/// Whether field `attr` of an instance of `class` (a value's alias) holds no text once validated.
pub fn typed_field(g: &Global, class: &str, attr: &str) -> bool {
    let models = all(g);
    !models.is_empty()
        && models
            .get(class)
            .is_some_and(|f| f.iter().find(|(n, _)| n == attr).is_some_and(|(_, t)| *t))
}

/// The annotated fields of `class` and of its project base classes (nearest declaration first).
fn collect(g: &Global, class: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut add = |c: &str| {
        for (name, typed) in declared(g, c) {
            if !out.iter().any(|(n, _)| *n == name) {
                out.push((name, typed));
            }
        }
    };
    add(class);
    g.find_in_bases(class, |_, base| {
        add(base);
        None::<()>
    });
    out
}

/// The fields `class` itself declares (`name: T` or `name: T = default` in its body).
fn declared(g: &Global, class: &str) -> Vec<(String, bool)> {
    let Some((fc, def)) = g.class_def(class) else {
        return Vec::new();
    };
    def.body
        .iter()
        .filter_map(|s| match s {
            Stmt::AnnAssign(a) => match &*a.target {
                Expr::Name(n) => Some((n.id.to_string(), scalar(g, fc, &a.annotation, MAX_DEPTH))),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Whether a field annotation names only types whose values hold no text.
fn scalar(g: &Global, fc: &FileCtx, ann: &Expr, depth: u8) -> bool {
    if depth == 0 {
        return false;
    }
    match ann {
        Expr::NoneLiteral(_) => true,
        Expr::BinOp(b) if b.op == Operator::BitOr => {
            scalar(g, fc, &b.left, depth) && scalar(g, fc, &b.right, depth)
        }
        Expr::Subscript(s) => match return_types::resolved(fc, &s.value).as_deref() {
            Some("typing.Optional" | "typing.Union") => {
                members(&s.slice).all(|m| scalar(g, fc, m, depth))
            }
            Some("typing.Annotated") => members(&s.slice)
                .next()
                .is_some_and(|m| scalar(g, fc, m, depth)),
            // Values the code itself spells.
            Some("typing.Literal") => true,
            _ => false,
        },
        Expr::Name(_) | Expr::Attribute(_) => {
            let Some(q) = return_types::resolved(fc, ann) else {
                return false;
            };
            SCALARS.contains(&q.as_str())
                || g.project_class(&q)
                    .is_some_and(|c| g.derives_from(c, &|b| b.starts_with("enum.")))
        }
        _ => false,
    }
}

/// The members of a subscript's slice: `Union[A, B]` has two, `Optional[A]` one.
fn members(slice: &Expr) -> Box<dyn Iterator<Item = &Expr> + '_> {
    match slice {
        Expr::Tuple(t) => Box::new(t.elts.iter()),
        e => Box::new(std::iter::once(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::project::ProjectIndex;
    use crate::python::SourceFile;

    #[test]
    fn fields_declared_with_non_text_types() {
        let src = r#"
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Dict, List, Literal, Optional
from uuid import UUID
from pydantic import BaseModel, Field
class Kind(Enum):
    A = "a"
class Base(BaseModel):
    created: datetime
    note: str
class Query(Base):
    page: Optional[int] = Field(None, ge=1)
    ident: UUID
    kind: Kind
    mode: Literal["a", "b"]
    size: Annotated[int, Field(ge=1)]
    ratio: float | None = None
    note: int = 0
    name: str
    blob: Any
    tags: List[str]
    meta: Dict[str, int]
    nested: Base
class Plain:
    page: int
"#;
        let (file, problems) = SourceFile::parse("pkg/schemas.py", src.to_string());
        assert!(problems.is_empty());
        let project = ProjectIndex::build(&[&file]);
        let g = Global::build(&[&file], &project);
        let typed = |f: &str| typed_field(&g, "pkg.schemas.Query", f);
        for f in [
            "page", "ident", "kind", "mode", "size", "ratio", "note", "created",
        ] {
            assert!(typed(f), "{f}");
        }
        for f in ["name", "blob", "tags", "meta", "nested", "missing"] {
            assert!(!typed(f), "{f}");
        }
        assert!(class(&g, "pkg.schemas.Plain").is_none());
        assert_eq!(class(&g, "pkg.schemas.Query"), Some("pkg.schemas.Query"));
    }
}
