//! The walk's share of who is asking: the credential sources each function reads (a wrapper's
//! counted for its decorator), and FS105 findings held until the view's guards are known.

use ruff_python_ast as ast;
use ruff_text_size::{Ranged, TextRange};

use super::{Checker, FunctionContext};
use crate::python::credentials::{self, Source};
use crate::python::flask::CsrfOffInView;
use crate::python::semantic::qualify;

impl Checker<'_> {
    /// Holds an FS105 finding about the enclosing view (or, from its decorators, the view being
    /// defined) until its guards are known; `false` outside any function, to report it now.
    pub fn defer_to_view(&mut self, range: TextRange, message: String, decorator: bool) -> bool {
        if decorator {
            self.exempt_pending.push((range, message));
            return true;
        }
        match self.functions.last_mut() {
            Some(f) => {
                f.csrf_off.push((range, message));
                true
            }
            None => false,
        }
    }

    /// Hands the credentials a function read to its enclosing function (a wrapper's to its
    /// decorator), records a module-level function's, and its deferred FS105 findings.
    pub(super) fn function_credentials(
        &mut self,
        f: &ast::StmtFunctionDef,
        ctx: &mut FunctionContext,
        module_level: bool,
    ) {
        if let Some(parent) = self.functions.last_mut() {
            parent.credentials.merge(ctx.credentials);
        } else if module_level && !ctx.credentials.is_empty() {
            let name = qualify(&self.file.module, &f.name);
            self.facts.credential_readers.push((name, ctx.credentials));
        }
        if ctx.csrf_off.is_empty() {
            return;
        }
        let view = self.location(f.name.range());
        for (range, message) in std::mem::take(&mut ctx.csrf_off) {
            self.facts.csrf_off_in_views.push(CsrfOffInView {
                location: self.location(range),
                message,
                view: view.clone(),
                reads: ctx.credentials,
            });
        }
    }

    /// Records a read of a credential source (`q` resolved): for the enclosing function, and
    /// app-wide for FS106.
    pub(super) fn note_credential_read(&mut self, q: &str, expr: &ast::Expr) {
        let key = self.read_key.take();
        let Some(source) = credentials::source_of(q) else {
            return;
        };
        if self.holds_read_value(expr) {
            return;
        }
        // A language cookie or a CORS header says nothing about who is asking; nor does a
        // session value that keeps a view's state (`session["saved"]`).
        let names_who = |k: &str| {
            if q.starts_with("flask.session") {
                !credentials::names_view_state(k)
            } else {
                credentials::names_credential(k)
            }
        };
        if key.is_some_and(|k| !names_who(&k)) {
            return;
        }
        if let Some(f) = self.functions.last_mut() {
            f.credentials.add(source);
        }
        // App-wide, Basic credentials count whether or not the app challenges: a proxy in front
        // may have asked for them.
        self.facts.ambient_credentials |= match source {
            Source::Ambient => !q.starts_with("flask_login"),
            Source::Basic => true,
            Source::Header => self.file_accepts_basic_auth(),
        };
    }

    /// `if_match.split(",")` where `if_match = request.headers.get("If-Match")`: the chain starts
    /// at a local holding a value already read from a request container (its read was judged
    /// where it was made, with its key), not at the container itself (`h = request.headers`).
    fn holds_read_value(&self, expr: &ast::Expr) -> bool {
        let mut root = expr;
        while let ast::Expr::Attribute(a) = root {
            root = &a.value;
        }
        matches!(root, ast::Expr::Name(_))
            && self.sem.resolve(root).is_some_and(|q| {
                q.strip_prefix("flask.request.")
                    .is_some_and(|rest| rest.contains('.'))
            })
    }

    /// Whether the file parses HTTP Basic credentials from the `Authorization` header itself:
    /// browsers cache those and send them with every request, cross-site ones included, like a
    /// cookie. Judged from the file's literals, once per file.
    fn file_accepts_basic_auth(&mut self) -> bool {
        *self.basic_auth.get_or_insert_with(|| {
            let text = self.file.text.as_bytes();
            let quoted = |word: &[u8]| {
                memchr::memmem::find_iter(text, word)
                    .any(|at| at > 0 && matches!(text[at - 1], b'\'' | b'"'))
            };
            quoted(b"Authorization") && quoted(b"Basic")
        })
    }
}
