//! Whether a value made in a function only leaves it in a request to another server, for
//! pattern rules about values the app keeps (a stored password hash, a token it later checks):
//! a value that is only sent out is the format a remote service demands, not one the app relies
//! on. Followed within the module: through locals and dict entries of a function, entries of
//! a mapping that outlives it (a parameter, an attribute) read back in any function, and values
//! a function returns to its callers, and parameters of the module's functions it is passed to. Run only for a rule's candidate finding.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall, Operator, Stmt, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::helpers::{argument, last_name, literal_text, words};
use super::local_flow::{HTTP_METHODS, HTTP_MODULES};
use crate::python::checker::Checker;

/// How many hops a value is followed (`digest` → `post = {...}` → `json.dumps(post)`; an entry
/// read in another method → the dict it is put in → the function returning that dict).
const MAX_HOPS: usize = 4;
/// Expressions nested deeper than this are not searched.
const MAX_NEST: usize = 64;

/// One place an expression occurs: its innermost statement and the expressions enclosing it,
/// outermost first and the expression itself last.
pub struct Site<'a> {
    def: &'a StmtFunctionDef,
    stmt: &'a Stmt,
    chain: Vec<&'a Expr>,
}

/// Where a value goes from one place it occurs.
enum Dest<'a> {
    /// Into an outbound request.
    Sent,
    /// Nowhere that keeps it (`post.update(extra)` on the dict holding it, a discarded value).
    Neutral,
    /// Stored, returned, compared, or handed to a call that is not a request.
    Kept,
    /// Bound to a local, whose later uses decide.
    Local(&'a str, TextSize),
    /// Stored under a literal key of a local dict (`data["pw"] = ...`), whose reads and the
    /// dict's own uses decide.
    Entry(&'a str, String, TextSize),
    /// Stored under a literal key of a mapping that outlives the function (a parameter's,
    /// `self.info[...]`): that key's reads anywhere in the module decide.
    Field(String),
    /// Returned by the named function: its calls in the module decide.
    Returned(&'a str),
    /// Passed to a function of the module: that parameter's uses in its body decide.
    Param(&'a StmtFunctionDef, &'a str),
}

/// Whether `value` (an expression of the enclosing function) only goes out in requests: every
/// use is an argument of an outbound call, directly, through containers and serialisers, or
/// through locals and dict entries used that way; and at least one use sends it.
pub fn only_sent_out(cx: &Checker, value: TextRange) -> bool {
    let (Some(def), Some(site)) = (cx.enclosing_function(), site_of(cx, value)) else {
        return false;
    };
    reaches_only_requests(cx, def, destination(cx, &site), 0)
}

/// Where the call at `value` occurs in the enclosing function, with the expressions around it.
pub fn site_of<'a>(cx: &Checker<'a>, value: TextRange) -> Option<Site<'a>> {
    let def = cx.enclosing_function()?;
    find(def, &|e| e.range() == value && e.is_call_expr())
        .into_iter()
        .next()
}

impl<'a> Site<'a> {
    /// Whether the expression is the container of a subscript (`query` in `query["k"]`).
    fn is_subscripted(&self) -> bool {
        let [.., parent, cur] = &self.chain[..] else {
            return false;
        };
        matches!(parent, Expr::Subscript(s) if s.value.range() == cur.range())
    }

    /// The expressions enclosing the site, innermost first (not the expression itself).
    pub fn enclosing(&self) -> impl Iterator<Item = &'a Expr> + '_ {
        self.chain.iter().rev().skip(1).copied()
    }
}

fn reaches_only_requests(cx: &Checker, def: &StmtFunctionDef, dest: Dest, hops: usize) -> bool {
    let sites = match dest {
        Dest::Sent => return true,
        Dest::Neutral | Dest::Kept => return false,
        _ if hops >= MAX_HOPS => return false,
        Dest::Local(name, after) => find(def, &|e| {
            e.start() >= after
                && matches!(e, Expr::Name(n) if n.id.as_str() == name && n.ctx.is_load())
        }),
        Dest::Entry(dict, key, after) => {
            let mut sites = find(def, &|e| {
                e.start() >= after
                    && matches!(e, Expr::Subscript(s) if s.ctx.is_load()
                        && matches!(&*s.value, Expr::Name(d) if d.id.as_str() == dict)
                        && literal_text(&s.slice).as_deref() == Some(key.as_str()))
            });
            // The dict itself going out (`post=query`) takes the entry with it; `query[k]`
            // reads and stores of other entries are not uses of this one.
            sites.extend(
                find(def, &|e| {
                    e.start() >= after
                        && matches!(e, Expr::Name(n) if n.id.as_str() == dict && n.ctx.is_load())
                })
                .into_iter()
                .filter(|site| !site.is_subscripted()),
            );
            sites
        }
        Dest::Field(key) => find_in_module(cx, &|e| {
            matches!(e, Expr::Subscript(s) if s.ctx.is_load()
                && literal_text(&s.slice).as_deref() == Some(key.as_str()))
        }),
        Dest::Param(callee, name) => find(
            callee,
            &|e| matches!(e, Expr::Name(n) if n.id.as_str() == name && n.ctx.is_load()),
        ),
        Dest::Returned(name) => find_in_module(
            cx,
            &|e| matches!(e, Expr::Call(c) if last_name(&c.func).as_deref() == Some(name)),
        ),
    };
    let mut sent = false;
    for site in &sites {
        match destination(cx, site) {
            Dest::Sent => sent = true,
            Dest::Neutral => {}
            Dest::Kept => return false,
            next => {
                if !reaches_only_requests(cx, site.def, next, hops + 1) {
                    return false;
                }
                sent = true;
            }
        }
    }
    sent
}

/// Follows the value at `site` outwards through what passes it on unchanged in meaning
/// (`.hexdigest()`, slices, containers, concatenation, `json.dumps`) to what receives it.
fn destination<'a>(cx: &Checker<'a>, site: &Site<'a>) -> Dest<'a> {
    let chain = &site.chain;
    for i in (1..chain.len()).rev() {
        let (cur, parent) = (chain[i], chain[i - 1]);
        match parent {
            // `value.hexdigest`, then its call below.
            Expr::Attribute(_) => {}
            Expr::Call(c) if c.func.range() == cur.range() => {
                if is_mutator(&c.func) {
                    return Dest::Neutral;
                }
            }
            Expr::Call(c) => {
                if is_outbound(cx, c) {
                    return Dest::Sent;
                }
                if let Some(param) = parameter_given(cx, c, cur) {
                    return param;
                }
                if !passes_on(cx, c) {
                    return Dest::Kept;
                }
            }
            Expr::Subscript(s) if s.value.range() == cur.range() => {}
            Expr::Dict(_) | Expr::List(_) | Expr::Tuple(_) | Expr::FString(_) => {}
            Expr::BinOp(b) if matches!(b.op, Operator::Add | Operator::Mod) => {}
            _ => return Dest::Kept,
        }
    }
    let top = chain[0].range();
    match site.stmt {
        Stmt::Assign(a) if a.value.range() == top && a.targets.len() == 1 => match &a.targets[0] {
            Expr::Name(n) => Dest::Local(n.id.as_str(), a.end()),
            Expr::Subscript(s) => match (&*s.value, literal_text(&s.slice)) {
                (Expr::Name(d), Some(key)) if !is_parameter(site.def, d.id.as_str()) => {
                    Dest::Entry(d.id.as_str(), key, a.end())
                }
                (Expr::Name(_) | Expr::Attribute(_) | Expr::Subscript(_), Some(key)) => {
                    Dest::Field(key)
                }
                _ => Dest::Kept,
            },
            _ => Dest::Kept,
        },
        Stmt::Return(r) if r.value.as_ref().is_some_and(|v| v.range() == top) => {
            Dest::Returned(site.def.name.as_str())
        }
        Stmt::Expr(_) => Dest::Neutral,
        _ => Dest::Kept,
    }
}

/// `get_token(host, auth_data)` where `get_token` is a function of this module (called by its
/// plain name): the parameter `arg` binds to.
fn parameter_given<'a>(cx: &Checker<'a>, call: &ExprCall, arg: &Expr) -> Option<Dest<'a>> {
    let Expr::Name(f) = &*call.func else {
        return None;
    };
    let callee = cx.file.body().iter().find_map(|s| match s {
        Stmt::FunctionDef(d) if d.name.as_str() == f.id.as_str() => Some(d),
        _ => None,
    })?;
    let name = if let Some(k) = call
        .arguments
        .keywords
        .iter()
        .find(|k| k.value.range() == arg.range())
    {
        let name = k.arg.as_ref()?.as_str();
        callee
            .parameters
            .iter()
            .map(|p| p.name().as_str())
            .find(|p| *p == name)?
    } else {
        let index = call
            .arguments
            .args
            .iter()
            .position(|a| a.range() == arg.range())?;
        if call.arguments.args[..index]
            .iter()
            .any(Expr::is_starred_expr)
        {
            return None;
        }
        callee
            .parameters
            .iter_non_variadic_params()
            .nth(index)?
            .parameter
            .name
            .as_str()
    };
    Some(Dest::Param(callee, name))
}

/// `post.update(extra)`: a method that adds to the container holding the value, which keeps
/// nothing by itself (the container's own uses decide).
fn is_mutator(func: &Expr) -> bool {
    matches!(func, Expr::Attribute(a) if matches!(a.attr.as_str(), "update" | "setdefault" | "append" | "extend"))
}

/// Calls whose result carries their argument on: conversions, serialisers and string building.
fn passes_on(cx: &Checker, call: &ExprCall) -> bool {
    if let Expr::Attribute(a) = &*call.func {
        if matches!(a.attr.as_str(), "format" | "join" | "encode") {
            return true;
        }
    }
    cx.sem.resolve(&call.func).is_some_and(|c| {
        matches!(
            c.as_str(),
            "builtins.str"
                | "builtins.bytes"
                | "json.dumps"
                | "urllib.parse.urlencode"
                | "urllib.parse.quote"
                | "urllib.parse.quote_plus"
        )
    })
}

/// Whether `call` sends a request to another server: an HTTP client call, a call handed a URL
/// first (`load(API_URL + m, post=...)`), or one whose name says it makes a request
/// (`self.api_request("login", ...)`).
fn is_outbound(cx: &Checker, call: &ExprCall) -> bool {
    if let Some(callee) = cx.sem.resolve(&call.func) {
        // `redirect(url)` answers the app's own client; it sends nothing anywhere.
        if callee.starts_with("flask.") || callee.starts_with("werkzeug.") {
            return false;
        }
        let method = callee.rsplit('.').next().unwrap_or_default();
        if (HTTP_MODULES.iter().any(|m| callee.starts_with(m)) && HTTP_METHODS.contains(&method))
            || callee == "urllib.request.urlopen"
        {
            return true;
        }
    }
    if argument(call, 0, "url").is_some_and(is_url) {
        return true;
    }
    last_name(&call.func).is_some_and(|n| words(&n).iter().any(|w| w == "request"))
}

/// A URL: an `http(s)://` literal, a name saying it holds one (`API_URL`, `pyfile.url`), or a
/// string built starting from one.
fn is_url(e: &Expr) -> bool {
    match e {
        Expr::StringLiteral(s) => {
            let s = s.value.to_str();
            s.starts_with("https://") || s.starts_with("http://")
        }
        Expr::Name(_) | Expr::Attribute(_) => last_name(e).is_some_and(|n| {
            words(&n)
                .iter()
                .any(|w| matches!(w.as_str(), "url" | "uri"))
        }),
        Expr::BinOp(b) if matches!(b.op, Operator::Add | Operator::Mod) => is_url(&b.left),
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Attribute(a) if a.attr.as_str() == "format" && is_url(&a.value))
        }
        _ => false,
    }
}

/// Whether `name` is a parameter of `def`: a mapping the caller holds on to.
fn is_parameter(def: &StmtFunctionDef, name: &str) -> bool {
    def.parameters.iter().any(|p| p.name().as_str() == name)
}

/// Every expression of the module's functions and methods that `matches`, with where it sits.
fn find_in_module<'a>(cx: &Checker<'a>, matches: &dyn Fn(&Expr) -> bool) -> Vec<Site<'a>> {
    let mut defs = Vec::new();
    collect_functions(cx.file.body(), &mut defs, 0);
    defs.into_iter()
        .flat_map(|def| find(def, matches))
        .collect()
}

/// The function definitions in `body`, in classes and nested in functions, to a bounded depth.
fn collect_functions<'a>(body: &'a [Stmt], out: &mut Vec<&'a StmtFunctionDef>, depth: usize) {
    if depth > MAX_HOPS {
        return;
    }
    for stmt in body {
        match stmt {
            Stmt::FunctionDef(f) => {
                out.push(f);
                collect_functions(&f.body, out, depth + 1);
            }
            Stmt::ClassDef(c) => collect_functions(&c.body, out, depth + 1),
            _ => {}
        }
    }
}

/// Every expression of `def`'s body (not nested functions or classes) that `matches`, with
/// where it sits.
fn find<'a>(def: &'a StmtFunctionDef, matches: &dyn Fn(&Expr) -> bool) -> Vec<Site<'a>> {
    let mut finder = Finder {
        def,
        matches,
        stack: Vec::new(),
        stmt: None,
        found: Vec::new(),
    };
    for stmt in &def.body {
        finder.visit_stmt(stmt);
    }
    finder.found
}

/// Walks a function body keeping the enclosing expressions of the node being visited.
struct Finder<'a, 'm> {
    def: &'a StmtFunctionDef,
    matches: &'m dyn Fn(&Expr) -> bool,
    stack: Vec<&'a Expr>,
    stmt: Option<&'a Stmt>,
    found: Vec<Site<'a>>,
}

impl<'a> Visitor<'a> for Finder<'a, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            return;
        }
        let outer = self.stmt.replace(stmt);
        visitor::walk_stmt(self, stmt);
        self.stmt = outer;
    }

    fn visit_expr(&mut self, e: &'a Expr) {
        if self.stack.len() > MAX_NEST {
            return;
        }
        self.stack.push(e);
        if (self.matches)(e) {
            if let Some(stmt) = self.stmt {
                self.found.push(Site {
                    def: self.def,
                    stmt,
                    chain: self.stack.clone(),
                });
            }
        }
        visitor::walk_expr(self, e);
        self.stack.pop();
    }
}
