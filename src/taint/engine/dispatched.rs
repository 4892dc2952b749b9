//! Calls on objects of unknown class whose project candidates say what comes back.

use super::*;

impl<'w, 'g, 'a> Analyzer<'w, 'g, 'a> {
    /// What `obj.m(...)` (class unknown) returns when request data is passed in: the join of what
    /// each project method named `m` returns for these arguments, through its summary, so a
    /// `(title, BytesIO)` pair keeps its in-memory file as one. The candidates' sinks are not
    /// reported here (the object may be a library one; the call stays judged as before), and
    /// `None` when there are no candidates or one cannot be summarised.
    pub(super) fn dispatched_value(&mut self, call: &Call, m: &str) -> Option<Val> {
        let candidates = dispatch::candidates(self.w.g, m);
        if candidates.is_empty() {
            return None;
        }
        let reaches = self.reaches.len();
        let truncated = self.truncated;
        let success = self.last_success.take();
        let mut out: Option<Val> = None;
        for f in candidates {
            let Some(v) = self.project_call(call, &f.qualified) else {
                out = None;
                break;
            };
            if self.truncated && !truncated {
                out = None;
                break;
            }
            out = Some(match out {
                None => v,
                Some(prev) => prev.join(&v),
            });
        }
        self.reaches.truncate(reaches);
        self.truncated = truncated;
        self.last_success = success;
        out.map(unnamed)
    }
}

/// `v` without the project classes it names, at the top or in its elements: the candidate may
/// not be the method that runs, so calls on what it returns are not resolved to that class's
/// methods. In-memory files and SQL statements keep their names (they hold data, never a path or
/// SQL text, whichever method made them).
fn unnamed(mut v: Val) -> Val {
    if !sinks::keeps_name(&v) {
        v.alias = None;
    }
    v.shape = match v.shape {
        Shape::Seq(items) => Shape::Seq(Arc::new(items.iter().cloned().map(unnamed).collect())),
        Shape::Map(items) => Shape::Map(Arc::new(
            items
                .iter()
                .cloned()
                .map(|(k, x)| (k, unnamed(x)))
                .collect(),
        )),
        Shape::None => Shape::None,
    };
    v
}
