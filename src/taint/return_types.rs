//! Return annotations of project functions: a function declared to return a dict, a list, a
//! number or a project object returns no HTML text, so a view handing its result back answers
//! JSON (Flask serialises a dict or list) and is no reflected XSS. The result keeps its data for
//! every other sink: a dict can still carry request text into SQL or a path.
//!
//! Only annotations that name non-text types count; `str`, `Any`, `Markup`, a missing
//! annotation or anything not resolved keep the call's result as it was.

use ruff_python_ast::{self as ast, Expr, Operator, Stmt};

use super::index::{FileCtx, FuncInfo, Global};
use super::value::Val;

/// How many module-level aliases (`JSON = Dict[str, Any]`) are followed in a row.
const MAX_ALIASES: u8 = 4;

/// Types whose values are never text, by qualified name (`typing_extensions` is read as `typing`).
const NON_TEXT: &[&str] = &[
    "builtins.dict",
    "builtins.list",
    "builtins.set",
    "builtins.frozenset",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.complex",
    "builtins.None",
    "typing.Dict",
    "typing.List",
    "typing.Set",
    "typing.FrozenSet",
    "typing.Mapping",
    "typing.MutableMapping",
    "typing.DefaultDict",
    "typing.OrderedDict",
    "typing.Counter",
    "typing.NoReturn",
    "typing.Never",
    "collections.OrderedDict",
    "collections.defaultdict",
    "collections.Counter",
    "collections.abc.Mapping",
    "collections.abc.MutableMapping",
];

/// Base classes that make a project class text or a response body (checked by last name).
const TEXT_BASES: &[&str] = &["str", "bytes", "UserString", "Markup", "Response"];

/// Whether `f`'s own return annotation names only non-text types (`None` when it has none).
pub fn declared(g: &Global, f: &FuncInfo) -> Option<bool> {
    let ann = f.def.returns.as_deref()?;
    let fc = g.files.get(f.file as usize)?;
    Some(non_text(g, fc, ann, MAX_ALIASES))
}

/// Whether a call of `f` returns no text: its annotation says so, or (for a method without
/// one) the annotation of the method it overrides in a project base class does.
pub fn returns_non_text(g: &Global, f: &FuncInfo) -> bool {
    if let Some(own) = f.declared_non_text(g) {
        return own;
    }
    let (Some(class), Some(method)) = (f.class.as_deref(), f.qualified.rsplit('.').next()) else {
        return false;
    };
    g.declared_in_bases(class, method).unwrap_or(false)
}

/// Whether a qualified type name (`builtins.dict`, `typing.Mapping`...) holds no text.
pub fn is_non_text_type(qualified: &str) -> bool {
    NON_TEXT.contains(&qualified)
}

/// The call's result marked as no text (see [`Val::non_text`]). A clean value stays as it is.
pub fn as_non_text(mut v: Val) -> Val {
    if v.is_tainted() {
        v.non_text = true;
    }
    v
}

fn non_text(g: &Global, fc: &FileCtx, ann: &Expr, depth: u8) -> bool {
    match ann {
        Expr::NoneLiteral(_) => true,
        Expr::BinOp(b) if b.op == Operator::BitOr => {
            non_text(g, fc, &b.left, depth) && non_text(g, fc, &b.right, depth)
        }
        Expr::Subscript(s) => {
            let Some(q) = resolved(fc, &s.value) else {
                return false;
            };
            match q.as_str() {
                "typing.Optional" | "typing.Union" => {
                    members(&s.slice).all(|m| non_text(g, fc, m, depth))
                }
                "typing.Annotated" => members(&s.slice)
                    .next()
                    .is_some_and(|m| non_text(g, fc, m, depth)),
                _ => NON_TEXT.contains(&q.as_str()),
            }
        }
        Expr::Name(_) | Expr::Attribute(_) => named_non_text(g, fc, ann, depth),
        // `-> "Report"`, `-> "Optional[dict]"`: a forward reference, read as the type it spells.
        // Names in it resolve by name, never by position in the file.
        Expr::StringLiteral(s) if depth > 0 => {
            ruff_python_parser::parse_expression(s.value.to_str())
                .is_ok_and(|parsed| non_text(g, fc, parsed.expr(), depth - 1))
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

/// A type named by a (dotted) name: a known non-text type, a project class that is not text,
/// or a module-level alias of such.
fn named_non_text(g: &Global, fc: &FileCtx, ann: &Expr, depth: u8) -> bool {
    let Some(q) = resolved(fc, ann) else {
        // A name assigned in this module to something not resolvable: maybe an alias.
        return match ann {
            Expr::Name(n) => alias_non_text(g, fc, n.id.as_str(), depth),
            _ => false,
        };
    };
    if NON_TEXT.contains(&q.as_str()) {
        return true;
    }
    if let Some(class) = g.project_class(&q) {
        return !g.derives_from(class, &|base| {
            TEXT_BASES.contains(&base.rsplit('.').next().unwrap_or(base))
        });
    }
    let Some((module, name)) = q.rsplit_once('.') else {
        return false;
    };
    match g.file_of_module(module) {
        Some(other) => alias_non_text(g, other, name, depth),
        None => false,
    }
}

/// The qualified name of a type expression, `typing_extensions` read as `typing`. The shared
/// resolver lists only the builtins rules match, so builtin type names are added here.
pub(super) fn resolved(fc: &FileCtx, e: &Expr) -> Option<String> {
    let Some(q) = fc.module_sem().resolve(e) else {
        return match e {
            Expr::Name(n) if NON_TEXT.contains(&format!("builtins.{}", n.id).as_str()) => {
                Some(format!("builtins.{}", n.id))
            }
            _ => None,
        };
    };
    Some(match q.strip_prefix("typing_extensions.") {
        Some(rest) => format!("typing.{rest}"),
        None => q,
    })
}

/// `name = <type>` (or `name: TypeAlias = <type>`, `type name = <type>`) at the module level of
/// `fc`, the last one written, names only non-text types.
fn alias_non_text(g: &Global, fc: &FileCtx, name: &str, depth: u8) -> bool {
    if depth == 0 {
        return false;
    }
    let mut value = None;
    for stmt in fc.file.body() {
        match stmt {
            Stmt::Assign(a) if matches!(&a.targets[..], [Expr::Name(n)] if n.id.as_str() == name) =>
            {
                value = Some(&*a.value);
            }
            Stmt::AnnAssign(ast::StmtAnnAssign {
                target,
                value: Some(v),
                ..
            }) if matches!(&**target, Expr::Name(n) if n.id.as_str() == name) => {
                value = Some(&**v);
            }
            Stmt::TypeAlias(t) if matches!(&*t.name, Expr::Name(n) if n.id.as_str() == name) => {
                value = Some(&*t.value);
            }
            _ => {}
        }
    }
    value.is_some_and(|v| non_text(g, fc, v, depth - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::project::ProjectIndex;
    use crate::python::SourceFile;

    /// Each function of `src` by name, with whether its calls return no text.
    fn verdicts(src: &str) -> Vec<(String, bool)> {
        let (file, problems) = SourceFile::parse("pkg/hooks.py", src.to_string());
        assert!(problems.is_empty());
        let project = ProjectIndex::build(&[&file]);
        let g = Global::build(&[&file], &project);
        let mut out: Vec<(String, bool)> = g
            .funcs
            .values()
            .map(|f| (f.qualified.clone(), returns_non_text(&g, f)))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn annotations_that_name_no_text() {
        let src = r#"
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union
JSON = Dict[str, Any]
Maybe = Optional[JSON]
class Item:
    pass
class Page(str):
    pass
def a() -> JSON: ...
def b() -> Union[Item, JSON]: ...
def c() -> list[str]: ...
def d() -> Mapping[str, int] | None: ...
def e() -> Maybe: ...
def f() -> int: ...
def g() -> Tuple[str, int]: ...
def h() -> str | None: ...
def i() -> Any: ...
def j() -> bytes: ...
def k() -> Page: ...
def l(): ...
def m() -> Union[str, JSON]: ...
def n() -> "Item": ...
def o() -> "Page": ...
def p() -> "Optional[JSON]": ...
"#;
        let got = verdicts(src);
        let non_text: Vec<&str> = got
            .iter()
            .filter(|(_, v)| *v)
            .map(|(n, _)| n.rsplit('.').next().unwrap())
            .collect();
        assert_eq!(non_text, ["a", "b", "c", "d", "e", "f", "n", "p"]);
    }

    #[test]
    fn an_override_without_annotation_keeps_the_base_declaration() {
        let src = r#"
from typing import Dict
class Base:
    def run(self, x) -> Dict[str, str]: ...
    def show(self, x) -> str: ...
class Impl(Base):
    def run(self, x):
        return {"x": x}
    def show(self, x):
        return x
class Other:
    def run(self, x):
        return x
"#;
        let got = verdicts(src);
        let of = |name: &str| got.iter().find(|(n, _)| n.ends_with(name)).unwrap().1;
        assert!(of("Impl.run"));
        assert!(!of("Impl.show"));
        assert!(!of("Other.run"));
    }
}
