//! The per-function abstract interpreter: walks a function body once (loops twice), keeping for
//! each local name what request data it may hold, and records every place where such data reaches
//! a sink. Parameters start as symbolic taints, so the same walk yields the function's summary:
//! which parameters reach the return value and which reach sinks.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use ruff_python_ast::{self as ast, CmpOp, Expr, Operator, Stmt, UnaryOp};
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::app_paths;
use super::context::{self, Known};
use super::dispatch;
use super::exceptions::{self, Responses};
use super::guards;
use super::index::{self, FileCtx, FuncInfo, Global};
use super::infer;
use super::pathsafe;
use super::records;
use super::self_xss;
use super::sinks;
use super::sources::{self, SourceKind};
use super::value::{add_all, concat, push_step, Index, Origin, Shape, SinkKind, Taint, Val, ALL};
use crate::python::flask::string_literal;
use crate::python::project::bind_statement;
use crate::python::semantic::{canonical, Semantic};

/// How deep calls into project functions are followed from one entry. Summaries are memoised,
/// so depth costs little; the bound only stops pathological chains.
pub const MAX_CALL_DEPTH: usize = 16;
/// Builtins whose result the analysis models (conversions, predicates, containers).
const BUILTINS: &[&str] = &[
    "len",
    "abs",
    "round",
    "hash",
    "isinstance",
    "callable",
    "hasattr",
    "id",
    "ord",
    "sum",
    "min",
    "max",
    "bytes",
    "list",
    "dict",
    "set",
    "tuple",
    "sorted",
    "reversed",
    "enumerate",
    "zip",
    "chr",
    "exit",
    "quit",
    "iter",
    "next",
    "hex",
    "oct",
    "bin",
    "print",
    "type",
];
/// How deep nested statements and expressions are followed.
const MAX_DEPTH: usize = 120;

/// Where data reached a sink.
#[derive(Debug, Clone)]
pub struct SinkSite {
    pub file: u32,
    pub range: TextRange,
    pub stmt_start: TextSize,
    /// The sink as shown to users, e.g. `cur.execute()`.
    pub name: Arc<str>,
    /// For template variables: the template and the variable name.
    pub template: Option<(Arc<str>, Arc<str>)>,
    /// The sink is in a `return` statement: a response built there reaches the client only if
    /// the caller sends what the function returns.
    pub returned: bool,
}

/// Data of one origin reaching a sink. With a parameter origin it is part of a summary; otherwise
/// it is a finding (or a template context).
#[derive(Debug, Clone)]
pub struct Reach {
    pub kind: SinkKind,
    pub taint: Arc<Taint>,
    pub site: SinkSite,
}

/// The outcome of analysing one function.
#[derive(Debug, Default)]
pub struct FnResult {
    /// What the function may return.
    pub ret: Val,
    pub reaches: Vec<Reach>,
    /// Some callee was cut off (recursion or depth): the result depends on the call path.
    pub truncated: bool,
    /// For an `__init__` that only assigns its parameters to `self.x`: those attributes.
    pub fields: Option<Vec<(String, Val)>>,
}

/// Per-thread state of the analysis: the call stack of functions being analysed.
pub struct Worker<'g, 'a> {
    pub g: &'g Global<'a>,
    stack: Vec<String>,
    /// Summaries cut short by recursion or depth, valid for this worker only.
    local: HashMap<String, Arc<FnResult>>,
    /// Functions not followed because the call chain reached [`MAX_CALL_DEPTH`].
    pub cut_off: Vec<String>,
}

impl<'g, 'a> Worker<'g, 'a> {
    /// A worker over `g`.
    pub fn new(g: &'g Global<'a>) -> Self {
        Self {
            g,
            stack: Vec::new(),
            local: HashMap::default(),
            cut_off: Vec::new(),
        }
    }

    /// Analyses `info` as an entry point: parameters hold no symbolic data (only a view's path
    /// parameters are sources), so only real flows are followed into callees.
    pub fn entry(&mut self, info: &FuncInfo) -> FnResult {
        self.stack.push(info.qualified.clone());
        let result = analyse_function(self, info, false, Known::default());
        self.stack.pop();
        result
    }

    /// The summary of the project function `qualified`: memoised, or analysed now. `None` when it
    /// is already being analysed (recursion) or the call chain is too deep.
    pub fn result(&mut self, qualified: &str) -> Option<Arc<FnResult>> {
        self.result_in(qualified, Known::default())
    }

    /// The summary of `qualified` for a call that fixes some of its mode flags.
    pub fn result_in(&mut self, qualified: &str, known: Known) -> Option<Arc<FnResult>> {
        let key = known.memo_key(qualified);
        if let Some(r) = self.g.memo.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Some(r);
        }
        if let Some(r) = self.local.get(&key) {
            return Some(r.clone());
        }
        if self.stack.iter().any(|s| s == qualified) {
            return None;
        }
        if self.stack.len() >= MAX_CALL_DEPTH {
            if self.g.funcs.contains_key(qualified) && !self.cut_off.iter().any(|c| c == qualified)
            {
                self.cut_off.push(qualified.to_string());
            }
            return None;
        }
        let info = self.g.funcs.get(qualified)?;
        self.stack.push(qualified.to_string());
        let result = Arc::new(analyse_function(self, info, true, known));
        self.stack.pop();
        if result.truncated {
            // Depends on the call path: reused only by this worker, which visits its file's
            // functions in a fixed order, so results stay deterministic.
            self.local.insert(key, result.clone());
        } else if let Ok(mut m) = self.g.memo.lock() {
            m.entry(key).or_insert_with(|| result.clone());
        }
        Some(result)
    }
}

/// Analyses one indexed function; with `summary`, parameters carry symbolic taints.
fn analyse_function(w: &mut Worker, info: &FuncInfo, summary: bool, known: Known) -> FnResult {
    let g = w.g;
    let fc = &g.files[info.file as usize];
    let mut sem = Semantic::child(fc.module_sem());
    sem.push_scope();
    let mut a = Analyzer::new(w, fc, sem);
    a.summary = summary;
    a.known = known;
    a.enter(
        info.def,
        info.class.as_deref(),
        info.offset,
        info.view.as_deref(),
    );
    // A constructor's fields, when it ends normally (the state then is the new object's).
    let ends = a.summary && a.state.reachable && a.ret.is_none();
    let fields = ends
        .then(|| records::constructed_fields(info, &a.state.env))
        .flatten();
    FnResult {
        fields,
        ..a.finish()
    }
}

type Env = HashMap<String, Val>;

/// The longest attribute chain given a qualified name; real names have a handful of links.
const MAX_QUALIFIED_LINKS: usize = 64;

/// How many times a loop body is re-run looking for a fixpoint.
const MAX_LOOP_PASSES: usize = 8;

/// A taint's source key and the sink kinds it is cleared for.
type TaintMark = ((u32, u32), u32);

/// What a loop pass can change: which taints (by source and what they are cleared for) each
/// variable holds.
fn env_signature(env: &Env) -> Vec<(String, Vec<TaintMark>)> {
    let mut sig: Vec<(String, Vec<TaintMark>)> = env
        .iter()
        .map(|(name, v)| {
            let mut t: Vec<TaintMark> = v.all_taints().iter().map(|t| (t.key, t.cleared)).collect();
            t.sort_unstable();
            t.dedup();
            (name.clone(), t)
        })
        .filter(|(_, t)| !t.is_empty())
        .collect();
    sig.sort();
    sig
}

#[derive(Clone)]
struct State {
    env: Env,
    reachable: bool,
}

fn merge(a: State, b: State) -> State {
    match (a.reachable, b.reachable) {
        (false, _) => b,
        (_, false) => a,
        _ => {
            let mut env = a.env;
            for (k, v) in b.env {
                match env.get_mut(&k) {
                    Some(x) => *x = x.join(&v),
                    None => {
                        env.insert(k, v);
                    }
                }
            }
            State {
                env,
                reachable: true,
            }
        }
    }
}

/// Walks one function body.
pub struct Analyzer<'w, 'g, 'a> {
    w: &'w mut Worker<'g, 'a>,
    fc: &'g FileCtx<'a>,
    sem: Semantic<'g>,
    state: State,
    class: Option<String>,
    is_view: bool,
    name: String,
    ret: Option<Val>,
    reaches: Vec<Reach>,
    truncated: bool,
    stmt_start: TextSize,
    depth: usize,
    /// States at `break`/`continue` of the enclosing loops.
    loop_exits: Vec<Vec<State>>,
    /// Parameters carry symbolic taints (the walk computes a summary).
    summary: bool,
    /// Response calls whose result is given a non-HTML content type afterwards.
    non_html: Vec<TextRange>,
    /// Variables holding a validator's verdict, with what it proves when true.
    verdicts: Vec<(String, Vec<(String, u32)>)>,
    /// Where the responses the current statement builds go (FS410).
    responses: Responses,
    /// Evaluating the value of a `return` statement.
    in_return: bool,
    /// Mode flags the call being summarised fixes.
    known: Known,
    /// Nested functions defined so far that return a dict (calls to them are not summarised).
    local_dicts: Vec<String>,
    /// A view whose request body only the user's own pages can send (see [`self_xss`]).
    body_self_only: bool,
}

impl<'w, 'g, 'a> Analyzer<'w, 'g, 'a> {
    fn new(w: &'w mut Worker<'g, 'a>, fc: &'g FileCtx<'a>, sem: Semantic<'g>) -> Self {
        Self {
            w,
            fc,
            sem,
            state: State {
                env: Env::default(),
                reachable: true,
            },
            class: None,
            is_view: false,
            name: String::new(),
            ret: None,
            reaches: Vec::new(),
            truncated: false,
            stmt_start: TextSize::default(),
            depth: 0,
            loop_exits: Vec::new(),
            summary: false,
            non_html: Vec::new(),
            verdicts: Vec::new(),
            responses: Responses::default(),
            in_return: false,
            known: Known::default(),
            local_dicts: Vec::new(),
            body_self_only: false,
        }
    }

    fn file(&self) -> u32 {
        self.fc.idx
    }

    /// Seeds the parameters and walks the body.
    fn enter(
        &mut self,
        def: &ast::StmtFunctionDef,
        class: Option<&str>,
        offset: usize,
        view: Option<&[(String, bool)]>,
    ) {
        self.class = class.map(str::to_string);
        self.is_view = view.is_some();
        self.body_self_only =
            self.is_view && self_xss::body_from_own_pages(&self.sem, def, self.w.g.csrf_everywhere);
        self.name = def.name.to_string();
        for (i, p) in params(def).into_iter().enumerate() {
            let name = p.name.as_str();
            let mut v = if !self.summary {
                Val::clean()
            } else {
                Val::tainted(Taint {
                    origin: Origin::Param(i as u16),
                    field: None,
                    key: (u32::MAX, i as u32),
                    cleared: 0,
                    label: Arc::from(name),
                    structured: true,
                    audit: false,
                    flow: push_step(
                        &None,
                        self.file(),
                        p.range(),
                        format!("parameter `{name}` of `{}()`", self.name),
                    ),
                })
            };
            if let Some(b) = self.known.get(i) {
                v = Val {
                    truth: Some(b),
                    constant: true,
                    ..Val::default()
                };
            }
            if i == 0 && offset == 1 {
                if let Some(c) = class {
                    v.alias = Some(Arc::from(c));
                }
            }
            if let Some((_, _)) =
                view.and_then(|ps| ps.iter().find(|(n, dangerous)| n == name && *dangerous))
            {
                let label = format!("path parameter `{name}`");
                add_all(
                    &mut v.taints,
                    &[Arc::new(Taint {
                        origin: Origin::Request,
                        field: None,
                        key: (self.file(), p.range().start().to_u32()),
                        cleared: Origin::Request.harmless_for(),
                        flow: push_step(
                            &None,
                            self.file(),
                            p.range(),
                            format!("source: {label} of view `{}()`", self.name),
                        ),
                        label: Arc::from(label),
                        structured: false,
                        audit: false,
                    })],
                );
            }
            self.sem.bind_unknown(name);
            self.state.env.insert(name.to_string(), v);
        }
        for p in [&def.parameters.vararg, &def.parameters.kwarg]
            .into_iter()
            .flatten()
        {
            self.sem.bind_unknown(p.name.as_str());
            self.state.env.insert(p.name.to_string(), Val::clean());
        }
        self.block(&def.body);
    }

    fn finish(self) -> FnResult {
        FnResult {
            ret: self.ret.unwrap_or_default(),
            reaches: self.reaches,
            truncated: self.truncated,
            fields: None,
        }
    }

    // ----- statements -------------------------------------------------------------------------

    fn block(&mut self, body: &[Stmt]) {
        self.mark_non_html(body);
        for s in body {
            if !self.state.reachable {
                break;
            }
            self.stmt(s);
        }
    }

    /// `resp = make_response(body)` followed in the same block by
    /// `resp.headers["Content-Type"] = "text/plain"` (or `resp.mimetype = ...`): the response is
    /// not HTML, so its body is no XSS sink. Records the calls, in one pass over the block.
    fn mark_non_html(&mut self, body: &[Stmt]) {
        let mut names: Vec<&str> = Vec::new();
        for s in body {
            if let Stmt::Assign(a) = s {
                if let ([target], Some(value)) = (&a.targets[..], string_literal(&a.value)) {
                    if let Some(n) = content_type_target(target) {
                        if sinks::non_html_mimetype(&value) {
                            names.push(n);
                        }
                    }
                }
            }
        }
        if names.is_empty() {
            return;
        }
        for s in body {
            if let Stmt::Assign(a) = s {
                if let ([Expr::Name(n)], Expr::Call(c)) = (&a.targets[..], &*a.value) {
                    if names.contains(&n.id.as_str()) {
                        self.non_html.push(c.range());
                    }
                }
            }
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        let outer = self.stmt_start;
        self.stmt_start = s.start();
        self.responses.statement(s);
        match s {
            Stmt::FunctionDef(f) => self.nested_function(f),
            Stmt::ClassDef(_)
            | Stmt::Pass(_)
            | Stmt::Global(_)
            | Stmt::Nonlocal(_)
            | Stmt::TypeAlias(_)
            | Stmt::IpyEscapeCommand(_) => {}
            Stmt::Return(r) => {
                self.in_return = true;
                let v = r.value.as_deref().map_or_else(Val::clean, |e| self.eval(e));
                self.in_return = false;
                if self.is_view {
                    if let Some(e) = r.value.as_deref() {
                        self.view_return(&v, e.range());
                    }
                }
                self.ret = Some(match self.ret.take() {
                    Some(prev) => prev.join(&v),
                    None => v,
                });
                self.state.reachable = false;
            }
            Stmt::Delete(d) => {
                for t in &d.targets {
                    if let Expr::Name(n) = t {
                        self.state.env.remove(n.id.as_str());
                    }
                }
            }
            Stmt::Assign(a) => {
                let v = self.eval(&a.value);
                for t in &a.targets {
                    self.assign(t, v.clone(), s.range());
                }
                self.remember_verdict(a);
                bind_statement(&mut self.sem, s);
            }
            Stmt::AnnAssign(a) => {
                if let Some(value) = &a.value {
                    let v = self.eval(value);
                    self.assign(&a.target, v, s.range());
                }
                bind_statement(&mut self.sem, s);
            }
            Stmt::AugAssign(a) => {
                let rhs = self.eval(&a.value);
                let lhs = self.eval(&a.target);
                let v = self.binop(&lhs, &rhs, a.op, Some(&a.target), s.range());
                self.assign(&a.target, v, s.range());
            }
            Stmt::For(f) => {
                let iter = self.eval(&f.iter);
                let elem = iterate(&iter);
                self.run_loop(Some((&f.target, elem)), None, &f.body, &f.orelse, s.range());
            }
            Stmt::While(wh) => {
                self.eval(&wh.test);
                match self.truth(&wh.test) {
                    Some(false) => self.block(&wh.orelse),
                    _ => self.run_loop(None, Some(&wh.test), &wh.body, &wh.orelse, s.range()),
                }
            }
            Stmt::If(i) => self.if_stmt(i),
            Stmt::With(wi) => {
                for item in &wi.items {
                    let v = self.eval(&item.context_expr);
                    if let Some(var) = &item.optional_vars {
                        self.assign(var, v, item.range());
                    }
                }
                self.block(&wi.body);
            }
            Stmt::Match(m) => {
                let subject = self.eval(&m.subject);
                let incoming = self.state.clone();
                let mut out = State {
                    env: Env::default(),
                    reachable: false,
                };
                for case in &m.cases {
                    self.state = incoming.clone();
                    bind_pattern_names(&case.pattern, &subject, &mut self.state.env);
                    self.block(&case.body);
                    out = merge(out, self.state.clone());
                }
                self.state = merge(out, incoming);
            }
            Stmt::Raise(r) => {
                if let Some(e) = &r.exc {
                    self.eval(e);
                }
                self.state.reachable = false;
            }
            Stmt::Try(t) => self.try_stmt(t),
            Stmt::Assert(a) => {
                self.eval(&a.test);
                self.narrow(&a.test, true);
            }
            Stmt::Import(_) | Stmt::ImportFrom(_) => {
                bind_statement(&mut self.sem, s);
                for name in imported_names(s) {
                    self.state.env.remove(&name);
                }
            }
            Stmt::Expr(e) => {
                self.eval(&e.value);
                if let Expr::Call(c) = &*e.value {
                    self.after_guard_call(c);
                }
            }
            Stmt::Break(_) | Stmt::Continue(_) => {
                if let Some(exits) = self.loop_exits.last_mut() {
                    exits.push(self.state.clone());
                }
                self.state.reachable = false;
            }
        }
        self.stmt_start = outer;
        self.depth -= 1;
    }

    fn nested_function(&mut self, f: &ast::StmtFunctionDef) {
        let view = index::view_params(&self.sem, f);
        let mut sem = self.sem.clone();
        sem.push_scope();
        let fc = self.fc;
        let mut sub = Analyzer::new(self.w, fc, sem);
        sub.local_dicts = self.local_dicts.clone();
        sub.enter(f, None, 0, view.as_deref());
        let result = sub.finish();
        self.truncated |= result.truncated;
        self.local_dicts.retain(|n| n != f.name.as_str());
        if matches!(result.ret.shape, Shape::Map(_)) {
            self.local_dicts.push(f.name.to_string());
        }
        // The nested function's own parameters mean nothing out here.
        self.reaches.extend(
            result
                .reaches
                .into_iter()
                .filter(|r| !matches!(r.taint.origin, Origin::Param(_))),
        );
        self.state.env.remove(f.name.as_str());
    }

    fn run_loop(
        &mut self,
        target: Option<(&Expr, Val)>,
        test: Option<&Expr>,
        body: &[Stmt],
        orelse: &[Stmt],
        range: TextRange,
    ) {
        let mut acc = self.state.clone();
        // Iterate to a fixpoint: `b0 = b1; b1 = b2; b2 = a` needs one pass per hop. Each pass
        // only adds taints, so the signature stops growing; the cap bounds pathological bodies.
        let mut seen = env_signature(&acc.env);
        for _ in 0..MAX_LOOP_PASSES {
            self.state = acc.clone();
            if let Some(t) = test {
                self.narrow(t, true);
            }
            if let Some((t, elem)) = &target {
                self.assign(t, elem.clone(), range);
            }
            self.loop_exits.push(Vec::new());
            self.block(body);
            let exits = self.loop_exits.pop().unwrap_or_default();
            let mut end = self.state.clone();
            for e in exits {
                end = merge(end, e);
            }
            acc = merge(acc, end);
            let now = env_signature(&acc.env);
            if now == seen {
                break;
            }
            seen = now;
        }
        self.state = acc;
        self.block(orelse);
    }

    fn if_stmt(&mut self, i: &ast::StmtIf) {
        let mut clauses: Vec<(Option<&Expr>, &[Stmt])> = vec![(Some(&*i.test), &i.body[..])];
        for c in &i.elif_else_clauses {
            clauses.push((c.test.as_ref(), &c.body[..]));
        }
        let mut incoming = self.state.clone();
        let mut out = State {
            env: Env::default(),
            reachable: false,
        };
        for (test, body) in clauses {
            if !incoming.reachable {
                break;
            }
            self.state = incoming.clone();
            match test {
                Some(t) => {
                    self.eval(t);
                    let after_test = self.state.clone();
                    let truth = self.truth(t);
                    if truth != Some(false) {
                        self.narrow(t, true);
                        self.block(body);
                        out = merge(out, self.state.clone());
                    }
                    if truth == Some(true) {
                        incoming.reachable = false;
                    } else {
                        self.state = after_test;
                        self.narrow(t, false);
                        incoming = self.state.clone();
                    }
                }
                None => {
                    self.block(body);
                    out = merge(out, self.state.clone());
                    incoming.reachable = false;
                }
            }
        }
        self.state = merge(out, incoming);
    }

    fn try_stmt(&mut self, t: &ast::StmtTry) {
        let before = self.state.clone();
        self.block(&t.body);
        let after_body = self.state.clone();
        // A handler may start anywhere in the body.
        let entry = merge(
            before.clone(),
            State {
                reachable: true,
                ..after_body.clone()
            },
        );
        let mut out = State {
            env: Env::default(),
            reachable: false,
        };
        for h in &t.handlers {
            let ast::ExceptHandler::ExceptHandler(h) = h;
            self.state = State {
                reachable: before.reachable,
                ..entry.clone()
            };
            let own = self.project_exception(h) || exceptions::relays_own_messages(self, t, h);
            if let Some(name) = h.name.as_ref().filter(|_| !own) {
                let label = format!("exception `{name}`");
                let v = Val::tainted(Taint {
                    origin: Origin::Exception,
                    field: None,
                    key: (self.file(), name.range().start().to_u32()),
                    cleared: Origin::Exception.harmless_for(),
                    flow: push_step(
                        &None,
                        self.file(),
                        name.range(),
                        format!("source: {label} caught here"),
                    ),
                    label: Arc::from(label),
                    // The exception object, not its text yet (see `exceptions::as_text`).
                    structured: true,
                    audit: !exceptions::reveals_internals(self, t, h),
                });
                self.state.env.insert(name.to_string(), v);
                self.sem.bind_unknown(name.as_str());
            }
            if let Some(name) = h.name.as_ref().filter(|_| own) {
                self.state.env.insert(name.to_string(), Val::clean());
                self.sem.bind_unknown(name.as_str());
            }
            self.block(&h.body);
            out = merge(out, self.state.clone());
        }
        self.state = after_body;
        self.block(&t.orelse);
        out = merge(out, self.state.clone());
        self.state = out;
        if !t.finalbody.is_empty() {
            let reachable = self.state.reachable;
            self.state.reachable = true;
            self.block(&t.finalbody);
            self.state.reachable &= reachable;
        }
    }

    /// The traits of the project function a call runs, if it is one (methods of `self`
    /// included, inherited ones too).
    pub(super) fn call_traits(&self, call: &ast::ExprCall) -> Option<infer::Traits> {
        let g = self.w.g;
        let q = self.qualify(&call.func)?;
        let q = g.resolve_function(&q);
        g.funcs
            .get(q)
            .or_else(|| g.inherited_method(q))
            .map(|f| f.traits())
    }

    /// `check_access(base, path)` as a statement, where the function raises unless the path
    /// resolves inside the base: after it, the paths passed are confined.
    fn after_guard_call(&mut self, c: &ast::ExprCall) {
        let Some(t) = self.call_traits(c) else {
            return;
        };
        if !(t.path_guard && t.raises) {
            return;
        }
        let args = c
            .arguments
            .args
            .iter()
            .chain(c.arguments.keywords.iter().map(|k| &k.value));
        for key in args.flat_map(guards::path_keys) {
            if let Some(v) = self.state.env.get(&key) {
                let v = v.sanitize(SinkKind::Path.bit());
                self.state.env.insert(key, v);
            }
        }
    }

    /// `ok, reason = validate_url(url)`: remembers what `ok` being true proves about the
    /// arguments, for a later `if not ok: return`.
    fn remember_verdict(&mut self, a: &ast::StmtAssign) {
        let ([Expr::Tuple(t)], Expr::Call(c)) = (&a.targets[..], &*a.value) else {
            return;
        };
        let Some(Expr::Name(flag)) = t.elts.first() else {
            return;
        };
        let mut checks = Vec::new();
        guards::project_validator(self, c, &mut checks);
        if !checks.is_empty() {
            self.verdicts.push((flag.id.to_string(), checks));
        }
    }

    /// What the verdict variable `name` being true proves (see [`Self::remember_verdict`]).
    pub(super) fn verdict(&self, name: &str) -> Option<&[(String, u32)]> {
        self.verdicts
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, c)| c.as_slice())
    }

    /// Whether a handler catches only exception classes the project defines: their messages are
    /// written by the application for its users (`raise RateLimit("too many alerts")`), unlike
    /// those of `Exception`, a bare `except:` or library errors, which may carry internals.
    fn project_exception(&self, h: &ast::ExceptHandlerExceptHandler) -> bool {
        let Some(t) = h.type_.as_deref() else {
            return false;
        };
        let types: Vec<&Expr> = match t {
            Expr::Tuple(t) => t.elts.iter().collect(),
            other => vec![other],
        };
        types.iter().all(|t| {
            self.qualify(t)
                .is_some_and(|q| self.w.g.project_class(&q).is_some())
        })
    }

    /// Binds `value` to an assignment target.
    fn assign(&mut self, target: &Expr, value: Val, range: TextRange) {
        match target {
            Expr::Name(n) => {
                let v = value.step(self.file(), range, &format!("assigned to `{}`", n.id));
                self.verdicts.retain(|(k, _)| k != n.id.as_str());
                self.state.env.insert(n.id.to_string(), v);
            }
            Expr::Tuple(_) | Expr::List(_) => {
                let elts = match target {
                    Expr::Tuple(t) => &t.elts,
                    Expr::List(l) => &l.elts,
                    _ => unreachable!(),
                };
                let positional = match &value.shape {
                    Shape::Seq(items)
                        if items.len() == elts.len() && !elts.iter().any(Expr::is_starred_expr) =>
                    {
                        Some(items.clone())
                    }
                    _ => None,
                };
                for (i, e) in elts.iter().enumerate() {
                    let v = match &positional {
                        Some(items) => {
                            let mut v = items[i].clone();
                            add_all(&mut v.taints, &value.taints);
                            v
                        }
                        None => value.collapse(),
                    };
                    self.assign(e, v, range);
                }
            }
            Expr::Starred(s) => self.assign(&s.value, value.collapse(), range),
            Expr::Attribute(a) => {
                self.eval(&a.value);
                if let Some(key) = guards::key(target) {
                    let v = value.step(self.file(), range, &format!("stored in `{key}`"));
                    self.state.env.insert(key, v);
                }
            }
            Expr::Subscript(s) => {
                self.eval(&s.slice);
                self.subscript_store(s, &value, range);
            }
            _ => {}
        }
    }

    fn subscript_store(&mut self, s: &ast::ExprSubscript, value: &Val, range: TextRange) {
        // session[...] = request data
        if self.qualify(&s.value).as_deref() == Some("flask.session") {
            let name = format!("session[{}]", short(self.fc.file.slice(s.slice.range())));
            self.sink(SinkKind::SessionStore, value, range, &name, None);
            return;
        }
        // resp.headers["Location"] = ...
        if let Expr::Attribute(h) = &*s.value {
            if h.attr.as_str() == "headers"
                && string_literal(&s.slice).is_some_and(|k| k.eq_ignore_ascii_case("location"))
            {
                self.sink(
                    SinkKind::Redirect,
                    value,
                    range,
                    "the Location header",
                    None,
                );
            }
        }
        let Some(key) = guards::key(&s.value) else {
            return;
        };
        let Some(container) = self.state.env.get(&key).cloned() else {
            return;
        };
        let index = self.const_index(&s.slice);
        let updated = match (&container.shape, index) {
            (Shape::Map(items), Some(Index::Str(k))) => {
                let mut items = (**items).clone();
                items.retain(|(x, _)| *x != k);
                items.push((k, value.clone()));
                Val {
                    shape: Shape::Map(Arc::new(items)),
                    ..container.clone()
                }
            }
            (Shape::Seq(items), Some(Index::Int(i))) if i >= 0 && (i as usize) < items.len() => {
                let mut items = (**items).clone();
                items[i as usize] = value.clone();
                Val {
                    shape: Shape::Seq(Arc::new(items)),
                    ..container.clone()
                }
            }
            _ => {
                let mut c = container.clone();
                c.absorb(value);
                c.constant &= value.constant;
                c
            }
        };
        let updated = if value.is_tainted() {
            updated.step(self.file(), range, &format!("stored in `{key}`"))
        } else {
            updated
        };
        self.state.env.insert(key, updated);
    }

    // ----- conditions --------------------------------------------------------------------------

    /// The constant truth of a condition, when it has one.
    fn truth(&self, e: &Expr) -> Option<bool> {
        match e {
            Expr::Name(n) => match self.state.env.get(n.id.as_str()) {
                Some(v) => v.truth,
                None => self.fc.consts.get(n.id.as_str()).copied(),
            },
            Expr::UnaryOp(u) if u.op == UnaryOp::Not => self.truth(&u.operand).map(|b| !b),
            Expr::BoolOp(b) => {
                let vals: Vec<Option<bool>> = b.values.iter().map(|v| self.truth(v)).collect();
                match b.op {
                    ast::BoolOp::And if vals.contains(&Some(false)) => Some(false),
                    ast::BoolOp::And if vals.iter().all(|v| *v == Some(true)) => Some(true),
                    ast::BoolOp::Or if vals.contains(&Some(true)) => Some(true),
                    ast::BoolOp::Or if vals.iter().all(|v| *v == Some(false)) => Some(false),
                    _ => None,
                }
            }
            Expr::Compare(c) if c.ops.len() == 1 => {
                let l = self.literal_text(&c.left)?;
                let r = self.literal_text(&c.comparators[0])?;
                match c.ops[0] {
                    CmpOp::Eq => Some(l == r),
                    CmpOp::NotEq => Some(l != r),
                    _ => None,
                }
            }
            other => index::literal_truth(other),
        }
    }

    fn literal_text(&self, e: &Expr) -> Option<String> {
        match e {
            Expr::StringLiteral(s) => Some(format!("s:{}", s.value.to_str())),
            Expr::NumberLiteral(_) | Expr::BooleanLiteral(_) | Expr::NoneLiteral(_) => {
                Some(format!("n:{}", self.fc.file.slice(e.range())))
            }
            Expr::Name(n) => self
                .state
                .env
                .get(n.id.as_str())
                .and_then(|v| v.text.as_ref())
                .map(|t| format!("s:{t}")),
            _ => None,
        }
    }

    /// Applies what a condition being `branch` proves about the names it tests.
    fn narrow(&mut self, test: &Expr, branch: bool) {
        let checks = guards::checks(self, test, branch);
        for (key, bits) in checks {
            if let Some(v) = self.state.env.get(&key) {
                let v = v.sanitize(bits);
                self.state.env.insert(key, v);
            }
        }
    }

    /// Whether `e` is untainted (for allow-list containers), without recording anything.
    pub(super) fn is_clean_container(&self, e: &Expr) -> bool {
        match e {
            Expr::List(l) => l.elts.iter().all(|x| x.is_literal_expr()),
            Expr::Tuple(t) => t.elts.iter().all(|x| x.is_literal_expr()),
            Expr::Set(s) => s.elts.iter().all(|x| x.is_literal_expr()),
            Expr::Dict(d) => d
                .items
                .iter()
                .all(|i| i.key.as_ref().is_some_and(Expr::is_literal_expr)),
            Expr::Name(n) => self
                .state
                .env
                .get(n.id.as_str())
                .is_none_or(|v| !v.is_tainted()),
            Expr::Attribute(_) => {
                guards::key(e)
                    .and_then(|k| self.state.env.get(&k))
                    .is_none_or(|v| !v.is_tainted())
                    && self.source_kind(e).is_none()
            }
            Expr::Call(c) => {
                matches!(&*c.func, Expr::Attribute(a) if matches!(a.attr.as_str(), "keys" | "values") && self.is_clean_container(&a.value))
            }
            _ => false,
        }
    }

    /// The qualified name `e` stands for: local aliases first, then imports and module names.
    pub(super) fn qualify(&self, e: &Expr) -> Option<String> {
        self.qualify_within(e, MAX_QUALIFIED_LINKS)
    }

    /// [`Self::qualify`] over at most `links` attribute/call links: a name is rebuilt at each
    /// link, so an unbounded chain would cost its length squared (and as much stack).
    fn qualify_within(&self, e: &Expr, links: usize) -> Option<String> {
        if links == 0 {
            return None;
        }
        match e {
            Expr::Name(n) => match self.state.env.get(n.id.as_str()) {
                Some(v) => v.alias.as_deref().map(str::to_string),
                None => self.sem.resolve(e).or_else(|| {
                    // Builtins the shared resolver does not list (it only knows those rules match).
                    BUILTINS
                        .contains(&n.id.as_str())
                        .then(|| format!("builtins.{}", n.id))
                }),
            },
            Expr::Attribute(a) => {
                if let Some(k) = guards::key(e) {
                    if let Some(v) = self.state.env.get(&k) {
                        return v.alias.as_deref().map(str::to_string);
                    }
                }
                let base = self.qualify_within(&a.value, links - 1)?;
                Some(canonical(&format!("{base}.{}", a.attr)))
            }
            Expr::Call(c) => self.qualify_within(&c.func, links - 1),
            _ => None,
        }
    }

    // ----- expressions -------------------------------------------------------------------------

    fn source_kind(&self, e: &Expr) -> Option<SourceKind> {
        match e {
            Expr::Name(_) | Expr::Attribute(_) => {
                self.qualify(e).and_then(|q| sources::classify(&q))
            }
            Expr::Subscript(s) => self.source_kind(&s.value),
            Expr::Call(c) => self.qualify(&c.func).and_then(|q| sources::classify(&q)),
            _ => None,
        }
    }

    /// The value read from a request source at `range`.
    fn source_val(&self, range: TextRange, kind: SourceKind) -> Val {
        let label = short(self.fc.file.slice(range));
        let own = if kind.body && self.body_self_only {
            SinkKind::Xss.bit()
        } else {
            0
        };
        Val::tainted(Taint {
            origin: kind.origin,
            field: None,
            key: (self.file(), range.start().to_u32()),
            cleared: kind.cleared | own,
            flow: push_step(&None, self.file(), range, format!("source: {label}")),
            label: Arc::from(label),
            structured: kind.structured,
            audit: false,
        })
    }

    /// A source read by key (`request.headers["Referer"]`, `request.environ.get("HTTP_REFERER")`):
    /// the Referer cannot be chosen by an attacker for a victim, so it is no redirect target.
    fn keyed_source(&self, range: TextRange, kind: SourceKind, key: Option<&Expr>) -> Val {
        let v = self.source_val(range, kind);
        match key.and_then(string_literal) {
            Some(k) if sources::is_referer_key(&k) => v.sanitize(SinkKind::Redirect.bit()),
            _ => v,
        }
    }

    /// The abstract value of an expression (recording sinks it reaches on the way).
    pub fn eval(&mut self, e: &Expr) -> Val {
        if self.depth > MAX_DEPTH {
            return Val::clean();
        }
        self.depth += 1;
        let v = self.eval_inner(e);
        self.depth -= 1;
        v
    }

    fn eval_inner(&mut self, e: &Expr) -> Val {
        match e {
            Expr::Name(n) => {
                let sent = self.responses.read(n.id.as_str());
                self.reaches.extend(sent);
                if let Some(v) = self.state.env.get(n.id.as_str()) {
                    return v.clone();
                }
                if let Some(kind) = self.source_kind(e) {
                    return self.source_val(e.range(), kind);
                }
                if let Some(text) = self.fc.texts.get(n.id.as_str()) {
                    return Val {
                        truth: Some(!text.is_empty()),
                        text: Some(Arc::clone(text)),
                        ..Val::constant()
                    };
                }
                if let Some(truth) = self.fc.consts.get(n.id.as_str()) {
                    return Val {
                        truth: Some(*truth),
                        ..Val::constant()
                    };
                }
                let mut v = self.qualify(e).map_or_else(Val::clean, |q| Val::alias(&q));
                // Module-level UPPER_CASE names are constants by convention.
                v.constant =
                    n.id.chars()
                        .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit());
                v
            }
            Expr::Attribute(a) => {
                if let Some(kind) = self.source_kind(e) {
                    if !matches!(&*a.value, Expr::Name(n) if self.state.env.contains_key(n.id.as_str()))
                        || guards::key(e).is_none()
                    {
                        return self.source_val(e.range(), kind);
                    }
                }
                if let Some(k) = guards::key(e) {
                    if let Some(v) = self.state.env.get(&k) {
                        return v.clone();
                    }
                }
                let base = self.eval(&a.value);
                if matches!(base.shape, Shape::Map(_))
                    && !records::computed_attribute(self.w.g, &base, &a.attr)
                {
                    // A field of a record built with keyword arguments (see `record_of_fields`)
                    // or of an object whose constructor names its fields.
                    return base.element(&Index::Str(a.attr.to_string()));
                }
                if base.is_tainted() {
                    let mut v = base.attribute_of_param(a.attr.as_str());
                    v.constant = false;
                    exceptions::as_text(&mut v);
                    return v;
                }
                let mut v = self.qualify(e).map_or_else(Val::clean, |q| Val::alias(&q));
                v.constant = base.constant && base.alias.is_none();
                v
            }
            Expr::Subscript(s) => {
                if let Some(kind) = self.source_kind(e) {
                    self.eval(&s.slice);
                    return self.keyed_source(e.range(), kind, Some(&s.slice));
                }
                let base = self.eval(&s.value);
                self.eval(&s.slice);
                match self.const_index(&s.slice) {
                    Some(i) => base.element(&i),
                    None => {
                        let mut v = base.collapse();
                        v.constant = base.constant;
                        v
                    }
                }
            }
            Expr::Call(c) => self.call(c),
            Expr::StringLiteral(s) => {
                let t = s.value.to_str();
                Val {
                    text: Some(Arc::from(t)),
                    truth: Some(!t.is_empty()),
                    ..Val::constant()
                }
            }
            Expr::BytesLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::EllipsisLiteral(_)
            | Expr::NoneLiteral(_) => Val {
                truth: index::literal_truth(e),
                ..Val::constant()
            },
            Expr::BooleanLiteral(b) => Val {
                truth: Some(b.value),
                ..Val::constant()
            },
            Expr::FString(f) => self.fstring(f),
            Expr::TString(_) | Expr::IpyEscapeCommand(_) | Expr::Lambda(_) => Val::clean(),
            Expr::BoolOp(b) => {
                let mut out: Option<Val> = None;
                for v in &b.values {
                    let x = self.eval(v);
                    out = Some(match out {
                        Some(o) => o.join(&x),
                        None => x,
                    });
                }
                let mut v = out.unwrap_or_default();
                v.truth = self.truth(e);
                v
            }
            Expr::Named(n) => {
                let v = self.eval(&n.value);
                self.assign(&n.target, v.clone(), n.range());
                v
            }
            Expr::BinOp(b) => {
                let l = self.eval(&b.left);
                let r = self.eval(&b.right);
                self.binop(&l, &r, b.op, Some(&b.left), e.range())
            }
            Expr::UnaryOp(u) => {
                let v = self.eval(&u.operand);
                match u.op {
                    UnaryOp::Not => Val {
                        truth: v.truth.map(|t| !t),
                        ..Val::constant()
                    },
                    _ => Val::constant(),
                }
            }
            Expr::If(i) => {
                self.eval(&i.test);
                match self.truth(&i.test) {
                    Some(true) => self.eval(&i.body),
                    Some(false) => self.eval(&i.orelse),
                    None => {
                        let saved = self.state.clone();
                        self.narrow(&i.test, true);
                        let a = self.eval(&i.body);
                        self.state = saved.clone();
                        self.narrow(&i.test, false);
                        let b = self.eval(&i.orelse);
                        self.state = saved;
                        a.join(&b)
                    }
                }
            }
            Expr::Dict(d) => {
                let mut items = Vec::new();
                let mut rest = Val::constant();
                let mut precise = true;
                for item in &d.items {
                    let v = self.eval(&item.value);
                    match item.key.as_ref().map(|k| (k, string_literal(k))) {
                        Some((_, Some(k))) => items.push((k, v)),
                        Some((k, None)) => {
                            let kv = self.eval(k);
                            precise = false;
                            rest.absorb(&kv);
                            rest.absorb(&v);
                            rest.constant &= kv.constant && v.constant;
                        }
                        None => {
                            precise = false;
                            rest.absorb(&v);
                            rest.constant &= v.constant;
                        }
                    }
                }
                if precise {
                    let constant = items.iter().all(|(_, v)| v.constant);
                    Val {
                        shape: Shape::Map(Arc::new(items)),
                        constant,
                        truth: Some(!d.items.is_empty()),
                        ..Val::default()
                    }
                } else {
                    for (_, v) in &items {
                        rest.absorb(v);
                        rest.constant &= v.constant;
                    }
                    rest
                }
            }
            Expr::List(_) | Expr::Tuple(_) | Expr::Set(_) => {
                let elts = match e {
                    Expr::List(l) => &l.elts,
                    Expr::Tuple(t) => &t.elts,
                    Expr::Set(s) => &s.elts,
                    _ => unreachable!(),
                };
                let vals: Vec<Val> = elts.iter().map(|x| self.eval(x)).collect();
                let constant = vals.iter().all(|v| v.constant);
                if elts.iter().any(Expr::is_starred_expr) || matches!(e, Expr::Set(_)) {
                    let mut v = Val {
                        constant,
                        ..Val::default()
                    };
                    vals.iter().for_each(|x| v.absorb(x));
                    v
                } else {
                    Val {
                        truth: Some(!vals.is_empty()),
                        shape: Shape::Seq(Arc::new(vals)),
                        constant,
                        ..Val::default()
                    }
                }
            }
            Expr::ListComp(c) => self.comprehension(&c.generators, &[&c.elt]),
            Expr::SetComp(c) => self.comprehension(&c.generators, &[&c.elt]),
            Expr::Generator(c) => self.comprehension(&c.generators, &[&c.elt]),
            Expr::DictComp(c) => {
                let mut elts: Vec<&Expr> = vec![&c.value];
                elts.extend(c.key.as_deref());
                self.comprehension(&c.generators, &elts)
            }
            Expr::Await(a) => self.eval(&a.value),
            Expr::Yield(y) => {
                if let Some(v) = &y.value {
                    let v = self.eval(v);
                    self.ret = Some(self.ret.take().map_or_else(|| v.clone(), |r| r.join(&v)));
                }
                Val::clean()
            }
            Expr::YieldFrom(y) => {
                self.eval(&y.value);
                Val::clean()
            }
            Expr::Compare(c) => {
                self.eval(&c.left);
                for x in c.comparators.iter() {
                    self.eval(x);
                }
                Val {
                    truth: self.truth(e),
                    ..Val::constant()
                }
            }
            Expr::Starred(s) => self.eval(&s.value).collapse(),
            Expr::Slice(s) => {
                for x in [&s.lower, &s.upper, &s.step].into_iter().flatten() {
                    self.eval(x);
                }
                Val::constant()
            }
        }
    }

    fn comprehension(&mut self, generators: &[ast::Comprehension], elts: &[&Expr]) -> Val {
        let saved = self.state.clone();
        for g in generators {
            let it = self.eval(&g.iter);
            self.assign(&g.target, iterate(&it), g.range());
            for cond in &g.ifs {
                self.eval(cond);
                self.narrow(cond, true);
            }
        }
        let mut out = Val::constant();
        for e in elts {
            let v = self.eval(e);
            out.absorb(&v);
            out.constant &= v.constant;
        }
        let mut env = saved.env;
        // Comprehension variables do not leak, but writes to outer containers would: keep those.
        for (k, v) in &self.state.env {
            if env.contains_key(k) {
                env.insert(k.clone(), v.clone());
            }
        }
        self.state = State {
            env,
            reachable: saved.reachable,
        };
        out
    }

    pub(super) fn const_index(&self, e: &Expr) -> Option<Index> {
        match e {
            Expr::StringLiteral(s) => Some(Index::Str(s.value.to_str().to_string())),
            Expr::NumberLiteral(n) => match &n.value {
                ast::Number::Int(i) => i.as_i64().map(Index::Int),
                _ => None,
            },
            Expr::UnaryOp(u) if u.op == UnaryOp::USub => match self.const_index(&u.operand)? {
                Index::Int(i) => Some(Index::Int(-i)),
                Index::Str(_) => None,
            },
            Expr::Name(n) => self
                .state
                .env
                .get(n.id.as_str())
                .and_then(|v| v.text.as_ref())
                .map(|t| Index::Str(t.to_string())),
            _ => None,
        }
    }

    /// `l op r`: concatenation and formatting keep data; a literal prefix pinning the host makes
    /// the rest harmless for redirects and SSRF.
    fn binop(
        &mut self,
        l: &Val,
        r: &Val,
        op: Operator,
        left: Option<&Expr>,
        range: TextRange,
    ) -> Val {
        let constant = l.constant && r.constant;
        if let Some(v) = app_paths::concat(l, r, op) {
            return v;
        }
        if op == Operator::Add {
            if let (Shape::Seq(a), Shape::Seq(b)) = (&l.shape, &r.shape) {
                let mut items = (**a).clone();
                items.extend(b.iter().cloned());
                return Val {
                    shape: Shape::Seq(Arc::new(items)),
                    constant,
                    ..Val::default()
                };
            }
        }
        if matches!(op, Operator::Mod) && left.is_some_and(|e| matches!(e, Expr::StringLiteral(_)))
            || l.text.is_some() && op == Operator::Mod
        {
            let text = l.text.as_deref().unwrap_or("").to_string();
            let prefix = text.split('%').next().unwrap_or("").to_string();
            return self.formatted(&text, &prefix, std::slice::from_ref(r), range);
        }
        if op == Operator::Add {
            if let Some(t) = l.text.as_deref() {
                let t = t.to_string();
                let mut out = self.formatted(&t, &t, std::slice::from_ref(r), range);
                out.constant = constant;
                return out;
            }
        }
        if matches!(op, Operator::Add | Operator::Mod) {
            let mut v = Val {
                constant,
                ..Val::default()
            };
            v.absorb(l);
            v.absorb(r);
            return v;
        }
        if op == Operator::Mod
            && l.alias
                .as_deref()
                .is_some_and(|a| a.starts_with("markupsafe.Markup"))
        {
            return Val::alias("markupsafe.Markup");
        }
        // Arithmetic, repetition: `["?"] * n` stays a list of literals.
        let mut v = Val {
            constant,
            ..Val::default()
        };
        v.absorb(l);
        v.absorb(r);
        if constant {
            v.shape = l.shape.clone();
        }
        v
    }

    /// A string built from literal `text` (whose constant start is `prefix`) and `parts`.
    fn formatted(&mut self, text: &str, prefix: &str, parts: &[Val], range: TextRange) -> Val {
        let mut v = Val::default();
        for p in parts {
            v.absorb(p);
        }
        v.flatten_structure();
        v.constant = parts.iter().all(|p| p.constant);
        if sinks::prefix_pins_host(prefix) {
            v = v.sanitize(SinkKind::Redirect.bit() | SinkKind::Ssrf.bit());
        }
        let any_request = v
            .taints
            .iter()
            .any(|t| t.origin == Origin::Request && t.reaches(SinkKind::Sql));
        if !v.constant && !any_request && sinks::looks_like_sql(text) {
            let label = short(self.fc.file.slice(range));
            add_all(
                &mut v.taints,
                &[Arc::new(Taint {
                    origin: Origin::BuiltSql,
                    field: None,
                    key: (self.file(), range.start().to_u32()),
                    cleared: Origin::BuiltSql.harmless_for(),
                    flow: push_step(
                        &None,
                        self.file(),
                        range,
                        "SQL text built by string formatting".to_string(),
                    ),
                    label: Arc::from(label),
                    structured: false,
                    audit: false,
                })],
            );
        }
        v
    }

    fn fstring(&mut self, f: &ast::ExprFString) -> Val {
        let mut text = String::new();
        let mut prefix: Option<String> = None;
        let mut parts = Vec::new();
        for part in f.value.iter() {
            match part {
                ast::FStringPart::Literal(l) => text.push_str(l.value.as_ref()),
                ast::FStringPart::FString(fs) => {
                    for el in fs.elements.iter() {
                        match el {
                            ast::InterpolatedStringElement::Literal(l) => {
                                text.push_str(l.value.as_ref())
                            }
                            ast::InterpolatedStringElement::Interpolation(i) => {
                                if prefix.is_none() {
                                    prefix = Some(text.clone());
                                }
                                text.push_str("{}");
                                parts.push(self.eval(&i.expression));
                            }
                        }
                    }
                }
            }
        }
        let prefix = prefix.unwrap_or_else(|| text.clone());
        let mut v = self.formatted(&text, &prefix, &parts, f.range());
        if parts.is_empty() {
            v.text = Some(Arc::from(text.as_str()));
            v.constant = true;
        }
        v
    }

    // ----- calls -------------------------------------------------------------------------------

    fn call(&mut self, c: &ast::ExprCall) -> Val {
        if let Some(v) = self.markup_decoded(c) {
            return v;
        }
        // Resolved once: a request source (`request.args.get(...)`) and, below, a sink.
        let q = self.qualify(&c.func).map(|q| {
            // `current_app.response_class(...)` is the app's Response class.
            if q.ends_with(".response_class") && q.starts_with("flask.") {
                "flask.Response".to_string()
            } else {
                q
            }
        });
        if let Some(kind) = q.as_deref().and_then(sources::classify) {
            let kind = sources::forced_json(kind, q.as_deref().unwrap_or_default(), c);
            for a in c.arguments.args.iter() {
                self.eval(a);
            }
            let typed = c.arguments.find_keyword("type").is_some_and(|k| {
                matches!(
                    self.qualify(&k.value).as_deref(),
                    Some("builtins.int" | "builtins.float" | "builtins.bool")
                )
            });
            if typed {
                return Val::constant();
            }
            return self.keyed_source(c.range(), kind, c.arguments.args.first());
        }
        let (recv, method) = match &*c.func {
            Expr::Attribute(a) => (Some(self.eval(&a.value)), Some(a.attr.as_str())),
            _ => (None, None),
        };
        let args: Vec<(Val, TextRange)> = c
            .arguments
            .args
            .iter()
            .map(|a| (self.eval(a), a.range()))
            .collect();
        let kwargs: Vec<(Option<String>, Val, TextRange)> = c
            .arguments
            .keywords
            .iter()
            .map(|k| {
                (
                    k.arg.as_ref().map(|a| a.to_string()),
                    self.eval(&k.value),
                    k.value.range(),
                )
            })
            .collect();
        let call = Call {
            c,
            recv: recv.as_ref(),
            method,
            args: &args,
            kwargs: &kwargs,
        };
        let mut is_sink = self.check_sinks(&call, q.as_deref());
        if let Some(q) = q.as_deref() {
            if sinks::NO_RETURN.contains(&q) {
                self.state.reachable = false;
                return Val::clean();
            }
            if sinks::RESPONSE_CALLS.contains(&q) {
                return Val::alias(q);
            }
            if let Some(v) = self.project_call(&call, q) {
                return v;
            }
            if sinks::CLEAN_RESULT.contains(&q) {
                return Val::constant();
            }
            if let Some(v) = pathsafe::split_extension(q, call.arg(0, "p")) {
                return v;
            }
            if let Some(bits) = sinks::sanitizer(q) {
                let mut v = call.union(false);
                v = v.sanitize(bits);
                return v;
            }
            match q {
                "builtins.str" | "builtins.repr" | "builtins.format" | "builtins.bytes" => {
                    let mut v = call.union(false);
                    v.flatten_structure();
                    v.constant = args.iter().all(|(a, _)| a.constant);
                    return v;
                }
                "json.loads" | "flask.json.loads" | "json.load" => {
                    let mut v = call.union(false);
                    v.taints = v
                        .taints
                        .iter()
                        .map(|t| {
                            Arc::new(Taint {
                                structured: true,
                                ..(**t).clone()
                            })
                        })
                        .collect();
                    return v;
                }
                "flask_login.login_url" | "flask_login.utils.login_url" => {
                    // `next_url` only fills the query string of the login view's URL.
                    let mut v = call.arg(0, "login_view").cloned().unwrap_or_default();
                    if let Some(next) = call.arg(1, "next_url") {
                        v.absorb(&next.sanitize(SinkKind::Redirect.bit() | SinkKind::Ssrf.bit()));
                    }
                    return v;
                }
                "lxml.etree.XMLParser" => {
                    let safe = c
                        .arguments
                        .find_keyword("resolve_entities")
                        .is_some_and(|k| index::literal_truth(&k.value) == Some(false));
                    return Val::alias(if safe { "lxml.etree.XMLParser#safe" } else { q });
                }
                _ => {}
            }
            is_sink |= sinks::function_sink(q).is_some();
        }
        if let (Some(m), Some(r)) = (method, recv.as_ref()) {
            if let Some(v) = self.method_result(c, m, r, &call) {
                return v;
            }
        }
        if !is_sink && method == Some("get") {
            // A lookup in a mapping or store (`watches.get(uuid)`, `Model.query.get(id)`): the
            // key selects a record, the record is not request data. What the store itself holds
            // (a summary's parameter, a request dict) and a default come back; the key does not.
            let mut v = recv.as_ref().map(Val::collapse).unwrap_or_default();
            // `session.get(Model, ident)`: the second argument is the key, not a default.
            let by_model = c.arguments.args.first().is_some_and(|m| {
                self.qualify(m)
                    .is_some_and(|q| self.w.g.project_class(&q).is_some())
            });
            if let Some(d) = call.arg(1, "default").filter(|_| !by_model) {
                v = v.join(d);
            }
            return v;
        }
        if is_sink {
            // Data a sink hands back (rows, responses, file contents) is not the request's.
            return q.map_or_else(Val::clean, |q| Val::alias(&q));
        }
        if let Some(v) = record_of_fields(&call, q.as_deref()) {
            return v;
        }
        if matches!(&*c.func, Expr::Name(n) if self.local_dicts.iter().any(|d| d == n.id.as_str()))
        {
            // A nested function returning a dict: its arguments may be in it, but it is a dict
            // (a view returning it answers JSON).
            return Val {
                shape: Shape::Map(Arc::new(Vec::new())),
                ..call.union(true).collapse()
            };
        }
        if let (Some(m), true) = (method, c.arguments.is_empty()) {
            if dispatch::literal_hook(self.w.g, m) {
                return Val::constant();
            }
        }
        let mut v = call.union(true);
        exceptions::as_text(&mut v);
        v.constant = recv
            .as_ref()
            .is_some_and(|r| r.constant && r.alias.is_none())
            && args.iter().all(|(a, _)| a.constant)
            && kwargs.iter().all(|(_, a, _)| a.constant);
        if !v.is_tainted() {
            v.alias = q.as_deref().map(Arc::from);
        }
        v
    }

    /// `Markup(x).unescape()` / `.striptags()`: the Markup is only a step to decode entities into
    /// a plain `str`; nothing is marked safe, so the inner `Markup(x)` is no XSS sink.
    fn markup_decoded(&mut self, c: &ast::ExprCall) -> Option<Val> {
        let Expr::Attribute(a) = &*c.func else {
            return None;
        };
        if !matches!(a.attr.as_str(), "unescape" | "striptags") {
            return None;
        }
        let Expr::Call(inner) = &*a.value else {
            return None;
        };
        if !self
            .qualify(&inner.func)
            .is_some_and(|q| q.starts_with("markupsafe.Markup"))
        {
            return None;
        }
        let mut v = Val::default();
        for arg in inner.arguments.args.iter() {
            let x = self.eval(arg);
            v.absorb(&x);
        }
        v.flatten_structure();
        Some(v)
    }

    /// Methods with a known effect on their receiver or a known result.
    fn method_result(
        &mut self,
        c: &ast::ExprCall,
        m: &str,
        recv: &Val,
        call: &Call,
    ) -> Option<Val> {
        let recv_key = match &*c.func {
            Expr::Attribute(a) => guards::key(&a.value),
            _ => None,
        };
        match m {
            "append" | "add" | "extend" | "insert" | "update" | "setdefault" => {
                if let Some(key) = recv_key.filter(|k| self.state.env.contains_key(k)) {
                    let mut container = self.state.env.get(&key).cloned().unwrap_or_default();
                    match (m, &container.shape, call.args.first(), call.args.get(1)) {
                        ("append", Shape::Seq(items), Some((v, _)), _) => {
                            let mut items = (**items).clone();
                            items.push(v.clone());
                            container.shape = Shape::Seq(Arc::new(items));
                            container.constant &= v.constant;
                        }
                        ("update", Shape::Map(items), Some((v, _)), _)
                            if matches!(v.shape, Shape::Map(_)) =>
                        {
                            let mut items = (**items).clone();
                            if let Shape::Map(new) = &v.shape {
                                for (k, x) in new.iter() {
                                    items.retain(|(y, _)| y != k);
                                    items.push((k.clone(), x.clone()));
                                }
                            }
                            container.shape = Shape::Map(Arc::new(items));
                            container.constant &= v.constant;
                        }
                        _ => {
                            let all = call.union(false);
                            container.constant &=
                                all.constant && call.args.iter().all(|(a, _)| a.constant);
                            container.absorb(&all);
                        }
                    }
                    let container =
                        container.step(self.file(), c.range(), &format!("added to `{key}`"));
                    self.state.env.insert(key, container);
                }
                Some(Val::clean())
            }
            "get" | "pop" if !matches!(recv.shape, Shape::None) => {
                let key = c.arguments.args.first().and_then(|k| self.const_index(k));
                let mut v = match key {
                    Some(k) => recv.element(&k),
                    None => recv.collapse(),
                };
                if let Some((d, _)) = call.args.get(1) {
                    v = v.join(d);
                }
                Some(v)
            }
            "copy" => Some(recv.clone()),
            // namedtuple `meta._replace(title=x)`: the other fields stay as they were.
            "_replace" if matches!(recv.shape, Shape::Map(_)) => {
                let Shape::Map(items) = &recv.shape else {
                    return None;
                };
                let mut items = (**items).clone();
                for (k, v, _) in call.kwargs {
                    if let Some(k) = k {
                        items.retain(|(x, _)| x != k);
                        items.push((k.clone(), v.clone()));
                    }
                }
                Some(Val {
                    shape: Shape::Map(Arc::new(items)),
                    ..recv.clone()
                })
            }
            // `value.replace("'", "''")`: quotes doubled, the value cannot leave a quoted SQL
            // literal (SQLite and standard SQL).
            "replace" if is_quote_doubling(call) => {
                let mut v = recv.sanitize(SinkKind::Sql.bit());
                v.text = None;
                Some(v)
            }
            // Markup's own formatters escape what they insert.
            "format" | "join"
                if recv
                    .alias
                    .as_deref()
                    .is_some_and(|a| a.starts_with("markupsafe.Markup")) =>
            {
                Some(Val::alias("markupsafe.Markup"))
            }
            "format" if recv.text.is_some() => {
                let text = recv.text.as_deref().unwrap_or("").to_string();
                let prefix = text.split('{').next().unwrap_or("").to_string();
                let mut parts: Vec<Val> = call.args.iter().map(|(v, _)| v.clone()).collect();
                parts.extend(call.kwargs.iter().map(|(_, v, _)| v.clone()));
                Some(self.formatted(&text, &prefix, &parts, c.range()))
            }
            "join" => {
                let mut v = Val {
                    constant: recv.constant,
                    ..Val::default()
                };
                v.absorb(recv);
                for (a, _) in call.args {
                    v.absorb(a);
                    v.constant &= a.constant;
                }
                Some(v)
            }
            m if sinks::CLEAN_METHODS.contains(&m) && !self.is_mongo_call(m, recv) => {
                Some(Val::constant())
            }
            "fetchone" | "fetchall" | "fetchmany" | "first" | "one" | "one_or_none" | "all"
            | "scalar" | "scalars" | "scalar_one" | "scalar_one_or_none" | "get_or_404"
            | "first_or_404" | "one_or_404" | "paginate" => Some(Val::clean()),
            _ => None,
        }
    }

    fn is_mongo_call(&self, m: &str, recv: &Val) -> bool {
        self.fc.mongo && sinks::MONGO_METHODS.contains(&m) && !recv.is_tainted()
    }

    /// A call to a function or method of the project: applies its summary.
    fn project_call(&mut self, call: &Call, q: &str) -> Option<Val> {
        let g = self.w.g;
        let q = g.resolve_function(q);
        let (info, constructor) = match g.funcs.get(q).or_else(|| g.inherited_method(q)) {
            Some(info) => (info, false),
            None => {
                let init = format!("{q}.__init__");
                match g.funcs.get(&init).or_else(|| g.inherited_method(&init)) {
                    Some(info) => (info, true),
                    None => {
                        if g.classes.contains(q) {
                            let mut v = call.union(false).collapse();
                            v.alias = Some(Arc::from(q));
                            return Some(v);
                        }
                        return None;
                    }
                }
            }
        };
        let qualified = info.qualified.clone();
        let names: Vec<String> = params(info.def)
            .iter()
            .map(|p| p.name.to_string())
            .collect();
        // Called on an instance (not as `Class.method(obj, ...)`), the receiver is `self`.
        let class_short = info
            .class
            .as_deref()
            .and_then(|c| c.rsplit('.').next())
            .unwrap_or("");
        let on_class = matches!(&*call.c.func, Expr::Attribute(a) if matches!(&*a.value, Expr::Name(n) if n.id.as_str() == class_short));
        let bound = info.offset == 1 && call.method.is_some() && call.recv.is_some() && !on_class;
        let mut actual: Vec<Option<(Val, TextRange)>> = vec![None; names.len()];
        let mut pos = 0;
        if info.offset == 1 {
            if constructor {
                pos = 1;
            } else if bound {
                if let (Some(r), Some(slot)) = (call.recv, actual.get_mut(0)) {
                    *slot = Some((r.clone(), call.c.func.range()));
                }
                pos = 1;
            }
        }
        for (v, r) in call.args {
            if let Some(slot) = actual.get_mut(pos) {
                *slot = Some((v.clone(), *r));
            }
            pos += 1;
        }
        for (name, v, r) in call.kwargs {
            if let Some(i) = name
                .as_ref()
                .and_then(|n| names.iter().position(|x| x == n))
            {
                actual[i] = Some((v.clone(), *r));
            }
        }
        let display = format!("{}()", qualified.rsplit('.').next().unwrap_or(&qualified));
        // Without data flowing in, only a callee that may produce data itself needs analysing.
        let data_in = actual.iter().flatten().any(|(v, _)| v.is_tainted());
        if !data_in && !info.may_produce {
            let mut v = Val::clean();
            if constructor {
                v.alias = Some(Arc::from(q));
            }
            return Some(v);
        }
        let passed: Vec<Option<Option<bool>>> = actual
            .iter()
            .map(|a| a.as_ref().map(|(v, _)| v.truth.filter(|_| v.constant)))
            .collect();
        let known = context::at_call(info.traits().flags, &passed);
        let Some(result) = self.w.result_in(&qualified, known) else {
            self.truncated = true;
            return Some(call.union(true));
        };
        self.truncated |= result.truncated;
        let file = self.file();
        let passed = |t: &Taint, r: TextRange, name: &str| -> Taint {
            Taint {
                flow: push_step(
                    &t.flow,
                    file,
                    r,
                    format!("passed to `{display}` as `{name}`"),
                ),
                ..t.clone()
            }
        };
        // Sinks the arguments reach inside the callee.
        for reach in &result.reaches {
            let Origin::Param(p) = reach.taint.origin else {
                continue;
            };
            let Some(Some((val, r))) = actual.get(p as usize) else {
                continue;
            };
            for t in val.argument_taints(reach.taint.field.as_deref()) {
                let t = records::narrowed(&t, &reach.taint);
                let cleared = t.cleared | reach.taint.cleared;
                if cleared & reach.kind.bit() != 0 {
                    continue;
                }
                let structured = t.structured && reach.taint.structured;
                if reach.kind == SinkKind::Nosql
                    && !structured
                    && !reach.site.name.contains("$where")
                {
                    continue;
                }
                if reach.kind == SinkKind::StackTrace && structured && t.origin == Origin::Exception
                {
                    continue;
                }
                let through = passed(&t, *r, &names[p as usize]);
                let taint = Taint {
                    cleared,
                    structured,
                    flow: concat(&through.flow, &reach.taint.flow),
                    ..t.as_ref().clone()
                };
                let reach = Reach {
                    kind: reach.kind,
                    taint: Arc::new(taint),
                    site: reach.site.clone(),
                };
                // A response the callee returns goes where the caller puts the call's value.
                if reach.kind == SinkKind::StackTrace && reach.site.returned {
                    if let Some(reach) = self.responses.route(call.c.range(), reach) {
                        self.reaches.push(reach);
                    }
                } else {
                    self.reaches.push(reach);
                }
            }
        }
        // What comes back, element by element when the callee returns a tuple or a dict with
        // constant keys (`return meta, None`; `return {"ok": ..., "error": str(e)}`).
        let instantiate = |taints: &[Arc<Taint>]| -> Vec<Arc<Taint>> {
            let mut out = Vec::new();
            for t in taints {
                match t.origin {
                    Origin::Param(p) => {
                        let Some(Some((val, r))) = actual.get(p as usize) else {
                            continue;
                        };
                        for a in val.argument_taints(t.field.as_deref()) {
                            let a = records::narrowed(&a, t);
                            let through = passed(&a, *r, &names[p as usize]);
                            let flow = concat(&through.flow, &t.flow);
                            let flow = push_step(
                                &flow,
                                file,
                                call.c.range(),
                                format!("returned from `{display}`"),
                            );
                            let taint = Taint {
                                cleared: a.cleared | t.cleared,
                                structured: a.structured && t.structured,
                                flow,
                                ..a.as_ref().clone()
                            };
                            add_all(&mut out, &[Arc::new(taint)]);
                        }
                    }
                    _ => {
                        let flow = push_step(
                            &t.flow,
                            file,
                            call.c.range(),
                            format!("returned from `{display}`"),
                        );
                        add_all(
                            &mut out,
                            &[Arc::new(Taint {
                                flow,
                                ..t.as_ref().clone()
                            })],
                        );
                    }
                }
            }
            out
        };
        if constructor {
            // The new object: its fields when the constructor names them all, else everything.
            let mut v = match &result.fields {
                Some(fields) => records::object(fields, &instantiate),
                None => call.union(false).collapse(),
            };
            v.alias = Some(Arc::from(q));
            return Some(v);
        }
        let mut out = result.ret.substitute(&instantiate);
        let traits = info.traits();
        if traits.path_sanitiser || traits.checked_path {
            // `get_valid_filename(title)`: separators replaced, the result is one file name;
            // `resolve_inside(base, name)`: the path comes back only once it passed the check.
            out = out.sanitize(SinkKind::Path.bit());
        }
        out.truth = result.ret.truth;
        out.constant = result.ret.constant && !result.ret.is_tainted();
        // Tainted data stands for no named object; a record keeps its name over its fields.
        if !out.taints.is_empty() || (out.is_tainted() && !matches!(out.shape, Shape::Map(_))) {
            out.alias = None;
        }
        Some(out)
    }

    // ----- sinks -------------------------------------------------------------------------------

    /// Records every taint of `v` that is still dangerous for `kind` at `range`.
    fn sink(
        &mut self,
        kind: SinkKind,
        v: &Val,
        range: TextRange,
        name: &str,
        template: Option<(Arc<str>, Arc<str>)>,
    ) {
        let new = self.sink_reaches(kind, v, range, name, template);
        self.reaches.extend(new);
    }

    /// Exception details in the response the call at `range` builds: recorded unless the
    /// response is dropped, or parked until the variable holding it is read.
    fn response_sink(&mut self, v: &Val, range: TextRange, name: &str) {
        for r in self.sink_reaches(SinkKind::StackTrace, v, range, name, None) {
            if let Some(r) = self.responses.route(range, r) {
                self.reaches.push(r);
            }
        }
    }

    /// The reaches of every taint of `v` still dangerous for `kind` at `range`.
    fn sink_reaches(
        &self,
        kind: SinkKind,
        v: &Val,
        range: TextRange,
        name: &str,
        template: Option<(Arc<str>, Arc<str>)>,
    ) -> Vec<Reach> {
        let mut out = Vec::new();
        for t in v.all_taints() {
            if !t.reaches(kind) || (kind == SinkKind::StackTrace && exceptions::is_object(&t)) {
                continue;
            }
            let flow = push_step(&t.flow, self.file(), range, format!("sink: {name}"));
            out.push(Reach {
                kind,
                taint: Arc::new(Taint {
                    flow,
                    ..t.as_ref().clone()
                }),
                site: SinkSite {
                    file: self.file(),
                    range,
                    stmt_start: self.stmt_start,
                    name: Arc::from(name),
                    template: template.clone(),
                    returned: self.in_return,
                },
            });
        }
        out
    }

    /// A view's return value is the response body: HTML unless it is JSON.
    fn view_return(&mut self, v: &Val, range: TextRange) {
        let body = match &v.shape {
            Shape::Seq(items) if !items.is_empty() => items[0].clone(),
            _ => v.clone(),
        };
        let name = format!("the response of `{}()`", self.name);
        if !matches!(body.shape, Shape::Map(_) | Shape::Seq(_)) {
            self.sink(SinkKind::Xss, &body, range, &name, None);
        }
        self.sink(SinkKind::StackTrace, &body, range, &name, None);
    }

    /// Checks the sinks a call may be; returns whether it is one.
    fn check_sinks(&mut self, call: &Call, q: Option<&str>) -> bool {
        let c = call.c;
        let range = c.range();
        let name = format!("{}()", short(self.fc.file.slice(c.func.range())));
        let mut found = false;
        if let Some(q) = q {
            if let Some(s) = sinks::function_sink(q) {
                found = true;
                for &(pos, kw) in s.args {
                    if s.kind == SinkKind::Path && self.file_object_arg(c, pos, kw) {
                        continue;
                    }
                    if let Some(v) = call.arg(pos, kw) {
                        let v = v.clone();
                        self.sink(s.kind, &v, range, &name, None);
                    }
                }
            }
            if sinks::SUBPROCESS.contains(&q) {
                found = true;
                if let Some(v) = call.arg(0, "args").cloned() {
                    let shell = c
                        .arguments
                        .find_keyword("shell")
                        .is_some_and(|k| index::literal_truth(&k.value) != Some(false));
                    let program = match (&v.shape, shell) {
                        (Shape::Seq(items), false) if !items.is_empty() => {
                            let mut p = items[0].clone();
                            add_all(&mut p.taints, &v.taints);
                            p
                        }
                        _ => v,
                    };
                    self.sink(SinkKind::Command, &program, range, &name, None);
                }
            }
            if sinks::LXML_PARSE.contains(&q) {
                found = true;
                let safe = call
                    .arg(1, "parser")
                    .is_some_and(|p| p.alias.as_deref().is_some_and(|a| a.ends_with("#safe")))
                    || self.module_safe_parser(c);
                if !safe {
                    if let Some(v) = call
                        .arg(0, "text")
                        .or_else(|| call.arg(0, "source"))
                        .cloned()
                    {
                        self.sink(SinkKind::Xxe, &v, range, &name, None);
                    }
                }
            }
            if sinks::YAML_LOAD.contains(&q) {
                found = true;
                let loader = c
                    .arguments
                    .args
                    .get(1)
                    .or_else(|| c.arguments.find_keyword("Loader").map(|k| &k.value));
                let safe = loader.is_some_and(|l| {
                    let n = self.qualify(l).unwrap_or_default();
                    ["SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"]
                        .iter()
                        .any(|s| n.ends_with(s))
                });
                if !safe {
                    if let Some(v) = call.arg(0, "stream").cloned() {
                        self.sink(SinkKind::Deserialization, &v, range, &name, None);
                    }
                }
            }
            match q {
                "flask.Response" | "flask.make_response" => {
                    found = true;
                    let mimetype = ["mimetype", "content_type"].iter().find_map(|k| {
                        c.arguments
                            .find_keyword(k)
                            .map(|kw| string_literal(&kw.value))
                    });
                    let html = match mimetype {
                        Some(Some(m)) => !sinks::non_html_mimetype(&m),
                        Some(None) => false,
                        None => !self.non_html.contains(&range),
                    };
                    if let Some(body) = call.arg(0, "response").cloned() {
                        if html && !matches!(body.shape, Shape::Map(_)) {
                            self.sink(SinkKind::Xss, &body, range, &name, None);
                        }
                        self.response_sink(&body, range, &name);
                    }
                    let headers = if q == "flask.Response" {
                        call.arg(2, "headers")
                    } else {
                        None
                    };
                    if let Some(h) = headers.cloned() {
                        let loc = match &h.shape {
                            Shape::Map(items) => items
                                .iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case("location"))
                                .map(|(_, v)| v.clone()),
                            _ => None,
                        };
                        if let Some(loc) = loc {
                            self.sink(SinkKind::Redirect, &loc, range, "the Location header", None);
                        }
                    }
                }
                "flask.jsonify" | "flask.json.jsonify" => {
                    let all = call.union(false);
                    self.response_sink(&all, range, &name);
                }
                "flask.render_template" => {
                    let template: Arc<str> = c
                        .arguments
                        .args
                        .first()
                        .and_then(string_literal)
                        .map_or_else(|| Arc::from("?"), |t| Arc::from(t.as_str()));
                    for (k, v, _) in call.kwargs {
                        match k {
                            Some(k) => self.sink(
                                SinkKind::TemplateVar,
                                v,
                                range,
                                &name,
                                Some((template.clone(), Arc::from(k.as_str()))),
                            ),
                            None => {
                                if let Shape::Map(items) = &v.shape {
                                    for (key, x) in items.iter() {
                                        self.sink(
                                            SinkKind::TemplateVar,
                                            x,
                                            range,
                                            &name,
                                            Some((template.clone(), Arc::from(key.as_str()))),
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
                "flask.session.update" | "flask.session.setdefault" => {
                    let v = if q.ends_with("setdefault") {
                        call.arg(1, "default").cloned()
                    } else {
                        Some(call.union(false))
                    };
                    if let Some(v) = v {
                        self.sink(SinkKind::SessionStore, &v, range, "the session", None);
                    }
                }
                _ => {}
            }
        }
        let (Some(m), Some(recv)) = (call.method, call.recv) else {
            return found;
        };
        let recv_q = match &*c.func {
            Expr::Attribute(a) => self.qualify(&a.value).unwrap_or_default(),
            _ => String::new(),
        };
        let xml_recv = ["xml.etree", "lxml", "defusedxml"]
            .iter()
            .any(|p| recv_q.starts_with(p));
        if sinks::SQL_METHODS.contains(&m)
            && !q.is_some_and(|q| q.starts_with("subprocess") || q.starts_with("concurrent"))
        {
            found = true;
            let v = call.arg(0, "").cloned().or_else(|| {
                sinks::SQL_KEYWORDS
                    .iter()
                    .find_map(|k| call.kwarg(k).cloned())
            });
            if let Some(v) = v {
                self.sink(SinkKind::Sql, &v, range, &name, None);
            }
        }
        if m == "xpath" || (sinks::XML_FIND_METHODS.contains(&m) && xml_recv) {
            found = true;
            if let Some(v) = call.arg(0, "path").or_else(|| call.kwarg("_path")).cloned() {
                self.sink(SinkKind::Xpath, &v, range, &name, None);
            }
        }
        if self.fc.mongo && sinks::MONGO_METHODS.contains(&m) && !xml_recv && !recv.is_tainted() {
            found = true;
            if let Some(filter) = call.arg(0, "filter").cloned() {
                self.nosql(&filter, range, &name);
            }
        }
        if self.fc.ldap && sinks::LDAP_METHODS.contains(&m) && !recv_q.starts_with("re") {
            found = true;
            for i in 0..sinks::ldap_positional_sinks(m) {
                if let Some(v) = call.arg(i, "").cloned() {
                    self.sink(SinkKind::Ldap, &v, range, &name, None);
                }
            }
            for k in sinks::LDAP_KEYWORDS {
                if let Some(v) = call.kwarg(k).cloned() {
                    self.sink(SinkKind::Ldap, &v, range, &name, None);
                }
            }
        }
        if m == "from_string"
            && (self.fc.jinja || recv_q.starts_with("jinja2"))
            && sinks::function_sink(q.unwrap_or("")).is_none()
        {
            found = true;
            if let Some(v) = call.arg(0, "source").cloned() {
                self.sink(SinkKind::Template, &v, range, &name, None);
            }
        }
        if m == "save"
            && recv
                .taints
                .iter()
                .any(|t| t.label.starts_with("request.files"))
        {
            found = true;
            if let Some(v) = call.arg(0, "dst").cloned() {
                self.sink(SinkKind::Path, &v, range, &name, None);
            }
        }
        if sinks::PATH_METHODS.contains(&m)
            && recv
                .alias
                .as_deref()
                .is_some_and(|a| a.starts_with("pathlib."))
            || sinks::PATH_METHODS.contains(&m) && recv_q.starts_with("pathlib.")
        {
            found = true;
            let r = recv.clone();
            self.sink(SinkKind::Path, &r, range, &name, None);
        }
        if (sinks::HTTP_METHODS.contains(&m) || m == "request" || m == "stream")
            && sinks::HTTP_CLIENTS.iter().any(|h| {
                recv_q.starts_with(h) || recv.alias.as_deref().is_some_and(|a| a.starts_with(h))
            })
        {
            found = true;
            let pos = usize::from(m == "request" || m == "stream");
            if let Some(v) = call.arg(pos, "url").cloned() {
                self.sink(SinkKind::Ssrf, &v, range, &name, None);
            }
        }
        found
    }

    /// Whether the argument at `pos`/`kw` is an in-memory buffer (`send_file(BytesIO(data))`):
    /// a file object, not a path, so no path traversal.
    fn file_object_arg(&self, c: &ast::ExprCall, pos: usize, kw: &str) -> bool {
        let arg = c
            .arguments
            .args
            .get(pos)
            .or_else(|| c.arguments.find_keyword(kw).map(|k| &k.value));
        let Some(Expr::Call(inner)) = arg else {
            return false;
        };
        self.qualify(&inner.func)
            .is_some_and(|q| sinks::FILE_OBJECTS.contains(&q.as_str()))
    }

    /// An lxml parser bound at module level (`_parser = etree.XMLParser(resolve_entities=False)`)
    /// and passed by name: whether it is one that does not resolve entities.
    fn module_safe_parser(&self, c: &ast::ExprCall) -> bool {
        let arg = c
            .arguments
            .args
            .get(1)
            .or_else(|| c.arguments.find_keyword("parser").map(|k| &k.value));
        let Some(Expr::Name(n)) = arg else {
            return false;
        };
        if self.state.env.contains_key(n.id.as_str()) {
            return false;
        }
        let mut value = None;
        for s in self.fc.file.body() {
            if let Stmt::Assign(a) = s {
                if a.targets
                    .iter()
                    .any(|t| matches!(t, Expr::Name(x) if x.id == n.id))
                {
                    // Bound more than once: cannot tell which one is used.
                    if value.is_some() {
                        return false;
                    }
                    value = Some(&*a.value);
                }
            }
        }
        let Some(Expr::Call(p)) = value else {
            return false;
        };
        self.qualify(&p.func).as_deref() == Some("lxml.etree.XMLParser")
            && p.arguments
                .find_keyword("resolve_entities")
                .is_some_and(|k| index::literal_truth(&k.value) == Some(false))
    }

    /// pymongo filters: request JSON (which may hold operators) anywhere, any request data in `$where`.
    fn nosql(&mut self, filter: &Val, range: TextRange, name: &str) {
        if let Shape::Map(items) = &filter.shape {
            for (k, v) in items.iter() {
                if k == "$where" {
                    let n = format!("{name} `$where`");
                    self.sink(SinkKind::Nosql, v, range, &n, None);
                } else {
                    self.nosql(v, range, name);
                }
            }
            let rest = Val::from_taints(filter.taints.clone());
            self.nosql_structured(&rest, range, name);
            return;
        }
        self.nosql_structured(filter, range, name);
    }

    fn nosql_structured(&mut self, v: &Val, range: TextRange, name: &str) {
        let structured: Vec<Arc<Taint>> = v
            .all_taints()
            .into_iter()
            .filter(|t| t.structured)
            .collect();
        if !structured.is_empty() {
            self.sink(
                SinkKind::Nosql,
                &Val::from_taints(structured),
                range,
                name,
                None,
            );
        }
    }
}

/// A call's evaluated parts.
pub struct Call<'c> {
    c: &'c ast::ExprCall,
    recv: Option<&'c Val>,
    method: Option<&'c str>,
    args: &'c [(Val, TextRange)],
    kwargs: &'c [(Option<String>, Val, TextRange)],
}

impl Call<'_> {
    /// Positional argument `pos` or keyword `kw`.
    fn arg(&self, pos: usize, kw: &str) -> Option<&Val> {
        let starred = self
            .c
            .arguments
            .args
            .iter()
            .take(pos + 1)
            .any(Expr::is_starred_expr);
        self.args
            .get(pos)
            .filter(|_| !starred)
            .map(|(v, _)| v)
            .or_else(|| self.kwarg(kw))
    }

    fn kwarg(&self, kw: &str) -> Option<&Val> {
        if kw.is_empty() {
            return None;
        }
        self.kwargs
            .iter()
            .find(|(k, _, _)| k.as_deref() == Some(kw))
            .map(|(_, v, _)| v)
    }

    /// Everything the arguments (and, with `receiver`, the receiver) carry.
    fn union(&self, receiver: bool) -> Val {
        let mut v = Val {
            constant: true,
            ..Val::default()
        };
        if receiver {
            if let Some(r) = self.recv {
                v.absorb(r);
            }
        }
        for (a, _) in self.args {
            v.absorb(a);
            v.constant &= a.constant;
        }
        for (_, a, _) in self.kwargs {
            v.absorb(a);
            v.constant &= a.constant;
        }
        v
    }
}

/// The response variable of `resp.headers["Content-Type"] = ...`, `resp.mimetype = ...` or
/// `resp.content_type = ...`.
fn content_type_target(target: &Expr) -> Option<&str> {
    match target {
        Expr::Subscript(s) => match (&*s.value, string_literal(&s.slice)) {
            (Expr::Attribute(h), Some(k))
                if h.attr.as_str() == "headers" && k.eq_ignore_ascii_case("content-type") =>
            {
                match &*h.value {
                    Expr::Name(n) => Some(n.id.as_str()),
                    _ => None,
                }
            }
            _ => None,
        },
        Expr::Attribute(a) if matches!(a.attr.as_str(), "mimetype" | "content_type") => {
            match &*a.value {
                Expr::Name(n) => Some(n.id.as_str()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `BookMeta(file_path=p, title=t, ...)`: a library or namedtuple class built from keyword
/// arguments only. Its fields are kept apart, so `meta.file_path` does not carry what was passed
/// as `title`. The alias marks the map as a record whose attributes are its fields.
fn record_of_fields(call: &Call, q: Option<&str>) -> Option<Val> {
    // The name as written: a namedtuple class resolves to `collections.namedtuple`.
    let written = match &*call.c.func {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.as_str(),
        _ => return None,
    };
    let q = q.unwrap_or(written);
    let class_like = written.starts_with(|c: char| c.is_ascii_uppercase());
    let tainted_recv = call.recv.is_some_and(Val::is_tainted);
    if !class_like || tainted_recv || !call.args.is_empty() || call.kwargs.len() < 2 {
        return None;
    }
    let mut items = Vec::new();
    for (k, v, _) in call.kwargs {
        items.push((k.clone()?, v.clone()));
    }
    Some(Val {
        shape: Shape::Map(Arc::new(items)),
        alias: Some(Arc::from(q)),
        ..Val::default()
    })
}

/// `.replace("'", "''")`.
fn is_quote_doubling(call: &Call) -> bool {
    let text = |i: usize| call.args.get(i).and_then(|(v, _)| v.text.as_deref());
    text(0) == Some("'") && text(1) == Some("''")
}

/// The parameters callers can pass, in order.
pub(super) fn params(def: &ast::StmtFunctionDef) -> Vec<&ast::Parameter> {
    let p = &def.parameters;
    p.posonlyargs
        .iter()
        .chain(p.args.iter())
        .chain(p.kwonlyargs.iter())
        .map(|x| &x.parameter)
        .collect()
}

/// What iterating a value yields.
fn iterate(v: &Val) -> Val {
    match &v.shape {
        Shape::Seq(items) => {
            let mut out = items.iter().fold(Val::constant(), |acc, x| {
                if acc.constant && !acc.is_tainted() && acc.shape.is_none() {
                    x.clone()
                } else {
                    acc.join(x)
                }
            });
            add_all(&mut out.taints, &v.taints);
            out
        }
        // Iterating a dict yields its (constant) keys.
        Shape::Map(_) => Val::from_taints(v.taints.clone()),
        Shape::None => {
            let mut out = v.collapse();
            out.constant = v.constant;
            out
        }
    }
}

impl Shape {
    fn is_none(&self) -> bool {
        matches!(self, Shape::None)
    }
}

fn bind_pattern_names(p: &ast::Pattern, subject: &Val, env: &mut Env) {
    use ast::Pattern;
    match p {
        Pattern::MatchAs(a) => {
            if let Some(n) = &a.name {
                env.insert(n.to_string(), subject.collapse());
            }
            if let Some(inner) = &a.pattern {
                bind_pattern_names(inner, subject, env);
            }
        }
        Pattern::MatchStar(s) => {
            if let Some(n) = &s.name {
                env.insert(n.to_string(), subject.collapse());
            }
        }
        Pattern::MatchSequence(s) => s
            .patterns
            .iter()
            .for_each(|x| bind_pattern_names(x, subject, env)),
        Pattern::MatchMapping(m) => {
            m.patterns
                .iter()
                .for_each(|x| bind_pattern_names(x, subject, env));
            if let Some(r) = &m.rest {
                env.insert(r.to_string(), subject.collapse());
            }
        }
        Pattern::MatchClass(c) => {
            c.arguments
                .patterns
                .iter()
                .for_each(|x| bind_pattern_names(x, subject, env));
            c.arguments
                .keywords
                .iter()
                .for_each(|k| bind_pattern_names(&k.pattern, subject, env));
        }
        Pattern::MatchOr(o) => o
            .patterns
            .iter()
            .for_each(|x| bind_pattern_names(x, subject, env)),
        Pattern::MatchValue(_) | Pattern::MatchSingleton(_) => {}
    }
}

fn imported_names(s: &Stmt) -> Vec<String> {
    match s {
        Stmt::Import(i) => i
            .names
            .iter()
            .map(|a| {
                a.asname.as_ref().map_or_else(
                    || a.name.split('.').next().unwrap_or("").to_string(),
                    |n| n.to_string(),
                )
            })
            .collect(),
        Stmt::ImportFrom(i) => i
            .names
            .iter()
            .map(|a| a.asname.as_ref().unwrap_or(&a.name).to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// Source text shortened for messages: whitespace collapsed, at most 60 characters.
pub fn short(text: &str) -> String {
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > 60 {
        let cut: String = collapsed.chars().take(57).collect();
        format!("{cut}...")
    } else {
        collapsed
    }
}

#[allow(unused)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<FnResult>();
    let _ = ALL;
}
