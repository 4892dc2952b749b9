//! Paths checked in their resolved form: `out = (base / name).resolve()` then
//! `if out.is_relative_to(base)`: the check proves `name` lands inside `base` too, since the
//! unresolved path names the same file. Likewise a path joined onto a base and checked after
//! resolving (`p = os.path.join(root, name)`, `r = os.path.realpath(p)`, `commonpath([root, r])
//! == root`) confines `name`, also when the names are the attributes a constructor sets
//! (`self.abspath = os.path.join(root, self.filepath)`). Remembered per local name or `self`
//! attribute until either side changes.

use super::*;

/// How many links of "resolved or joined from" a check is carried back through.
const MAX_LINKS: usize = 4;

impl<'w, 'g, 'a> Analyzer<'w, 'g, 'a> {
    /// After `target = value`: forgets what the target was resolved from (and what was resolved
    /// from it), then remembers `value`'s path parts when it resolves a path or joins path
    /// pieces onto a first piece holding no data (a base folder).
    pub(super) fn remember_resolved(&mut self, target: &Expr, value: &Expr) {
        let Some(name) = guards::key(target) else {
            return;
        };
        self.resolved_from
            .retain(|(k, parts, _)| *k != name && !parts.contains(&name));
        let q = match value {
            Expr::Call(c) => self.qualify(&c.func),
            _ => None,
        };
        let parts = guards::resolved_parts(value, q.as_deref());
        if !parts.is_empty() {
            self.resolved_from.push((name, parts, true));
        } else if self.joined_onto_base(value, q.as_deref()) {
            self.resolved_from
                .push((name, guards::path_keys(value), false));
        }
    }

    /// `os.path.join(base, ...)`, `Path(base, ...)` or `base / name` whose first piece holds
    /// no data: what follows is placed inside `base`.
    fn joined_onto_base(&mut self, value: &Expr, q: Option<&str>) -> bool {
        let first = match value {
            Expr::Call(c)
                if matches!(
                    q,
                    Some("os.path.join" | "posixpath.join" | "pathlib.Path" | "pathlib.PurePath")
                ) && c.arguments.args.len() > 1 =>
            {
                &c.arguments.args[0]
            }
            Expr::BinOp(b) if b.op == ast::Operator::Div => &*b.left,
            _ => return false,
        };
        // Evaluated again here, so only when that can report nothing (no call inside).
        let mut calls = false;
        crate::python::each_subexpr(first, &mut |e| calls |= e.is_call_expr());
        !calls && !self.eval(first).is_tainted()
    }

    /// The names a path checked under `key` was resolved from, followed back through
    /// [`MAX_LINKS`] links; joins are followed only behind a resolving step, since a join
    /// checked unresolved may still climb out with `..`.
    pub(super) fn resolved_parts(&self, key: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut frontier = vec![key.to_string()];
        for link in 0..MAX_LINKS {
            let mut next: Vec<String> = Vec::new();
            // The first link from the check must resolve; every later one lies behind it.
            let links = self
                .resolved_from
                .iter()
                .filter(|(k, _, resolves)| (*resolves || link > 0) && frontier.contains(k));
            for p in links.flat_map(|(_, parts, _)| parts) {
                if p != key && !out.contains(p) && !next.contains(p) {
                    next.push(p.clone());
                }
            }
            if next.is_empty() {
                break;
            }
            out.extend(next.iter().cloned());
            frontier = next;
        }
        out
    }
}
