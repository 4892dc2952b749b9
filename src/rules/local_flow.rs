//! Following a local name of the enclosing function back to its assignments, for pattern rules
//! that judge a value by where it came from (not a taint analysis: one function, no calls).

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{CmpOp, Expr, Stmt};
use ruff_text_size::{Ranged, TextSize};

use crate::python::checker::Checker;
pub use crate::python::locals::{assigned_values, each_statement, is_name};

/// How many assignments deep a value is followed (`r = post(...)`, `data = r.json()`, ...).
const MAX_HOPS: usize = 4;

/// HTTP client modules whose request functions return a response from the network.
pub const HTTP_MODULES: &[&str] = &["requests.", "httpx.", "aiohttp.", "urllib3."];
/// Method names that send a request on an HTTP client or session.
pub const HTTP_METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream",
];

/// Whether the last assignment to `target` (a name or an attribute chain, as spelled) in the
/// enclosing function before `before` gave it `value`, spelled the same way: `rpc.password =
/// request.form["password"]` makes `rpc.password == request.form["password"]` compare a value
/// with itself.
pub fn last_assigned_same(cx: &Checker, target: &Expr, value: &Expr, before: TextSize) -> bool {
    let Some(def) = cx.enclosing_function() else {
        return false;
    };
    let text = |e: &Expr| cx.file.slice(e.range());
    let mut last = None;
    each_statement(&def.body, &mut |stmt| {
        if let Stmt::Assign(a) = stmt {
            if stmt.start() < before && a.targets.iter().any(|t| text(t) == text(target)) {
                last = Some(&*a.value);
            }
        }
    });
    last.is_some_and(|v| text(v) == text(value))
}

/// Whether `expr` is read from the body of an HTTP response the server fetched itself from a
/// URL the client did not supply: `requests.post(url, data).json()["id_token"]`, directly or
/// through local names. Such data comes from the service the app chose to call, not from the
/// client.
pub fn from_fetched_response(cx: &Checker, expr: &Expr) -> bool {
    fetched(cx, expr, 0)
}

fn fetched(cx: &Checker, expr: &Expr, hops: usize) -> bool {
    if hops > MAX_HOPS {
        return false;
    }
    match expr {
        // `resp["id_token"]`, `resp.json()`, `resp.json().get("id_token")`.
        Expr::Subscript(s) => fetched(cx, &s.value, hops),
        Expr::Attribute(a) => fetched(cx, &a.value, hops),
        Expr::Call(c) => {
            is_http_request(cx, c)
                || matches!(&*c.func, Expr::Attribute(a) if fetched(cx, &a.value, hops))
        }
        Expr::Name(n) => assigned_values(cx, n.id.as_str(), n.start())
            .is_some_and(|values| values.iter().all(|v| fetched(cx, v, hops + 1))),
        _ => false,
    }
}

/// `requests.post(url, ...)` and the like, where `url` is not request data.
fn is_http_request(cx: &Checker, call: &ruff_python_ast::ExprCall) -> bool {
    let Some(callee) = cx.sem.resolve(&call.func) else {
        return false;
    };
    let method = callee.rsplit('.').next().unwrap_or_default();
    if !(HTTP_MODULES.iter().any(|m| callee.starts_with(m)) && HTTP_METHODS.contains(&method)) {
        return false;
    }
    let mut client_url = false;
    if let Some(url) = call.arguments.args.first() {
        cx.any_subexpr(url, &mut |cx, e| client_url |= cx.is_request_derived(e));
    }
    !client_url
}

/// Whether local `name` of the enclosing function is used only as a key into containers
/// (`cache[name]`, `name in cache`, `name in cache.keys()`), and stored under at least once
/// (`cache[name] = result`): a memo key, whose value never leaves the container's keys.
pub fn only_a_memo_key(cx: &Checker, name: &str) -> bool {
    let Some(def) = cx.enclosing_function() else {
        return false;
    };
    let mut uses = KeyUses {
        name,
        key_stores: 0,
        other: 0,
        total: 0,
    };
    for stmt in &def.body {
        uses.visit_stmt(stmt);
    }
    // Every occurrence but the one binding it is a key use.
    uses.key_stores > 0 && uses.other == 1 && uses.total > 1
}

/// Whether every use of local `name` in the enclosing function, past its binding, takes a slice
/// of it (`sha[:5]`, `sha[5:]`): the value is only ever used in pieces.
pub fn only_sliced(cx: &Checker, name: &str) -> bool {
    let Some(def) = cx.enclosing_function() else {
        return false;
    };
    let mut uses = SliceUses {
        name,
        slices: 0,
        other: 0,
    };
    for stmt in &def.body {
        uses.visit_stmt(stmt);
    }
    // The one other occurrence is the binding.
    uses.slices > 0 && uses.other == 1
}

/// Counts the slices taken of a name, and its other occurrences.
struct SliceUses<'n> {
    name: &'n str,
    slices: usize,
    other: usize,
}

impl<'x> Visitor<'x> for SliceUses<'_> {
    fn visit_stmt(&mut self, stmt: &'x Stmt) {
        if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            visitor::walk_stmt(self, stmt);
        }
    }

    fn visit_expr(&mut self, e: &'x Expr) {
        match e {
            Expr::Subscript(s) if is_name(&s.value, self.name) && s.slice.is_slice_expr() => {
                self.slices += 1;
                self.visit_expr(&s.slice);
            }
            Expr::Name(n) if n.id.as_str() == self.name => self.other += 1,
            _ => visitor::walk_expr(self, e),
        }
    }
}

/// Counts how a name is used: as a container key, stored under, or otherwise.
struct KeyUses<'n> {
    name: &'n str,
    key_stores: usize,
    other: usize,
    total: usize,
}

impl<'x> Visitor<'x> for KeyUses<'_> {
    fn visit_stmt(&mut self, stmt: &'x Stmt) {
        if let Stmt::Assign(a) = stmt {
            for t in &a.targets {
                if matches!(t, Expr::Subscript(s) if is_name(&s.slice, self.name)) {
                    self.key_stores += 1;
                }
            }
        }
        if matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            return;
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, e: &'x Expr) {
        match e {
            Expr::Name(n) if n.id.as_str() == self.name => {
                self.total += 1;
                self.other += 1;
            }
            Expr::Subscript(s) if is_name(&s.slice, self.name) => {
                self.total += 1;
                self.visit_expr(&s.value);
            }
            Expr::Compare(c)
                if is_name(&c.left, self.name)
                    && matches!(c.ops.as_ref(), [CmpOp::In | CmpOp::NotIn]) =>
            {
                self.total += 1;
                for comparator in c.comparators.iter() {
                    self.visit_expr(comparator);
                }
            }
            _ => visitor::walk_expr(self, e),
        }
    }
}
