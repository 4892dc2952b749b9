//! Properties of project classes: `attachment.data` runs the class's `@property def data(self)`
//! on the object, so what it returns is built from the fields it reads (a fixed icon, a stored
//! path), not the whole object's data.

use super::*;
use crate::taint::engine::calls::Call;

impl Analyzer<'_, '_, '_> {
    /// `obj.attr` where `obj` is an instance of a project class whose `attr` is a property (or a
    /// cached one): the getter's answer for this object. `None` for any other attribute.
    pub(super) fn property_read(&mut self, a: &ast::ExprAttribute, base: &Val) -> Option<Val> {
        let class = base.alias.as_deref()?;
        let g = self.w.g;
        // Most aliases name a module or a library object: only a project class has properties.
        if !g.classes.contains(class) {
            return None;
        }
        let q = format!("{class}.{}", a.attr);
        let info = g
            .funcs
            .get(g.resolve_function(&q))
            .or_else(|| g.inherited_method(&q))?;
        if info.offset != 1 || !is_getter(info.def) {
            return None;
        }
        let qualified = info.qualified.clone();
        // The read is analysed as the call `obj.attr()` the property stands for, written where
        // the attribute is.
        let end = a.range().end();
        let getter_call = ast::ExprCall {
            node_index: ast::AtomicNodeIndex::default(),
            range_start: a.range().start(),
            func: Box::new(Expr::Attribute(a.clone())),
            arguments: ast::Arguments {
                range: TextRange::new(end, end),
                node_index: ast::AtomicNodeIndex::default(),
                args: Box::new([]),
                keywords: Default::default(),
            },
        };
        let call = Call {
            c: &getter_call,
            recv: Some(base),
            method: Some(a.attr.as_str()),
            args: &[],
            kwargs: &[],
        };
        self.project_call(&call, &qualified)
    }
}

/// Whether `def` is a property's getter: decorated `@property`, `@cached_property`
/// (`functools`, Werkzeug) or `@functools.cached_property`. A setter (`@data.setter`) is not.
fn is_getter(def: &ast::StmtFunctionDef) -> bool {
    def.decorator_list.iter().any(|d| match &d.expression {
        Expr::Name(n) => matches!(n.id.as_str(), "property" | "cached_property"),
        Expr::Attribute(a) => a.attr.as_str() == "cached_property",
        _ => false,
    })
}
