//! Objects whose attributes are kept apart: what a constructor stores in `self.x`, and which
//! field of a record a function reads from a parameter. A request value stored in one field
//! (a title) then does not flow out through another (a stored path or a database id).

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use ruff_python_ast::{self as ast, Expr, Stmt};

use super::engine::params;
use super::index::{FuncInfo, Global};
use super::infer;
use super::value::{Origin, Shape, Taint, TaintMap, Val};

/// The attributes a constructor gives the new object (`self.title = title`), read from the
/// variables at the end of its body, when the body shows they are all it sets from its
/// parameters (see [`infer::fields_only`]).
pub fn constructed_fields(
    info: &FuncInfo,
    env: &HashMap<String, Val>,
) -> Option<Vec<(String, Val)>> {
    if info.def.name.as_str() != "__init__" || info.offset != 1 || !infer::fields_only(info.def) {
        return None;
    }
    let me = params(info.def).first()?.name.as_str();
    let prefix = format!("{me}.");
    let mut fields: Vec<(String, Val)> = env
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_string(), v.clone())))
        .collect();
    fields.sort_by(|x, y| x.0.cmp(&y.0));
    Some(fields)
}

/// The new object at a call: each field with the call's arguments put in for the parameters.
pub fn object(fields: &[(String, Val)], instantiate: &TaintMap) -> Val {
    Val {
        shape: Shape::Map(Arc::new(
            fields
                .iter()
                .map(|(k, f)| (k.clone(), f.substitute(instantiate)))
                .collect(),
        )),
        ..Val::default()
    }
}

/// Whether `base` is no record, or `attr` is computed by its class (a property or method
/// reading any field) rather than stored: then the whole object's data is what it may give.
pub fn computed_attribute(g: &Global, base: &Val, attr: &str) -> bool {
    let Some(class) = base.alias.as_deref() else {
        return true;
    };
    let q = format!("{class}.{attr}");
    g.funcs.contains_key(&q) || g.inherited_method(&q).is_some()
}

/// A caller's parameter data handed to a callee that read only `used.field` of it: the
/// caller's summary records that field too, so a record passed two calls down stays precise.
pub fn narrowed(arg: &Arc<Taint>, used: &Taint) -> Arc<Taint> {
    if matches!(arg.origin, Origin::Param(_)) && arg.field.is_none() && used.field.is_some() {
        return Arc::new(Taint {
            field: used.field.clone(),
            ..arg.as_ref().clone()
        });
    }
    arg.clone()
}

/// How a constructor runs a parent class's constructor on the object it builds.
pub enum ParentInit<'e> {
    /// `super().__init__(...)`, or `super(C, self).__init__(...)` with the class `C` written.
    Super(Option<&'e Expr>),
    /// `Base.__init__(self, ...)`: the named class's constructor, `self` passed first.
    Explicit(&'e Expr),
}

/// Whether `c`, in a constructor whose first parameter is `me`, runs a parent constructor on
/// the new object: the data it is given lands in fields that constructor names.
pub fn parent_init<'e>(c: &'e ast::ExprCall, me: &str) -> Option<ParentInit<'e>> {
    let Expr::Attribute(a) = &*c.func else {
        return None;
    };
    if a.attr.as_str() != "__init__" {
        return None;
    }
    let is_me = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == me);
    match &*a.value {
        Expr::Call(s) if matches!(&*s.func, Expr::Name(n) if n.id.as_str() == "super") => {
            match (&s.arguments.args[..], s.arguments.keywords.is_empty()) {
                ([], true) => Some(ParentInit::Super(None)),
                ([class, obj], true) if is_me(obj) => Some(ParentInit::Super(Some(class))),
                _ => None,
            }
        }
        base @ (Expr::Name(_) | Expr::Attribute(_)) => c
            .arguments
            .args
            .first()
            .is_some_and(is_me)
            .then_some(ParentInit::Explicit(base)),
        _ => None,
    }
}

/// The class whose constructor runs for a new instance of a project class.
pub enum InitOwner {
    /// A project class defining `__init__` (the qualified class name).
    Project(String),
    /// `object`'s: it stores nothing.
    Object,
    /// A library class's, or one the walk cannot name: it may keep what it is given anywhere.
    Unknown,
}

/// Bases whose constructor keeps nothing of its arguments.
const STATELESS_BASES: &[&str] = &[
    "builtins.object",
    "abc.ABC",
    "typing.Generic",
    "typing.Protocol",
];

/// Whose constructor `Class.__init__` runs: `class`'s own, or the first found in its bases in
/// order (depth first, the method resolution order of single inheritance and mixins without
/// constructors).
pub fn init_owner(g: &Global, class: &str) -> InitOwner {
    if g.funcs.contains_key(&format!("{class}.__init__")) {
        return InitOwner::Project(class.to_string());
    }
    inherited_init(g, class, 0)
}

/// Whose constructor `super().__init__` runs in a method of `class`.
pub fn inherited_init(g: &Global, class: &str, depth: usize) -> InitOwner {
    let Some(bases) = g.defined.get(class) else {
        return InitOwner::Unknown;
    };
    // A base the resolver could not name (`Base[T]`, a call) is not in the list.
    if depth > 8 || written_bases(g, class) != Some(bases.len()) {
        return InitOwner::Unknown;
    }
    for written in bases {
        let base = g.resolve_function(written);
        if g.funcs.contains_key(&format!("{base}.__init__")) {
            return InitOwner::Project(base.to_string());
        }
        if g.defined.contains_key(base) {
            match inherited_init(g, base, depth + 1) {
                InitOwner::Object => continue,
                found => return found,
            }
        }
        if !STATELESS_BASES.contains(&written.as_str()) {
            return InitOwner::Unknown;
        }
    }
    InitOwner::Object
}

/// How many base classes the definition of the project class `class` writes.
fn written_bases(g: &Global, class: &str) -> Option<usize> {
    let (module, name) = class.rsplit_once('.')?;
    let fc = g.file_of_module(module)?;
    fc.file.body().iter().find_map(|s| match s {
        Stmt::ClassDef(c) if c.name.as_str() == name => Some(c.bases().len()),
        _ => None,
    })
}
