//! A parent constructor run on the object a constructor builds (`super().__init__(user, data)`):
//! the fields it sets become the new object's, each with the data its own arguments put there,
//! so a request value handed up lands in the fields that store it, not in the whole object.

use super::*;
use crate::taint::records::{InitOwner, ParentInit};

impl Analyzer<'_, '_, '_> {
    /// In a constructor, a call running a parent constructor on `self`: its fields set on the
    /// object, or the object's fields given up when it cannot be read. `None` for other calls.
    pub(super) fn parent_init_call(&mut self, c: &ast::ExprCall) -> Option<Val> {
        let me = self.init_self.clone()?;
        let how = records::parent_init(c, &me)?;
        let g = self.w.g;
        let class = self.class.clone()?;
        // A response class's parent constructor builds the response: judged as a call (see
        // `super_method`), its fields are no record of request data.
        if calls::is_response_class(g, &class) {
            return None;
        }
        let project_class = |this: &Self, e: &Expr| {
            this.qualify(e)
                .and_then(|q| g.project_class(&q).map(str::to_string))
        };
        let owner = match how {
            ParentInit::Super(None) => records::inherited_init(g, &class, 0),
            ParentInit::Super(Some(start)) => match project_class(self, start) {
                Some(start) => records::inherited_init(g, &start, 0),
                None => InitOwner::Unknown,
            },
            ParentInit::Explicit(base) => match project_class(self, base) {
                Some(base) => records::init_owner(g, &base),
                None => InitOwner::Unknown,
            },
        };
        // `Base.__init__(self, ...)`: the object is the callee's `self`, not an argument.
        let skip = usize::from(matches!(how, ParentInit::Explicit(_)));
        let (args, kwargs) = self.eval_arguments(c, skip);
        let tainted = args.iter().any(|(v, _)| v.is_tainted())
            || kwargs.iter().any(|(_, v, _)| v.is_tainted());
        // Spread arguments are not matched to parameters.
        let spread = c.arguments.args.iter().any(Expr::is_starred_expr)
            || kwargs.iter().any(|(k, _, _)| k.is_none());
        let object = match owner {
            InitOwner::Project(parent) if !spread => {
                let call = Call {
                    c,
                    recv: None,
                    method: None,
                    args: &args,
                    kwargs: &kwargs,
                };
                self.project_call(&call, &parent)
            }
            // `object`'s constructor keeps nothing.
            InitOwner::Object => return Some(Val::clean()),
            _ => None,
        };
        match object.as_ref().map(|o| &o.shape) {
            Some(Shape::Map(fields)) => {
                for (k, v) in fields.iter() {
                    self.state.env.insert(format!("{me}.{k}"), v.clone());
                }
            }
            _ if tainted => self.init_opaque = true,
            _ => {}
        }
        Some(Val::clean())
    }
}
