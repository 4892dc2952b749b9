//! Objects whose attributes are kept apart: what a constructor stores in `self.x`, and which
//! field of a record a function reads from a parameter. A request value stored in one field
//! (a title) then does not flow out through another (a stored path or a database id).

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

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
