//! Paths checked in their resolved form: `out = (base / name).resolve()` then
//! `if out.is_relative_to(base)`: the check proves `name` lands inside `base` too, since the
//! unresolved path names the same file. Remembered per local name until either side changes.

use super::*;

impl<'w, 'g, 'a> Analyzer<'w, 'g, 'a> {
    /// After `target = value`: forgets what the target was resolved from (and what was resolved
    /// from it), then remembers `value`'s path parts when it resolves a path.
    pub(super) fn remember_resolved(&mut self, target: &Expr, value: &Expr) {
        let Expr::Name(n) = target else {
            return;
        };
        let name = n.id.as_str();
        self.resolved_from
            .retain(|(k, parts)| k != name && !parts.iter().any(|p| p == name));
        let q = match value {
            Expr::Call(c) => self.qualify(&c.func),
            _ => None,
        };
        let parts = guards::resolved_parts(value, q.as_deref());
        if !parts.is_empty() {
            self.resolved_from.push((name.to_string(), parts));
        }
    }

    /// The names a path checked under `key` was resolved from.
    pub(super) fn resolved_parts(&self, key: &str) -> Vec<String> {
        self.resolved_from
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, parts)| parts.iter().cloned())
            .collect()
    }
}
