//! Statements: assignments, branches, loops, `try`, nested functions, and the narrowing a test
//! or a validator call brings to the branch it guards.

use super::expressions::iterate;
use super::*;
use crate::taint::{debug_gate, guarded_clients};

impl<'w, 'g, 'a> Analyzer<'w, 'g, 'a> {
    pub(super) fn stmt(&mut self, s: &Stmt) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        let outer = self.stmt_start;
        self.stmt_start = s.start();
        self.responses.statement(s);
        match s {
            Stmt::FunctionDef(f) => self.nested_function(f),
            Stmt::ClassDef(c) => self.local_loader_class(c),
            Stmt::Pass(_)
            | Stmt::Global(_)
            | Stmt::Nonlocal(_)
            | Stmt::TypeAlias(_)
            | Stmt::IpyEscapeCommand(_) => {}
            Stmt::Return(r) => {
                self.in_return = true;
                let v = r.value.as_deref().map_or_else(Val::clean, |e| self.eval(e));
                self.in_return = false;
                self.status.record(status::flag_of(r.value.as_deref()), &v);
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
                    self.remember_resolved(t, &a.value);
                }
                self.remember_verdict(a);
                // `checked = check_inside(p, base)`: the check raised unless `p` is confined.
                if let Expr::Call(c) = &*a.value {
                    self.after_guard_call(c, true);
                }
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
            Stmt::Match(m) => self.match_stmt(m),
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
                    self.after_guard_call(c, false);
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

    pub(super) fn nested_function(&mut self, f: &ast::StmtFunctionDef) {
        let mut view = index::view_params(&self.sem, f, self.fc.parses_args)
            .or_else(|| index::route_like_params(f));
        if let Some(v) = view
            .as_mut()
            .filter(|_| !self.w.g.safe_converters.is_empty())
        {
            index::trust_converters(v, f, &self.w.g.safe_converters);
        }
        let mut sem = self.sem.clone();
        sem.push_scope();
        let fc = self.fc;
        let mut sub = Analyzer::new(self.w, fc, sem);
        // Parameters as symbols (unless the function is a view, whose parameters are request
        // data): the return value then says whether it holds them.
        sub.summary = view.is_none();
        sub.local_dicts = self.local_dicts.clone();
        sub.local_functions = self.local_functions.clone();
        sub.local_returns = self.local_returns.clone();
        sub.enter(f, None, 0, view.as_deref());
        let result = sub.finish();
        self.truncated |= result.truncated;
        self.local_dicts.retain(|n| n != f.name.as_str());
        if matches!(result.ret.shape, Shape::Map(_)) {
            self.local_dicts.push(f.name.to_string());
        }
        // A nested function whose return holds nothing of its parameters (a `jsonify(...)`
        // response built from them, a fixed message): its arguments are not the text of what
        // it returns (see `calls`).
        self.local_returns.retain(|r| r.name != f.name.as_str());
        if view.is_none()
            && !result
                .ret
                .any_taint(&|t| matches!(t.origin, Origin::Param(_)))
        {
            self.local_returns.push(LocalReturn {
                name: f.name.to_string(),
                value: result.ret.clone(),
            });
        }
        if !self.local_functions.iter().any(|n| n == f.name.as_str()) {
            self.local_functions.push(f.name.to_string());
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

    pub(super) fn run_loop(
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

    pub(super) fn if_stmt(&mut self, i: &ast::StmtIf) {
        let mut clauses: Vec<(Option<&Expr>, &[Stmt])> = vec![(Some(&*i.test), &i.body[..])];
        for c in &i.elif_else_clauses {
            clauses.push((c.test.as_ref(), &c.body[..]));
        }
        let mut incoming = self.state.clone();
        let mut out = State {
            env: Env::default(),
            reachable: false,
        };
        // Whether an earlier test failing proved debug mode (`if not app.debug: ... else:`).
        let mut debug_after = false;
        let opt_out = self.chooses_guarded_client(&clauses);
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
                        let debug = debug_after || self.debug_test(t, true);
                        self.branch_block(body, debug, opt_out);
                        out = merge(out, self.state.clone());
                    }
                    debug_after |= self.debug_test(t, false);
                    if truth == Some(true) {
                        incoming.reachable = false;
                    } else {
                        self.state = after_test;
                        self.narrow(t, false);
                        incoming = self.state.clone();
                    }
                }
                None => {
                    self.branch_block(body, debug_after, opt_out);
                    out = merge(out, self.state.clone());
                    incoming.reachable = false;
                }
            }
        }
        self.state = merge(out, incoming);
    }

    /// Whether `test` being `branch` proves the application runs in debug mode: a debug flag
    /// that holds no request, session or caller value (`request.args.get("debug")` is the
    /// requester's switch). The flag is evaluated again on its own; that reading leaves no trace.
    pub(super) fn debug_test(&mut self, test: &Expr, branch: bool) -> bool {
        let reaches = self.reaches.len();
        let mut saved: Option<State> = None;
        let gated = debug_gate::implies_debug(test, branch, &mut |flag| {
            saved.get_or_insert_with(|| self.state.clone());
            !debug_gate::caller_controlled(&self.eval(flag))
        });
        if let Some(s) = saved {
            self.state = s;
        }
        self.reaches.truncate(reaches);
        gated
    }

    /// Walks an `if` branch's body; in a branch that runs only in debug mode, exception details
    /// shown there are the debug setting's business (FS101), not a stack-trace leak.
    ///
    /// In a chain where a branch fetches through an SSRF-guarded client, a plain request in
    /// another branch is the operator's opt-out (see [`guarded_clients`]), not an SSRF.
    fn branch_block(&mut self, body: &[Stmt], debug_only: bool, ssrf_opt_out: bool) {
        let (reaches, parked) = (self.reaches.len(), self.responses.parked_len());
        self.block(body);
        if debug_only || ssrf_opt_out {
            let shown = self.reaches.split_off(reaches);
            self.reaches.extend(shown.into_iter().filter(|r| {
                !(debug_only && r.kind == SinkKind::StackTrace
                    || ssrf_opt_out && r.kind == SinkKind::Ssrf)
            }));
        }
        if debug_only {
            self.responses.forget_parked_since(parked);
            // What the branch stores (`msg = traceback.format_exc()`) holds details only in
            // debug mode too, wherever it is shown after the `if`.
            for name in body.iter().flat_map(assigned_names) {
                if let Some(v) = self.state.env.get(name) {
                    let v = v.sanitize(SinkKind::StackTrace.bit());
                    self.state.env.insert(name.to_string(), v);
                }
            }
        }
    }

    /// Whether a branch of this `if` chain calls an SSRF-guarded client (searched only in files
    /// that name one, see [`FileCtx::guarded_client`](crate::taint::index::FileCtx)).
    fn chooses_guarded_client(&self, clauses: &[(Option<&Expr>, &[Stmt])]) -> bool {
        self.fc.guarded_client
            && clauses.iter().any(|(_, body)| {
                guarded_clients::callees(body).into_iter().any(|f| {
                    self.qualify(f)
                        .is_some_and(|q| guarded_clients::is_guarded(&q))
                })
            })
    }

    /// `match subject:` runs the cases that may match; on a subject of known value only the
    /// first that does, and none after a case that always matches (`case _:`).
    fn match_stmt(&mut self, m: &ast::StmtMatch) {
        let subject = self.eval(&m.subject);
        let known = self.lit(&m.subject);
        let incoming = self.state.clone();
        let mut out = State {
            env: Env::default(),
            reachable: false,
        };
        let mut exhaustive = false;
        for case in &m.cases {
            let matches = constfold::case_matches(&case.pattern, known.as_ref(), &|e| self.lit(e))
                .filter(|m| !m || case.guard.is_none());
            if matches == Some(false) {
                continue;
            }
            self.state = incoming.clone();
            bind_pattern_names(&case.pattern, &subject, &mut self.state.env);
            self.block(&case.body);
            out = merge(out, self.state.clone());
            if matches == Some(true) {
                exhaustive = true;
                break;
            }
        }
        self.state = if exhaustive {
            out
        } else {
            merge(out, incoming)
        };
    }

    pub(super) fn try_stmt(&mut self, t: &ast::StmtTry) {
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
    /// The index of the whole project.
    pub(in crate::taint) fn global(&self) -> &'g Global<'a> {
        self.w.g
    }

    pub(in crate::taint) fn call_traits(&self, call: &ast::ExprCall) -> Option<infer::Traits> {
        self.callee(call).map(|f| f.traits())
    }

    /// The project function a call reaches, if the analysis can name it.
    pub(in crate::taint) fn callee(&self, call: &ast::ExprCall) -> Option<&'g FuncInfo<'a>> {
        let g = self.w.g;
        let q = self.qualify(&call.func)?;
        let q = g.resolve_function(&q);
        g.funcs.get(q).or_else(|| g.inherited_method(q))
    }

    /// `storage.diff(rev_a, rev_b)` where the function raises unless each revision matches an
    /// allow-list pattern (see [`validators`](crate::taint::validators)): after the call the
    /// arguments hold only allowed text, for every sink.
    fn after_validator_call(&mut self, c: &ast::ExprCall, f: &FuncInfo) {
        let g = self.w.g;
        for &p in f.validated(g) {
            let Some(k) = crate::taint::validators::argument(f, c, p).and_then(guards::key) else {
                continue;
            };
            if let Some(v) = self.state.env.get(&k) {
                let v = v.sanitize(ALL);
                self.state.env.insert(k, v);
            }
        }
    }

    /// `check_access(base, path)` as a statement, where the function raises unless the path
    /// resolves inside the base: after it, the paths passed are confined. As an assignment's
    /// value (`assigned`) the answer could be a `False` nobody tests, so only a check that
    /// fails by raising alone proves it.
    pub(super) fn after_guard_call(&mut self, c: &ast::ExprCall, assigned: bool) {
        let Some(f) = self.callee(c) else {
            return;
        };
        self.after_validator_call(c, f);
        let t = f.traits();
        if !(t.path_guard && t.raises) || (assigned && !t.raises_only) {
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
    pub(super) fn remember_verdict(&mut self, a: &ast::StmtAssign) {
        let ([Expr::Tuple(t)], Expr::Call(c)) = (&a.targets[..], &*a.value) else {
            return;
        };
        let Some(Expr::Name(flag)) = t.elts.first() else {
            return;
        };
        let mut checks = Vec::new();
        guards::project_validator(self, c, &mut checks);
        if let Some((_, success)) = self.last_success.as_ref().filter(|(r, _)| *r == c.range()) {
            let names: Vec<Option<String>> = t
                .elts
                .iter()
                .map(|e| match e {
                    Expr::Name(n) => Some(n.id.to_string()),
                    _ => None,
                })
                .collect();
            checks.extend(status::clean_on_success(&names, success));
        }
        if !checks.is_empty() {
            self.verdicts.push((flag.id.to_string(), checks));
        }
    }

    /// What the verdict variable `name` being true proves (see [`Self::remember_verdict`]).
    pub(in crate::taint) fn verdict(&self, name: &str) -> Option<&[(String, u32)]> {
        self.verdicts
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, c)| c.as_slice())
    }

    /// Whether a handler catches only exception classes the project defines: their messages are
    /// written by the application for its users (`raise RateLimit("too many alerts")`), unlike
    /// those of `Exception`, a bare `except:` or library errors, which may carry internals.
    pub(super) fn project_exception(&self, h: &ast::ExceptHandlerExceptHandler) -> bool {
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
    pub(super) fn assign(&mut self, target: &Expr, value: Val, range: TextRange) {
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
                        Some(items) => items[i].clone().with_container_taints(&value.taints),
                        // `stem, ext = name.rsplit('.', 1)`: pieces of dotless text stay dotless.
                        None => Val {
                            dotless: value.dotless,
                            ..value.collapse()
                        },
                    };
                    self.assign(e, v, range);
                }
            }
            Expr::Starred(s) => self.assign(&s.value, value.collapse(), range),
            Expr::Attribute(a) => {
                self.eval(&a.value);
                self.security_value_store(target, &value, range);
                if let Some(key) = guards::key(target) {
                    let v = value.step(self.file(), range, &format!("stored in `{key}`"));
                    self.state.env.insert(key, v);
                }
            }
            Expr::Subscript(s) => {
                self.eval(&s.slice);
                self.security_value_store(target, &value, range);
                self.subscript_store(s, &value, range);
            }
            _ => {}
        }
    }

    pub(super) fn subscript_store(
        &mut self,
        s: &ast::ExprSubscript,
        value: &Val,
        range: TextRange,
    ) {
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
                let mut c = items::stored_in_items(&container, value, false);
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
    pub(super) fn truth(&self, e: &Expr) -> Option<bool> {
        match e {
            Expr::Name(n) => match self.state.env.get(n.id.as_str()) {
                Some(v) => v.truth,
                None => self.fc.consts.get(n.id.as_str()).copied(),
            },
            Expr::UnaryOp(u) if u.op == UnaryOp::Not => self.truth(&u.operand).map(|b| !b),
            // A container's length is as true as the container (`if len(kwargs):`).
            Expr::Call(c)
                if c.arguments.args.len() == 1
                    && c.arguments.keywords.is_empty()
                    && matches!(
                        self.qualify(&c.func).as_deref(),
                        Some("builtins.len" | "builtins.bool")
                    ) =>
            {
                self.truth(&c.arguments.args[0])
            }
            // A predicate's answer for the literals it was given (`if is_local(""):`).
            Expr::Call(c) => self
                .predicate_answers
                .iter()
                .find(|(r, _)| *r == c.range())
                .map(|(_, answer)| *answer),
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
            Expr::Compare(c) => {
                if let Some((negated, items)) = membership(c) {
                    let left = self.lit(&c.left)?;
                    let items: Vec<Option<Lit>> = items.iter().map(|x| self.lit(x)).collect();
                    return constfold::contains(&left, &items).map(|found| found != negated);
                }
                let operands: Vec<Option<Lit>> = std::iter::once(&*c.left)
                    .chain(c.comparators.iter())
                    .map(|x| self.lit(x))
                    .collect();
                constfold::chain(&c.ops, &operands)
            }
            other => index::literal_truth(other)
                .or_else(|| self.lit(other).map(|l| constfold::truth(&l))),
        }
    }

    /// The literal value of an operand, when literals alone decide it: a literal, a name holding
    /// one (local, or assigned once at module level), arithmetic on those.
    pub(super) fn lit(&self, e: &Expr) -> Option<Lit> {
        match e {
            Expr::Name(n) => match self.state.env.get(n.id.as_str()) {
                Some(v) => v
                    .number
                    .map(Lit::Num)
                    .or_else(|| v.text.clone().map(Lit::Str)),
                None => self
                    .fc
                    .numbers
                    .get(n.id.as_str())
                    .map(|x| Lit::Num(*x))
                    .or_else(|| self.fc.texts.get(n.id.as_str()).cloned().map(Lit::Str)),
            },
            Expr::BinOp(b) => match (self.lit(&b.left)?, self.lit(&b.right)?) {
                (Lit::Num(x), Lit::Num(y)) => constfold::arith(b.op, x, y).map(Lit::Num),
                (Lit::Str(x), Lit::Str(y)) if b.op == Operator::Add => {
                    Some(Lit::Str(Arc::from(format!("{x}{y}"))))
                }
                _ => None,
            },
            Expr::UnaryOp(u) => match (u.op, self.lit(&u.operand)?) {
                (UnaryOp::USub, Lit::Num(x)) => Some(Lit::Num(-x)),
                (UnaryOp::UAdd, Lit::Num(x)) => Some(Lit::Num(x)),
                (UnaryOp::Not, l) => Some(Lit::Num(f64::from(u8::from(!constfold::truth(&l))))),
                _ => None,
            },
            other => constfold::literal(other),
        }
    }

    /// `class OrderedLoader(SafeLoader): ...` in a function body: the class stands for the
    /// YAML loader it derives from (what it adds are the project's own constructors), so
    /// `yaml.load(stream, OrderedLoader)` is judged like `Loader=SafeLoader`, and one deriving
    /// from `yaml.UnsafeLoader` like that loader.
    fn local_loader_class(&mut self, c: &ast::StmtClassDef) {
        let mut unsafe_base = None;
        for b in c.bases() {
            let q = self.qualify(b);
            let q = q
                .as_deref()
                .map(|q| self.fc.project().yaml_loader_of(q).unwrap_or(q));
            if crate::rules::fs504_unsafe_deserialization::is_safe_loader_base(q, b) {
                let safe = q.map_or_else(|| "yaml.SafeLoader".to_string(), str::to_string);
                self.state.env.insert(c.name.to_string(), Val::alias(&safe));
                return;
            }
            if unsafe_base.is_none() {
                unsafe_base = q.filter(|q| q.starts_with("yaml.")).map(str::to_string);
            }
        }
        if let Some(base) = unsafe_base {
            self.state.env.insert(c.name.to_string(), Val::alias(&base));
        }
    }

    /// Applies what a condition being `branch` proves about the names it tests.
    pub(super) fn narrow(&mut self, test: &Expr, branch: bool) {
        self.narrow_checked(test, branch);
        self.narrow_membership(test, branch, 0);
    }

    /// The checks part of [`Self::narrow`]; returns the values it replaced, to put back with
    /// [`Self::restore`] where the condition held only for part of an expression.
    pub(super) fn narrow_checked(&mut self, test: &Expr, branch: bool) -> Vec<(String, Val)> {
        let mut replaced = Vec::new();
        let mut checks = guards::checks(self, test, branch);
        // A containment check on a resolved path confines the names it was resolved from.
        let derived: Vec<(String, u32)> = checks
            .iter()
            .filter(|(_, bits)| bits & SinkKind::Path.bit() != 0)
            .flat_map(|(k, _)| self.resolved_parts(k))
            .map(|p| (p, SinkKind::Path.bit()))
            .collect();
        checks.extend(derived);
        for (key, bits) in checks {
            if let Some(v) = self.state.env.get(&key) {
                let v = v.sanitize(bits);
                if let Some(old) = self.state.env.insert(key.clone(), v) {
                    replaced.push((key, old));
                }
            }
        }
        replaced
    }

    /// Puts back values [`Self::narrow_checked`] replaced, latest first.
    pub(super) fn restore(&mut self, replaced: Vec<(String, Val)>) {
        for (key, old) in replaced.into_iter().rev() {
            self.state.env.insert(key, old);
        }
    }

    /// `x in known`, where both hold data, on the branch where it holds: `x` equals one of
    /// `known`'s elements (or, for text, is a piece of it), so it carries what they carry and
    /// no longer what it held before. A task id from the request checked against the course's
    /// own task ids is the course's. (A `known` holding no data clears `x` in [`guards`]; a
    /// clean `x` stays clean: `"admin" in query` gives the literal nothing.)
    fn narrow_membership(&mut self, test: &Expr, branch: bool, depth: usize) {
        match test {
            Expr::BoolOp(b) if b.op == ast::BoolOp::And && branch && depth < 8 => {
                for v in &b.values {
                    self.narrow_membership(v, branch, depth + 1);
                }
            }
            Expr::UnaryOp(u) if u.op == UnaryOp::Not && depth < 8 => {
                self.narrow_membership(&u.operand, !branch, depth + 1);
            }
            Expr::Compare(c) if c.ops.len() == 1 => {
                let holds = match c.ops[0] {
                    ast::CmpOp::In => branch,
                    ast::CmpOp::NotIn => !branch,
                    _ => return,
                };
                let (true, Some(x), Some(k)) = (
                    holds,
                    guards::compared_key(&c.left),
                    guards::key(&c.comparators[0]),
                ) else {
                    return;
                };
                let Some(known) = self.state.env.get(&k).filter(|v| v.is_tainted()) else {
                    return;
                };
                if self.state.env.get(&x).is_some_and(Val::is_tainted) {
                    let element = iterate(known);
                    self.state.env.insert(x, element);
                }
            }
            _ => {}
        }
    }
}

/// The response variable of `resp.headers["Content-Type"] = ...`, `resp.mimetype = ...` or
/// `resp.content_type = ...`.
pub(super) fn content_type_target(target: &Expr) -> Option<&str> {
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

pub(super) fn bind_pattern_names(p: &ast::Pattern, subject: &Val, env: &mut Env) {
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

pub(super) fn imported_names(s: &Stmt) -> Vec<String> {
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

/// The names a statement binds by plain assignment (`x = ...`, `x: T = ...`, `x += ...`).
fn assigned_names(stmt: &Stmt) -> Vec<&str> {
    fn name(t: &Expr) -> Option<&str> {
        match t {
            Expr::Name(n) => Some(n.id.as_str()),
            _ => None,
        }
    }
    match stmt {
        Stmt::Assign(a) => a.targets.iter().filter_map(name).collect(),
        Stmt::AnnAssign(a) => name(&a.target).into_iter().collect(),
        Stmt::AugAssign(a) => name(&a.target).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// `x in [a, b]` / `x not in (a, b)`: whether it is negated, and the items of the literal
/// list, tuple or set.
fn membership(c: &ast::ExprCompare) -> Option<(bool, &[Expr])> {
    let ([op], [items]) = (&*c.ops, &*c.comparators) else {
        return None;
    };
    let negated = match op {
        ast::CmpOp::In => false,
        ast::CmpOp::NotIn => true,
        _ => return None,
    };
    let items = match items {
        Expr::List(l) => &l.elts[..],
        Expr::Tuple(t) => &t.elts[..],
        Expr::Set(s) => &s.elts[..],
        _ => return None,
    };
    Some((negated, items))
}
