//! URLs of this application built by `url_for()`: `url_for("index") + "downloads/" + name` is a
//! path on this host whatever `name` holds, because a fixed segment that does not start with a
//! slash follows the endpoint's path. (`url_for("index") + name` is not: with `url_for` giving
//! `/`, a `name` of `/evil.example` makes the protocol-relative `//evil.example`.)

use std::sync::Arc;

use ruff_python_ast::Operator;

use super::value::{SinkKind, Val};

/// What `url_for(...)` returns.
const URL_FOR: &str = "flask.url_for";
/// A `url_for(...)` path extended by a fixed segment: later parts cannot change the host.
const PINNED: &str = "flask.url_for#pinned";

/// `l + r` when `l` is an application path: a pinned path after a fixed segment, or the data of
/// `r` cleared for redirects and outgoing requests after a pinned one. `None` otherwise.
pub fn concat(l: &Val, r: &Val, op: Operator) -> Option<Val> {
    if op != Operator::Add {
        return None;
    }
    match l.alias.as_deref() {
        Some(URL_FOR) if r.text.as_deref().is_some_and(fixed_segment) => Some(pinned()),
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

/// A non-empty literal segment that cannot start a new authority after a path.
fn fixed_segment(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c != '/' && c != '\\')
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
