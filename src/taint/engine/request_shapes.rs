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

/// The class of a form whose class is picked at run time.
const ANY_FORM: &str = "wtforms.Form";

/// At most this many project methods of one name are applied to a form of unknown class.
const MAX_FORM_METHODS: usize = 8;

/// The WTForms constructor's own parameters: what they bring fills the fields.
const FORM_ARGUMENTS: &[&str] = &["formdata", "obj", "prefix", "data", "meta"];

/// Attributes of a WTForms form holding its validators' messages (code-defined text), not what
/// was submitted.
const FORM_MESSAGES: &[&str] = &["errors", "form_errors"];

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

    /// Whether `name` is a WTForms form class: a form base or a project class deriving from one.
    fn is_form_class(&self, name: &str) -> bool {
        let g = self.w.g;
        FORM_BASES.contains(&name)
            || g.project_class(name)
                .is_some_and(|c| g.derives_from(c, &|b| FORM_BASES.contains(&b)))
    }

    /// `form.name.data` (or `form.data`) where `form` is a WTForms form instance: submitted data.
    pub(super) fn form_field_data(&self, a: &ast::ExprAttribute, base: &Val) -> Option<Val> {
        if a.attr.as_str() != "data" {
            return None;
        }
        // In a form's own method, `self.title` has no alias of its own: name it from `self`.
        let named;
        let alias = match base.alias.as_deref() {
            Some(a) => a,
            None => {
                named = self.qualify(&a.value)?;
                named.as_str()
            }
        };
        let of_form = self.is_form_class(alias)
            || alias
                .rsplit_once('.')
                .is_some_and(|(class, _field)| self.is_form_class(class));
        if !of_form {
            return None;
        }
        // `form.theme.data` of a `SelectField` or an `IntegerField`, in a function that validates
        // the form: one of the server's choices, or a number, not the client's text. (Before
        // validation a choice field holds whatever was sent.)
        let g = self.w.g;
        let confined = self.validates_forms
            && alias.rsplit_once('.').is_some_and(|(class, field)| {
                g.project_class(class)
                    .is_some_and(|c| form_fields::holds_no_text(g, c, field))
            });
        if confined {
            return Some(Val::constant());
        }
        let kind = sources::classify("flask.request.form")?;
        Some(self.form_source_val(a.range(), kind))
    }

    /// `MyForm(formdata=request.form, data=stored)`, or `form_class(formdata=...)` with a class
    /// picked at run time (`formdata` is the WTForms constructor's keyword): a form instance. The
    /// request data it holds is observable only through its fields' `.data` and `form.data`
    /// ([`Self::form_field_data`]); rendering a field gives widget HTML that escapes it, and the
    /// form's own methods return what their bodies return. So the object itself carries only
    /// what other keyword arguments bring (a project `__init__` may keep those as attributes).
    pub(super) fn form_instance(&self, call: &Call, q: Option<&str>) -> Option<Val> {
        let g = self.w.g;
        let alias = match q.map(|q| g.resolve_function(q)) {
            Some(q) if self.is_form_class(q) => q,
            // A project function taking a `formdata` parameter is analysed as itself.
            Some(q) if g.funcs.contains_key(q) || g.classes.contains(q) => return None,
            _ if call
                .kwargs
                .iter()
                .any(|(k, _, _)| k.as_deref() == Some("formdata")) =>
            {
                ANY_FORM
            }
            _ => return None,
        };
        let mut v = Val::alias(alias);
        for (k, x, _) in call.kwargs {
            if !k.as_deref().is_some_and(|k| FORM_ARGUMENTS.contains(&k)) {
                v.absorb(x);
            }
        }
        Some(v)
    }

    /// `form.summary()` on a form whose class is picked at run time: what the project's form
    /// methods of that name return (their summaries, with the form as `self`), so a method
    /// returning code-defined text gives clean text and one returning `self.title.data` gives
    /// request data. `None` when no project form class defines such a method.
    pub(super) fn form_method_result(&mut self, call: &Call) -> Option<Val> {
        let (recv, m) = (call.recv?, call.method?);
        if recv.alias.as_deref() != Some(ANY_FORM) {
            return None;
        }
        let g = self.w.g;
        let methods: Vec<String> = g
            .named(m)
            .filter(|f| f.class.as_deref().is_some_and(|c| self.is_form_class(c)))
            .map(|f| f.qualified.clone())
            .take(MAX_FORM_METHODS)
            .collect();
        let mut out: Option<Val> = None;
        for q in &methods {
            let v = self.project_call(call, q).unwrap_or_default();
            out = Some(out.map_or_else(|| v.clone(), |o| o.join(&v)));
        }
        out
    }

    /// `Model.model_validate(data)`, `Model(**data)` for a project pydantic model, or
    /// `schema.model_validate(data)` on a parameter `schema` (see [`models`]): the data, named
    /// by the model's class so that reading a field declared with a non-text type gives no
    /// request data ([`Self::model_field`]).
    pub(super) fn validated_model(&self, call: &Call, q: Option<&str>) -> Option<Val> {
        let g = self.w.g;
        let alias: Arc<str> = match (call.method, q) {
            (Some(m), _) if models::VALIDATORS.contains(&m) => {
                let written = q.and_then(|q| q.rsplit_once('.')).map(|(c, _)| c);
                match written.and_then(|c| models::class(g, c)) {
                    Some(c) => Arc::from(c),
                    None => models::param_model(param_class(call.recv?)?),
                }
            }
            (_, Some(q)) => Arc::from(models::class(g, q)?),
            _ => return None,
        };
        let mut v = calls::record_of_fields(call, q).unwrap_or_else(|| call.union(false));
        v.alias = Some(alias);
        Some(v)
    }

    /// `model.count` where `model` is a validated model whose class declares `count` with a
    /// non-text type: a clean value.
    pub(super) fn model_field(&self, base: &Val, attr: &str) -> Option<Val> {
        let class = base.alias.as_deref()?;
        models::typed_field(self.w.g, class, attr).then(Val::constant)
    }

    /// The data of argument `val` a callee's read of its attribute `field` stands for (see
    /// [`Val::argument_taints`]): none when the callee read a form's validator messages
    /// (`form.errors`), since a form's request data is observable only through its fields.
    pub(super) fn handed_over(&self, val: &Val, field: Option<&str>) -> Vec<Arc<Taint>> {
        if field.is_some_and(|f| FORM_MESSAGES.contains(&f)) && self.is_form(val) {
            return Vec::new();
        }
        val.argument_taints(field)
    }

    /// Whether `v` is a WTForms form (see [`Self::form_instance`]).
    pub(super) fn is_form(&self, v: &Val) -> bool {
        v.alias
            .as_deref()
            .is_some_and(|a| a == ANY_FORM || self.is_form_class(a))
    }

    /// A form passed to a project function as an argument: the callee may read any of its
    /// fields, so it hands over the submitted data (read at `range`).
    pub(super) fn form_argument(&self, v: &Val, range: TextRange) -> Val {
        let mut out = v.clone();
        if let Some(kind) = sources::classify("flask.request.form").filter(|_| self.is_form(v)) {
            out.absorb(&self.form_source_val(range, kind));
        }
        out
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

/// The parameter a receiver stands for in a summary (`schema` of `schema.model_validate(...)`):
/// a value carrying only that parameter's whole data and naming nothing.
fn param_class(recv: &Val) -> Option<u16> {
    match (&recv.alias, &recv.taints[..]) {
        (None, [t]) if t.field.is_none() => match t.origin {
            Origin::Param(p) => Some(p),
            _ => None,
        },
        _ => None,
    }
}
