//! Request data read through extensions and request globals: Flask-RESTful `reqparse`
//! arguments, WTForms fields, `flask.g` attributes set from request data.

/// WTForms form classes: their fields' `.data` is what the client submitted.
const FORM_BASES: &[&str] = &[
    "flask_wtf.FlaskForm",
    "flask_wtf.Form",
    "flask_wtf.form.FlaskForm",
    "wtforms.Form",
    "wtforms.form.Form",
];

use super::*;

impl<'w, 'g, 'a> Analyzer<'w, 'g, 'a> {
    /// `parser.parse_args()` in a file using `reqparse`: the request's values, argument by
    /// argument when the file declares them (typed ones hold no text).
    pub(super) fn parsed_args(&self, c: &ast::ExprCall) -> Option<Val> {
        let declared = self.fc.reqparse.as_ref()?;
        let kind = sources::classify("flask.request.values")?;
        let data = self.source_val(c.range(), kind);
        if declared.is_empty() {
            return Some(data);
        }
        let items = declared
            .iter()
            .map(|(name, typed)| {
                let v = if *typed {
                    Val::constant()
                } else {
                    data.clone()
                };
                (name.clone(), v)
            })
            .collect();
        Some(Val {
            shape: Shape::Map(Arc::new(items)),
            ..Val::default()
        })
    }

    /// `form.name.data` where `form` is an instance of a project WTForms form: submitted data.
    pub(super) fn form_field_data(&self, a: &ast::ExprAttribute, base: &Val) -> Option<Val> {
        if a.attr.as_str() != "data" {
            return None;
        }
        let (class, _field) = base.alias.as_deref()?.rsplit_once('.')?;
        let class = self.w.g.project_class(class)?;
        if !self.w.g.derives_from(class, &|b| FORM_BASES.contains(&b)) {
            return None;
        }
        let kind = sources::classify("flask.request.form")?;
        Some(self.source_val(a.range(), kind))
    }

    /// `g.lang` where some code sets `g.lang` from request data (see [`crate::taint::request_globals`]).
    pub(super) fn request_global(&self, e: &Expr) -> Option<Val> {
        let Expr::Attribute(a) = e else {
            return None;
        };
        if self.w.g.g_from_request.is_empty()
            || !self.w.g.g_from_request.contains(a.attr.as_str())
            || self.qualify(&a.value).as_deref() != Some("flask.g")
        {
            return None;
        }
        let kind = sources::classify("flask.request.values")?;
        Some(self.source_val(e.range(), kind))
    }
}
