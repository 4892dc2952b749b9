//! URLs of this application built by `url_for()`: `url_for("index") + "downloads/" + name` is a
//! path on this host whatever `name` holds, because a fixed segment that does not start with a
//! slash follows the endpoint's path. (`url_for("index") + name` is not: with `url_for` giving
//! `/`, a `name` of `/evil.example` makes the protocol-relative `//evil.example`.) Likewise data
//! after a literal `?` or `#` only fills the query or fragment of whatever URL precedes it.
//! The base URL of another service that the operator configures works the same way:
//! `f"{app.config['API_URL']}/results/{id}"` goes to the configured host whatever `id` holds.

use std::sync::Arc;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Operator, Stmt};
use ruff_text_size::Ranged;

use crate::python::semantic::Semantic;
use crate::python::SourceFile;

use super::dotless::Piece;
use super::value::{placed, SinkKind, Taint, Val, AFTER_ROOT, AFTER_SEGMENT};

/// What `url_for(...)` returns.
const URL_FOR: &str = "flask.url_for";
/// A `url_for(...)` path extended by a fixed segment, or a configured base URL extended by a
/// path: later parts cannot change the host.
const PINNED: &str = "flask.url_for#pinned";
/// A setting read from the application's configuration or environment (see [`setting`]).
const SETTING: &str = "flask.config#setting";

/// `v`, the value of a configuration or environment read, marked as the operator's setting when
/// nothing of the request is in it: a base URL there fixes the scheme and host of what a path
/// after it builds. (Whatever name the read's call stood for says nothing of its value.)
pub fn setting(mut v: Val) -> Val {
    if !v.is_tainted() {
        v.alias = Some(Arc::from(SETTING));
    }
    v
}

/// `app.config["API_URL"]`, `current_app.config.get("API_URL")`, `os.environ["API_URL"]`,
/// `os.getenv("API_URL")`, `API_URL.get()` (a module's setting object): a value the operator
/// configures, not the requester.
pub fn reads_setting(sem: &Semantic, e: &Expr) -> bool {
    use crate::rules::helpers::{is_constant_style, is_env_read, lookup_owner};
    let Some(owner) = lookup_owner(e) else {
        let getenv = matches!(e, Expr::Call(c) if matches!(&*c.func,
            Expr::Name(n) if n.id.as_str() == "getenv")
            || matches!(&*c.func, Expr::Attribute(a) if a.attr.as_str() == "getenv"));
        return getenv && is_env_read(sem, e);
    };
    match owner {
        Expr::Attribute(a) if a.attr.as_str() == "config" => true,
        Expr::Attribute(a) if a.attr.as_str() == "environ" => is_env_read(sem, e),
        Expr::Name(n) => {
            matches!(e, Expr::Call(c) if c.arguments.is_empty()) && is_constant_style(n.id.as_str())
        }
        _ => false,
    }
}

/// The kind of application URL `v` is, when it is one and holds no request data: a call passing
/// it is summarised with the parameter bound to that kind (see [`passed_url`]).
pub fn url_kind(v: &Val) -> Option<Arc<str>> {
    let kind = v.alias.as_ref()?;
    let known = matches!(kind.as_ref(), URL_FOR | PINNED | SETTING);
    (known && !v.is_tainted()).then(|| kind.clone())
}

/// The value of a parameter a call filled with an application URL of `kind`: clean, and
/// extended like the URL itself. (A configured setting is not known text; a path is.)
pub fn passed_url(kind: &Arc<str>) -> Val {
    Val {
        alias: Some(kind.clone()),
        constant: kind.as_ref() != SETTING,
        ..Val::default()
    }
}

/// Words of the sources of application URLs: a base URL read from the configuration or the
/// environment, or a `url_for(...)` path.
const APP_URL_WORDS: &[&str] = &["config", "environ", "getenv", "url_for"];

/// Whether `def` (whose source is `text`) may return an application URL, so a call handing it no
/// data is still worth analysing: a `return` names an [`APP_URL_WORDS`] source (`return
/// app.config["API"] + "/v1"`) or a local assigned from one (`base = app.config["API"]; return
/// base + PATH`). Most functions reading the configuration return something else, and
/// analysing them all would cost a scan for nothing.
pub fn may_return_app_url(file: &SourceFile, text: &str, def: &ast::StmtFunctionDef) -> bool {
    let names_source = |e: &Expr| {
        let text = file.slice(e.range());
        APP_URL_WORDS.iter().any(|w| text.contains(w))
    };
    if !APP_URL_WORDS.iter().any(|w| text.contains(w)) {
        return false;
    }
    let mut walk = Returns {
        names_source: &names_source,
        locals: Vec::new(),
        returned: Vec::new(),
    };
    for s in &def.body {
        walk.visit_stmt(s);
    }
    walk.returned.iter().any(|e| {
        names_source(e) || {
            let mut names = Vec::new();
            collect_names(e, &mut names);
            names.iter().any(|n| walk.locals.contains(n))
        }
    })
}

/// The returns of a function body, and its locals assigned an application URL source.
struct Returns<'s, 'f> {
    names_source: &'f dyn Fn(&Expr) -> bool,
    locals: Vec<&'s str>,
    returned: Vec<&'s Expr>,
}

impl<'s> Visitor<'s> for Returns<'s, '_> {
    fn visit_stmt(&mut self, stmt: &'s Stmt) {
        match stmt {
            Stmt::Assign(a) if (self.names_source)(&a.value) => {
                for t in &a.targets {
                    if let Expr::Name(n) = t {
                        self.locals.push(n.id.as_str());
                    }
                }
            }
            Stmt::Return(r) => self.returned.extend(r.value.as_deref()),
            // A nested function's returns are its own.
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }
}

/// The names an expression reads.
fn collect_names<'s>(e: &'s Expr, out: &mut Vec<&'s str>) {
    struct Names<'o, 's>(&'o mut Vec<&'s str>);
    impl<'s> Visitor<'s> for Names<'_, 's> {
        fn visit_expr(&mut self, e: &'s Expr) {
            if let Expr::Name(n) = e {
                self.0.push(n.id.as_str());
            }
            visitor::walk_expr(self, e);
        }
    }
    Names(out).visit_expr(e);
}

/// Text that starts a path after a base URL: `"/results/"`. (An empty setting would make
/// `//evil.example` of a bare `"/"`, but a base URL that is set is not empty.)
fn starts_path(text: &str) -> bool {
    text.starts_with('/')
}

/// `l + r` when `l` is an application path: a pinned path after a fixed segment, or the data of
/// `r` cleared for redirects and outgoing requests after a pinned one. `None` otherwise.
pub fn concat(l: &Val, r: &Val, op: Operator) -> Option<Val> {
    if op != Operator::Add {
        return None;
    }
    match l.alias.as_deref() {
        Some(URL_FOR) if r.text.as_deref().is_some_and(fixed_segment) => Some(pinned()),
        Some(SETTING) if r.text.as_deref().is_some_and(starts_path) => Some(pinned()),
        Some(PINNED) if !r.is_tainted() => Some(pinned()),
        Some(PINNED) => {
            let mut v = Val::default();
            v.absorb(r);
            v.flatten_structure();
            Some(v.sanitize(SinkKind::Redirect.bit() | SinkKind::Ssrf.bit()))
        }
        _ => None,
    }
}

/// `built`, the string made of `pieces`: the data of pieces that follow a literal `?` or `#`, or a
/// `url_for(...)` path and a fixed segment, cannot choose the scheme, host or path of the URL, so
/// it is cleared for redirects and outgoing requests, unless the same data also comes through an
/// earlier piece (only through guessed steps there: then it is an audit finding). (Data before
/// that point keeps its own taint and is reported through it.)
pub fn confine(built: Val, pieces: &[Piece]) -> Val {
    // Text that starts with this application's path and goes on past a fixed segment is one
    // too, for the next step that extends it (`url = f"{url}&{more}"`).
    let first = pieces.iter().position(|p| !matches!(p, Piece::Text("")));
    let starts_app_path = matches!(
        first.map(|i| &pieces[i]),
        Some(Piece::Value(v)) if matches!(v.alias.as_deref(), Some(URL_FOR | PINNED | SETTING))
    );
    let mut pinned = false;
    // The previous piece was a `url_for(...)` path: a fixed segment now pins it.
    let mut app_path = false;
    // The previous piece was the configured base URL the text starts with: a path now pins it.
    let mut base_url = false;
    let mut confined: Vec<Arc<Taint>> = Vec::new();
    let mut open: Vec<Arc<Taint>> = Vec::new();
    for (i, p) in pieces.iter().enumerate() {
        let text = match p {
            Piece::Text(t) => Some(*t),
            Piece::Value(v) if v.constant && !v.is_tainted() => v.text.as_deref(),
            Piece::Value(_) => None,
        };
        if let Some(t) = text {
            pinned |= t.contains(['?', '#'])
                || (app_path && fixed_segment(t))
                || (base_url && starts_path(t));
            app_path = false;
            base_url = false;
            continue;
        }
        let Piece::Value(v) = p else {
            continue;
        };
        if pinned {
            confined.extend(v.all_taints());
        } else {
            let dangerous = v.all_taints().into_iter();
            open.extend(dangerous.filter(|t| t.reaches(SinkKind::Redirect)));
        }
        base_url = first == Some(i) && matches!(v.alias.as_deref(), Some(SETTING));
        match v.alias.as_deref() {
            Some(PINNED) => pinned = true,
            Some(URL_FOR) => app_path = true,
            _ => app_path = false,
        }
    }
    // Data before the pin could still move the URL: then it is no application path.
    let built = if starts_app_path && pinned && open.is_empty() {
        Val {
            alias: Some(Arc::from(PINNED)),
            ..built
        }
    } else {
        built
    };
    if confined.is_empty() {
        return built;
    }
    let same = |a: &Taint, b: &Taint| a.key == b.key && a.field == b.field;
    let bits = SinkKind::Redirect.bit() | SinkKind::Ssrf.bit();
    built.map_taints(&|t| {
        if !confined.iter().any(|c| same(c, t)) {
            return t.clone();
        }
        let mut opened = open.iter().filter(|o| same(o, t)).peekable();
        if opened.peek().is_none() {
            return Taint {
                cleared: t.cleared | bits,
                ..t.clone()
            };
        }
        // The data moves the URL only through a step the analysis guessed (`svc.create(token=t)`
        // handing back an object whose link is the prefix): the audit part of the rule.
        Taint {
            audit: t.audit || opened.all(|o| o.audit),
            ..t.clone()
        }
    })
}

/// `built`, text made of a literal `prefix` and `parts` values, with where its data sits
/// recorded (see [`AFTER_SEGMENT`]): `"/" + x` pins the redirect to this host when `x` starts with
/// a fixed segment, here (`"/" + ("edit/" + page)`) or at a call (`login("edit/" + page)` into
/// `redirect("/" + page)`). A bare `"/" + x` stays dangerous: `x` may start with `/evil.example`.
pub fn place(built: Val, prefix: &str, parts: usize) -> Val {
    if !built.is_tainted() || (prefix.is_empty() && parts == 1) {
        // The only part starts the text: what is known of its start still holds.
        return built;
    }
    let root = prefix == "/" && parts == 1;
    let segment = fixed_segment(prefix);
    let pins = SinkKind::Redirect.bit() | SinkKind::Ssrf.bit();
    built.map_taints(&|t| {
        let cleared = if root && t.cleared & AFTER_SEGMENT != 0 {
            placed(t.cleared, 0) | pins
        } else if root {
            placed(t.cleared, AFTER_ROOT)
        } else if segment {
            placed(t.cleared, AFTER_SEGMENT)
        } else {
            placed(t.cleared, 0)
        };
        Taint {
            cleared,
            ..t.clone()
        }
    })
}

/// A non-empty literal segment that cannot start a new authority after a path.
fn fixed_segment(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c != '/' && c != '\\')
}

/// The alias of a value that is `a` on one branch and `b` on the other: both paths of this
/// application stay one (a pinned one only if both are), anything else is unknown.
pub fn joined_alias(a: Option<&str>, b: Option<&str>) -> Option<Arc<str>> {
    match (a?, b?) {
        (PINNED, PINNED) => Some(Arc::from(PINNED)),
        (URL_FOR | PINNED, URL_FOR | PINNED) => Some(Arc::from(URL_FOR)),
        _ => None,
    }
}

fn pinned() -> Val {
    Val {
        alias: Some(Arc::from(PINNED)),
        ..Val::constant()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_segments() {
        assert!(fixed_segment("downloads/"));
        assert!(!fixed_segment("/downloads"));
        assert!(!fixed_segment(""));
    }
}
