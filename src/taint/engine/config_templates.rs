//! A URL template the operator sets in the app's configuration, filled with request values that
//! went through `secure_filename` (`current_app.config["TILE_URL"].format(z=secure_filename(z))`).
//! Such a value holds only ASCII letters, digits, `.`, `_` and `-`: no `/`, `:`, `@`, `?` or `#`,
//! so it fills the placeholder the operator wrote and cannot move the URL to another scheme or
//! host. Where the template puts it in the host, it picks a name the operator chose to let vary.

use super::*;

/// `secure_filename` as imported.
const NAME_CLEANERS: &[&str] = &["werkzeug.utils.secure_filename", "werkzeug.secure_filename"];

impl Analyzer<'_, '_, '_> {
    /// `template.format(...)` on a configuration value with every request value passed through
    /// `secure_filename`: harmless for redirects and outbound requests. `None` otherwise.
    pub(super) fn filled_config_template(
        &self,
        c: &ast::ExprCall,
        recv: &Val,
        call: &Call,
    ) -> Option<Val> {
        let Expr::Attribute(a) = &*c.func else {
            return None;
        };
        if recv.text.is_some() || recv.is_tainted() || !self.is_config_read(&a.value) {
            return None;
        }
        let args = c
            .arguments
            .args
            .iter()
            .zip(call.args.iter().map(|(v, _)| v));
        let kwargs = c
            .arguments
            .keywords
            .iter()
            .map(|k| &k.value)
            .zip(call.kwargs.iter().map(|(_, v, _)| v));
        let cleaned = args
            .chain(kwargs)
            .all(|(e, v)| !v.is_tainted() || self.is_name_cleaner_call(e));
        if !cleaned {
            return None;
        }
        let mut v = call.union(false);
        v.flatten_structure();
        Some(v.sanitize(SinkKind::Redirect.bit() | SinkKind::Ssrf.bit()))
    }

    /// `current_app.config[...]`, `app.config.get(...)`, nested keys included.
    fn is_config_read(&self, e: &Expr) -> bool {
        let mut e = e;
        let mut keyed = false;
        loop {
            match e {
                Expr::Subscript(s) => e = &s.value,
                Expr::Call(c) => match &*c.func {
                    Expr::Attribute(a) if a.attr.as_str() == "get" => e = &a.value,
                    _ => return false,
                },
                Expr::Attribute(a) if a.attr.as_str() == "config" => {
                    return keyed && self.is_app(&a.value);
                }
                _ => return false,
            }
            keyed = true;
        }
    }

    /// `current_app` (resolved to the app class), or a name or attribute called `app`.
    fn is_app(&self, e: &Expr) -> bool {
        let named_app = match e {
            Expr::Name(n) => n.id.as_str() == "app",
            Expr::Attribute(a) => a.attr.as_str() == "app",
            _ => false,
        };
        named_app
            || self
                .qualify(e)
                .is_some_and(|q| matches!(q.as_str(), "flask.Flask" | "flask.current_app"))
    }

    /// `secure_filename(x)`.
    fn is_name_cleaner_call(&self, e: &Expr) -> bool {
        matches!(e, Expr::Call(c) if self
            .qualify(&c.func)
            .is_some_and(|q| NAME_CLEANERS.contains(&q.as_str())))
    }
}
