//! WTForms fields whose validated data holds no text the client chose: numbers, booleans and
//! dates are converted by the field, and a choice field (`SelectField`, `RadioField`) accepts only
//! one of the choices the server lists (unless built with `validate_choice=False`). Their `.data`
//! is no request text, whatever the client sent.

use ruff_python_ast::{Expr, Stmt};

use super::index::{FileCtx, Global};
use super::return_types;

/// WTForms field classes whose data is converted to a non-text type or checked against the
/// server's choices, by short name (the fields live in `wtforms`, `wtforms.fields`,
/// `wtforms.fields.core`, `.simple`, `.numeric`, `.datetime`, `.choices` or `.html5`).
const CONFINED_FIELDS: &[&str] = &[
    "BooleanField",
    "DateField",
    "DateTimeField",
    "DateTimeLocalField",
    "DecimalField",
    "DecimalRangeField",
    "FloatField",
    "IntegerField",
    "IntegerRangeField",
    "MonthField",
    "RadioField",
    "SelectField",
    "SelectMultipleField",
    "TimeField",
    "WeekField",
];

/// Whether field `attr` of the project form class `class` is declared (in the class or a project
/// base) as a field whose data holds no client-chosen text.
pub fn holds_no_text(g: &Global, class: &str, attr: &str) -> bool {
    if let Some(confined) = declared(g, class, attr) {
        return confined;
    }
    g.find_in_bases(class, |_, base| declared(g, base, attr))
        .unwrap_or(false)
}

/// `Some(confined)` when `class` itself declares `attr = Field(...)`.
fn declared(g: &Global, class: &str, attr: &str) -> Option<bool> {
    let (fc, def) = g.class_def(class)?;
    def.body.iter().rev().find_map(|s| {
        let Stmt::Assign(a) = s else { return None };
        let named = a
            .targets
            .iter()
            .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == attr));
        named.then(|| confined_field(g, fc, &a.value))
    })
}

/// `SelectField(...)`, `IntegerField(...)`, or a project subclass of one.
fn confined_field(g: &Global, fc: &FileCtx, value: &Expr) -> bool {
    let Expr::Call(c) = value else { return false };
    // A choice field told not to check its choices takes any text.
    let unchecked = c
        .arguments
        .find_keyword("validate_choice")
        .is_some_and(|k| matches!(&k.value, Expr::BooleanLiteral(b) if !b.value));
    if unchecked {
        return false;
    }
    let Some(q) = return_types::resolved(fc, &c.func) else {
        return false;
    };
    is_confined_class(&q)
        || g.project_class(&q)
            .is_some_and(|p| g.derives_from(p, &|b| is_confined_class(b)))
}

/// A WTForms field class of [`CONFINED_FIELDS`], by qualified name.
fn is_confined_class(q: &str) -> bool {
    q.starts_with("wtforms.")
        && q.rsplit('.')
            .next()
            .is_some_and(|short| CONFINED_FIELDS.contains(&short))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::project::ProjectIndex;
    use crate::python::SourceFile;

    #[test]
    fn choice_and_typed_fields_hold_no_text() {
        let src = r#"
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields import RadioField
class Base(FlaskForm):
    page = IntegerField("Page")
class ThemeForm(Base):
    theme = SelectField("Theme", choices=[])
    mode = RadioField("Mode")
    free = SelectField("Free", validate_choice=False)
    name = StringField("Name")
"#;
        let (file, problems) = SourceFile::parse("pkg/forms.py", src.to_string());
        assert!(problems.is_empty());
        let project = ProjectIndex::build(&[&file]);
        let g = Global::build(&[&file], &project);
        let confined = |f: &str| holds_no_text(&g, "pkg.forms.ThemeForm", f);
        for f in ["theme", "mode", "page"] {
            assert!(confined(f), "{f}");
        }
        for f in ["free", "name", "missing"] {
            assert!(!confined(f), "{f}");
        }
    }
}
