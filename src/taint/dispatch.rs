//! Methods called on objects whose class the analysis does not know (a form class picked at run
//! time, a plugin looked up in a registry). By default such a call's result carries its receiver
//! and arguments; but when every project method of that name is a hook that returns fixed text
//! (`def extra_form_content(self): return "<fieldset>..."`), the call returns fixed text too, and
//! when every one returns nothing of what it is given (a file response, a stored record), so does
//! the call.

use super::index::{FuncInfo, Global};

/// Zero-argument methods of Python's built-in types and common I/O objects: on an unknown object
/// such a call is most likely one of these, whatever the project also defines.
const COMMON_METHODS: &[&str] = &[
    "strip",
    "lstrip",
    "rstrip",
    "lower",
    "upper",
    "title",
    "capitalize",
    "casefold",
    "swapcase",
    "split",
    "splitlines",
    "rsplit",
    "encode",
    "decode",
    "copy",
    "items",
    "keys",
    "values",
    "pop",
    "popitem",
    "read",
    "readline",
    "readlines",
    "getvalue",
    "get_data",
    "get_json",
    "to_dict",
    "json",
    "text",
    "render",
    "unescape",
    "striptags",
    "geturl",
    "isoformat",
    "hexdigest",
    "digest",
    "__str__",
    "__repr__",
    "__html__",
];

/// Whether `obj.method()` (no arguments, unknown class) returns fixed text: the project defines
/// methods named `method`, each taking only `self` and returning literal text or `None`.
pub fn literal_hook(g: &Global, method: &str) -> bool {
    if COMMON_METHODS.contains(&method) {
        return false;
    }
    let mut found = false;
    for f in g.named(method) {
        let only_self = f.offset == 1
            && f.def.parameters.args.len() == 1
            && f.def.parameters.posonlyargs.is_empty()
            && f.def.parameters.kwonlyargs.is_empty()
            && f.def.parameters.vararg.is_none()
            && f.def.parameters.kwarg.is_none();
        if !only_self || !f.traits().returns_literal {
            return false;
        }
        found = true;
    }
    found
}

/// Most project methods of one name whose summaries are consulted for a call on an unknown object.
const MAX_CANDIDATES: usize = 8;

/// The project methods named `method` a call on an object of unknown class may run, when there
/// are some and few enough to consult.
pub fn candidates<'g, 'a>(g: &'g Global<'a>, method: &str) -> Vec<&'g FuncInfo<'a>> {
    if COMMON_METHODS.contains(&method) {
        return Vec::new();
    }
    let found: Vec<_> = g.named(method).filter(|f| f.class.is_some()).collect();
    if found.len() > MAX_CANDIDATES {
        return Vec::new();
    }
    found
}

/// Whether `obj.method(...)` (unknown class) returns no text: the project defines methods named
/// `method`, and each declares (itself or in the base-class method it overrides) a non-text
/// return type (see [`return_types`](super::return_types)).
pub fn typed_non_text(g: &Global, method: &str) -> bool {
    if COMMON_METHODS.contains(&method) {
        return false;
    }
    let mut found = false;
    // Module-level functions of that name are not candidates: a call on a module resolves.
    for f in g.named(method).filter(|f| f.class.is_some()) {
        if !super::return_types::returns_non_text(g, f) {
            return false;
        }
        found = true;
    }
    found
}

/// The function `registry.name(...)` runs when `registry` is an instance of a project class that
/// answers unknown attributes through `__getattr__` (a dict of helpers registered by name:
/// `h.redirect_to(...)`) and defines no `name` itself: the one module-level function of that
/// name in the project, if there is exactly one. `called` is the call's qualified name,
/// `Class.name`.
pub fn registered_function<'g, 'a>(g: &'g Global<'a>, called: &str) -> Option<&'g FuncInfo<'a>> {
    let (receiver, name) = called.rsplit_once('.')?;
    // `toolkit.h.redirect_to(...)`: the registry re-exported by a facade module.
    let class = g.project_class(receiver).or_else(|| {
        let target = g.through_imports(receiver)?;
        g.project_class(&target)
    })?;
    let getattr = format!("{class}.__getattr__");
    g.funcs
        .get(&getattr)
        .or_else(|| g.inherited_method(&getattr))?;
    if g.funcs.contains_key(called) || g.inherited_method(called).is_some() {
        return None;
    }
    let mut found = g.named(name).filter(|f| f.class.is_none());
    match (found.next(), found.next()) {
        (Some(f), None) => Some(f),
        _ => None,
    }
}
