//! FS414's share of a view body: the internal state a view returns (the whole configuration or
//! environment, every user serialized, a stack trace made outside error handling) and the code or
//! commands it runs.

use ruff_python_ast::visitor::{walk_expr, Visitor};
use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use super::{last_segment, query_model, BodyReader};
use crate::finding::Location;
use crate::python::words::words;

/// What an exposure reveals or runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExposureKind {
    /// The whole Flask configuration.
    Config,
    /// The whole process environment.
    Environ,
    /// Every user record, serialized.
    AllUsers,
    /// A stack trace produced outside error handling.
    Traceback,
    /// Code or commands run by the view (`eval`, `exec`, `subprocess`).
    AdminTool,
}

/// One exposure, with the expression as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    pub kind: ExposureKind,
    pub text: String,
    pub location: Location,
}

impl BodyReader<'_, '_> {
    /// Internal state in `e`: the whole config or environment, every user serialized, or a
    /// stack trace outside an `except` handler.
    pub(super) fn exposure_in(&self, e: &Expr) -> Option<Exposure> {
        let mut finder = ExposureFinder {
            reader: self,
            in_template: 0,
            found: None,
        };
        finder.visit_expr(e);
        finder.found
    }

    fn exposure(&self, kind: ExposureKind, e: &Expr) -> Exposure {
        Exposure {
            kind,
            text: crate::python::access::dotted(e).unwrap_or_else(|| "(expression)".into()),
            location: (self.location)(e.range()),
        }
    }

    /// `app.config` / `current_app.config` as a whole.
    fn is_config(&self, e: &Expr) -> bool {
        let Expr::Attribute(a) = e else {
            return false;
        };
        a.attr.as_str() == "config"
            && (self
                .sem
                .is_any(&a.value, &["flask.current_app", "flask.Flask"])
                || matches!(&*a.value, Expr::Name(n) if matches!(n.id.as_str(), "app" | "current_app")))
    }

    fn is_environ(&self, e: &Expr) -> bool {
        self.sem.is(e, "os.environ")
    }

    /// `eval`, `exec`, `subprocess.*`, `os.system`, `os.popen`: code or commands the view runs.
    pub(super) fn admin_tool(&self, c: &ast::ExprCall) -> Option<Exposure> {
        let name = self.sem.resolve(&c.func)?;
        let runs = matches!(
            name.as_str(),
            "builtins.eval" | "builtins.exec" | "os.system" | "os.popen" | "pty.spawn"
        ) || name.starts_with("subprocess.")
            || name.starts_with("code.");
        runs.then(|| self.exposure(ExposureKind::AdminTool, &c.func))
    }
}

/// Walks a value for internal state, skipping single reads (`app.config["X"]`,
/// `os.environ.get("X")`).
struct ExposureFinder<'r, 's, 'l> {
    reader: &'r BodyReader<'s, 'l>,
    /// Inside `render_template(...)`: a template picks the fields and settings it shows.
    in_template: usize,
    found: Option<Exposure>,
}

impl<'a> Visitor<'a> for ExposureFinder<'_, '_, '_> {
    fn visit_expr(&mut self, e: &'a Expr) {
        if self.found.is_some() {
            return;
        }
        let r = self.reader;
        let whole = |x: &Expr| r.is_config(x) || r.is_environ(x);
        match e {
            Expr::Lambda(_) => return,
            Expr::Subscript(s) if whole(&s.value) => return self.visit_expr(&s.slice),
            // `app.config.items()` is the whole; `app.config.DEBUG` one setting.
            Expr::Attribute(a) if whole(&a.value) => {
                if matches!(a.attr.as_str(), "items" | "values" | "copy") {
                    return self.visit_expr(&a.value);
                }
                return;
            }
            Expr::Call(c) => {
                if let Expr::Attribute(a) = &*c.func {
                    if whole(&a.value) && matches!(a.attr.as_str(), "get" | "keys" | "__contains__")
                    {
                        for arg in &c.arguments.args {
                            self.visit_expr(arg);
                        }
                        return;
                    }
                }
                if let Some(kind) = self.call_exposure(c) {
                    self.found = Some(r.exposure(kind, e));
                    return;
                }
                let callee = last_segment(&c.func);
                if words(callee).iter().any(|w| w == "render") {
                    self.in_template += 1;
                    walk_expr(self, e);
                    self.in_template -= 1;
                    return;
                }
                // Other calls consume their arguments (`search(app.config, query)`): what
                // they return is not the state itself.
                if !PASS_THROUGH.contains(&callee) {
                    return self.visit_expr(&c.func);
                }
            }
            // A template is handed the configuration and shows what it picks, like Flask's
            // own `config` template global.
            _ if r.is_config(e) && self.in_template == 0 => {
                self.found = Some(r.exposure(ExposureKind::Config, e));
                return;
            }
            _ if r.is_environ(e) && self.in_template == 0 => {
                self.found = Some(r.exposure(ExposureKind::Environ, e));
                return;
            }
            _ => {}
        }
        walk_expr(self, e);
    }
}

impl ExposureFinder<'_, '_, '_> {
    /// A stack trace (outside error handling) or every user record (serialized, not rendered).
    fn call_exposure(&self, c: &ast::ExprCall) -> Option<ExposureKind> {
        let r = self.reader;
        let name = r.sem.resolve(&c.func).unwrap_or_default();
        if r.in_except == 0
            && matches!(
                name.as_str(),
                "traceback.format_exc" | "traceback.format_stack" | "traceback.format_exception"
            )
        {
            return Some(ExposureKind::Traceback);
        }
        let Expr::Attribute(all) = &*c.func else {
            return None;
        };
        if all.attr.as_str() != "all" || self.in_template > 0 {
            return None;
        }
        let model = query_model(&all.value)?;
        let is_users = words(last_segment(model))
            .iter()
            .any(|w| matches!(w.as_str(), "user" | "users" | "account" | "accounts"));
        is_users.then_some(ExposureKind::AllUsers)
    }
}

/// Calls whose result carries their arguments to the client: serializers, containers, string
/// building and responses.
const PASS_THROUGH: &[&str] = &[
    "jsonify",
    "dumps",
    "dict",
    "list",
    "tuple",
    "str",
    "repr",
    "sorted",
    "make_response",
    "Response",
    "join",
    "format",
    "pformat",
    "items",
    "values",
    "copy",
    "escape",
    "Markup",
];

/// Whether `e` renders a template anywhere (`render_template`, an app's `render_page`).
pub(super) fn calls_render_template(e: &Expr) -> bool {
    struct Finder(bool);
    impl<'e> Visitor<'e> for Finder {
        fn visit_expr(&mut self, e: &'e Expr) {
            if let Expr::Call(c) = e {
                self.0 |= words(last_segment(&c.func)).iter().any(|w| w == "render");
            }
            walk_expr(self, e);
        }
    }
    let mut f = Finder(false);
    f.visit_expr(e);
    f.0
}
