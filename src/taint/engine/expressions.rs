//! Expressions: names and request sources, operators, formatting, f-strings, comprehensions.

use super::*;

impl<'w, 'g, 'a> Analyzer<'w, 'g, 'a> {
    /// Whether `e` is untainted (for allow-list containers), without recording anything.
    pub(in crate::taint) fn is_clean_container(&self, e: &Expr) -> bool {
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
            // `store.options["documents"]`: an entry of a clean mapping, whichever key picks it.
            Expr::Subscript(s) if matches!(&*s.value, Expr::Name(_) | Expr::Attribute(_)) => {
                self.is_clean_container(&s.value)
            }
            _ => false,
        }
    }

    /// The qualified name `e` stands for: local aliases first, then imports and module names.
    pub(in crate::taint) fn qualify(&self, e: &Expr) -> Option<String> {
        self.qualify_within(e, MAX_QUALIFIED_LINKS)
    }

    /// [`Self::qualify`] over at most `links` attribute/call links: a name is rebuilt at each
    /// link, so an unbounded chain would cost its length squared (and as much stack).
    pub(super) fn qualify_within(&self, e: &Expr, links: usize) -> Option<String> {
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
                // `self._executor` where the constructor stored an `Executor` there.
                if let Some(class) = self.w.g.attribute_class(&base, &a.attr) {
                    return Some(class.to_string());
                }
                Some(canonical(&format!("{base}.{}", a.attr)))
            }
            Expr::Call(c) => self.qualify_within(&c.func, links - 1),
            _ => None,
        }
    }

    // ----- expressions -------------------------------------------------------------------------

    pub(super) fn source_kind(&self, e: &Expr) -> Option<SourceKind> {
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
    pub(super) fn source_val(&self, range: TextRange, kind: SourceKind) -> Val {
        self.read_source(range, kind, self.body_self_only.body_reads)
    }

    /// The request data a form holds (its fields, the form handed on), read at `range`.
    pub(super) fn form_source_val(&self, range: TextRange, kind: SourceKind) -> Val {
        self.read_source(range, kind, self.body_self_only.form_fields)
    }

    /// A request source's value; `own_pages`: its body data only the user's own pages can send.
    fn read_source(&self, range: TextRange, kind: SourceKind, own_pages: bool) -> Val {
        let label = short(self.fc.file.slice(range));
        let own = if kind.body && own_pages {
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
    /// the Referer cannot be chosen by an attacker for a victim, so it is no redirect target; a
    /// browser-set header (`User-Agent`) is no reflected-XSS source.
    pub(super) fn keyed_source(
        &self,
        range: TextRange,
        kind: SourceKind,
        key: Option<&Expr>,
    ) -> Val {
        let v = self.source_val(range, kind);
        match key.and_then(string_literal) {
            Some(k) if sources::is_referer_key(&k) => v.sanitize(SinkKind::Redirect.bit()),
            Some(k) if kind.environ && sources::server_set_environ_key(&k) => Val::clean(),
            Some(k) if kind.header && sources::browser_set_header(&k) => {
                v.sanitize(SinkKind::Xss.bit())
            }
            // `request.view_args["id"]` of an `<int:id>` route: the converter let only a number in.
            Some(k) if kind.route && self.typed_params.contains(&k) => Val::constant(),
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
        if self.reads_setting(e) {
            return app_paths::setting(v);
        }
        v
    }

    /// A setting read (see [`app_paths::reads_setting`]), or a module-level name assigned one.
    fn reads_setting(&self, e: &Expr) -> bool {
        match e {
            Expr::Name(n) => {
                !self.state.env.contains_key(n.id.as_str())
                    && self.fc.settings.contains(n.id.as_str())
            }
            _ => app_paths::reads_setting(&self.sem, e),
        }
    }

    pub(super) fn eval_inner(&mut self, e: &Expr) -> Val {
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
                        number: self.fc.numbers.get(n.id.as_str()).copied(),
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
                if let Some(v) = self.request_global(e) {
                    return v;
                }
                let base = items::attribute_base(self.eval(&a.value));
                if let Some(v) = self.model_field(&base, &a.attr) {
                    return v;
                }
                if let Some(v) = self.property_read(a, &base) {
                    return v;
                }
                if matches!(base.shape, Shape::Map(_))
                    && !records::computed_attribute(self.w.g, &base, &a.attr)
                {
                    // A field of a record built with keyword arguments (see `record_of_fields`)
                    // or of an object whose constructor names its fields.
                    return base.element(&Index::Str(a.attr.to_string()));
                }
                if let Some(v) = self.form_field_data(a, &base) {
                    return v;
                }
                if base.is_tainted() {
                    let mut v = base.attribute_of_param(a.attr.as_str());
                    v.constant = false;
                    if exceptions::is_numeric_attribute(&a.attr) {
                        exceptions::drop_details(&mut v);
                    }
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
                    Some(i)
                        if pathsafe::last_segment(&s.value, &i, |sep| self.is_separator(sep)) =>
                    {
                        base.element(&i).sanitize(SinkKind::Path.bit())
                    }
                    Some(Index::Str(k)) if matches!(base.shape, Shape::None) => {
                        base.element(&Index::Str(k.clone())).item_of_param(&k)
                    }
                    Some(i) => base.element(&i),
                    None => {
                        let mut v = base.collapse();
                        v.constant = base.constant;
                        // A slice of dotless text, or any piece of a list of it.
                        v.dotless = base.dotless;
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
            Expr::NumberLiteral(n) => {
                let number = constfold::number(&n.value);
                Val {
                    truth: number.map(|x| x != 0.0),
                    number,
                    ..Val::constant()
                }
            }
            Expr::BytesLiteral(_) | Expr::EllipsisLiteral(_) | Expr::NoneLiteral(_) => Val {
                truth: index::literal_truth(e),
                ..Val::constant()
            },
            Expr::BooleanLiteral(b) => Val {
                truth: Some(b.value),
                number: Some(f64::from(u8::from(b.value))),
                ..Val::constant()
            },
            Expr::FString(f) => self.fstring(f),
            Expr::TString(_) | Expr::IpyEscapeCommand(_) | Expr::Lambda(_) => Val::clean(),
            Expr::BoolOp(b) => {
                let mut out: Option<Val> = None;
                // Each operand runs only once the ones before it held (`and`) or failed (`or`):
                // `exists(p) and isemptydir(p)` checks a path the first call confined.
                let held = b.op == ast::BoolOp::And;
                let mut replaced = Vec::new();
                for (i, v) in b.values.iter().enumerate() {
                    if i > 0 {
                        replaced.extend(self.narrow_checked(&b.values[i - 1], held));
                    }
                    let x = self.eval(v);
                    out = Some(match out {
                        Some(o) => o.join(&x),
                        None => x,
                    });
                }
                self.restore(replaced);
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
                let mut v = self.binop(&l, &r, b.op, Some(&b.left), e.range());
                // Arithmetic on numbers known from literals (`limit = 2 * 5`).
                if let (Some(x), Some(y)) = (l.number, r.number) {
                    v.number = constfold::arith(b.op, x, y);
                    v.truth = v.number.map(|n| n != 0.0);
                }
                v
            }
            Expr::UnaryOp(u) => {
                let v = self.eval(&u.operand);
                match u.op {
                    UnaryOp::Not => Val {
                        truth: v.truth.map(|t| !t),
                        ..Val::constant()
                    },
                    UnaryOp::USub | UnaryOp::UAdd => {
                        let sign = if u.op == UnaryOp::USub { -1.0 } else { 1.0 };
                        Val {
                            truth: v.truth,
                            number: v.number.map(|n| sign * n),
                            ..Val::constant()
                        }
                    }
                    UnaryOp::Invert => Val::constant(),
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
                        let mut a = self.eval(&i.body);
                        self.state = saved.clone();
                        self.narrow(&i.test, false);
                        let mut b = self.eval(&i.orelse);
                        self.state = saved;
                        // `trace if app.debug else ""`: exception details picked only in debug
                        // mode are the debug setting's business (FS101), as in an `if` block.
                        let trace = SinkKind::StackTrace.bit();
                        if a.is_tainted() && self.debug_test(&i.test, true) {
                            a = a.sanitize(trace);
                        }
                        if b.is_tainted() && self.debug_test(&i.test, false) {
                            b = b.sanitize(trace);
                        }
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
                        Some((_, Some(k))) => {
                            self.security_value_entry(&k, &v, item.value.range());
                            items.push((k, v));
                        }
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
                    // Still a dict (`{"a": x, **extra}`): a view returning it answers JSON.
                    rest.non_text = true;
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
                    self.status.record(None, &v);
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

    pub(super) fn comprehension(
        &mut self,
        generators: &[ast::Comprehension],
        elts: &[&Expr],
    ) -> Val {
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

    /// `"/"` or `os.sep`.
    fn is_separator(&self, e: &Expr) -> bool {
        string_literal(e).is_some_and(|s| s == "/")
            || self
                .qualify(e)
                .is_some_and(|q| pathsafe::SEPARATORS.contains(&q.as_str()))
    }

    pub(in crate::taint) fn const_index(&self, e: &Expr) -> Option<Index> {
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
    /// the rest harmless for redirects and SSRF, a non-empty one dotless text harmless for paths.
    pub(super) fn binop(
        &mut self,
        l: &Val,
        r: &Val,
        op: Operator,
        left: Option<&Expr>,
        range: TextRange,
    ) -> Val {
        let v = self.binop_inner(l, r, op, left, range);
        if op != Operator::Add || !matches!(v.shape, Shape::None) {
            return pathsafe::followed(&v);
        }
        let pieces = [Piece::Value(l), Piece::Value(r)];
        let mut v = confined(v, &pieces);
        v.truth = v.truth.or(dotless::concat_truth(l, r));
        v
    }

    fn binop_inner(
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
    pub(super) fn formatted(
        &mut self,
        text: &str,
        prefix: &str,
        parts: &[Val],
        range: TextRange,
    ) -> Val {
        let mut v = Val::default();
        // Only the last part, and only when the text ends with it, has nothing after it.
        let ends_with_part = text.ends_with('}');
        for (i, p) in parts.iter().enumerate() {
            if i + 1 == parts.len() && ends_with_part {
                v.absorb(p);
            } else {
                v.absorb(&pathsafe::followed(p));
            }
        }
        v.flatten_structure();
        v.constant = parts.iter().all(|p| p.constant);
        if sinks::prefix_pins_host(prefix) {
            v = v.sanitize(SinkKind::Redirect.bit() | SinkKind::Ssrf.bit());
        }
        v = app_paths::place(v, prefix, parts.len());
        // The literal start comes before every part.
        let pieces: Vec<Piece> = std::iter::once(Piece::Text(prefix))
            .chain(parts.iter().map(Piece::Value))
            .collect();
        v = confined(v, &pieces);
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

    pub(super) fn fstring(&mut self, f: &ast::ExprFString) -> Val {
        let mut text = String::new();
        let mut prefix: Option<String> = None;
        let mut parts = Vec::new();
        // Where each part starts in `text`, to see what literal text precedes it.
        let mut starts = Vec::new();
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
                                let part = self.eval(&i.expression);
                                // A known constant (`f"{BASE_URL}/{name}"`) is text like the
                                // literal around it: it may pin the host or the folder.
                                let known = i.conversion == ast::ConversionFlag::None
                                    && i.format_spec.is_none()
                                    && part.constant
                                    && !part.is_tainted()
                                    && matches!(part.shape, Shape::None);
                                if let Some(t) = part
                                    .text
                                    .as_deref()
                                    .filter(|t| known && !t.contains(['{', '}']))
                                {
                                    text.push_str(t);
                                    continue;
                                }
                                if prefix.is_none() {
                                    prefix = Some(text.clone());
                                }
                                starts.push(text.len());
                                text.push_str("{}");
                                parts.push(part);
                            }
                        }
                    }
                }
            }
        }
        let prefix = prefix.unwrap_or_else(|| text.clone());
        let mut v = self.formatted(&text, &prefix, &parts, f.range());
        let pieces = fstring_pieces(&text, &starts, &parts);
        v = confined(v, &pieces);
        if parts.is_empty() {
            v.text = Some(Arc::from(text.as_str()));
            v.constant = true;
        }
        v
    }

    // ----- calls -------------------------------------------------------------------------------
}

/// The pieces of an f-string in order: the literal text before each part, then the part.
fn fstring_pieces<'t>(text: &'t str, starts: &[usize], parts: &'t [Val]) -> Vec<Piece<'t>> {
    let mut pieces = Vec::with_capacity(parts.len() * 2);
    let mut from = 0;
    for (start, part) in starts.iter().zip(parts) {
        pieces.push(Piece::Text(&text[from..*start]));
        pieces.push(Piece::Value(part));
        from = start + 2;
    }
    // The text after the last part, which a part may be glued to.
    pieces.push(Piece::Text(&text[from..]));
    pieces
}

/// What iterating a value yields.
pub(super) fn iterate(v: &Val) -> Val {
    match &v.shape {
        Shape::Seq(items) => {
            let out = items.iter().fold(Val::constant(), |acc, x| {
                if acc.constant && !acc.is_tainted() && acc.shape.is_none() {
                    x.clone()
                } else {
                    acc.join(x)
                }
            });
            out.with_container_taints(&v.taints)
        }
        // Iterating a dict yields its (constant) keys.
        Shape::Map(_) => Val::from_taints(v.taints.clone()),
        Shape::None => {
            let mut out = v.collapse();
            out.constant = v.constant;
            out.dotless = v.dotless;
            out
        }
    }
}

impl Shape {
    fn is_none(&self) -> bool {
        matches!(self, Shape::None)
    }
}
