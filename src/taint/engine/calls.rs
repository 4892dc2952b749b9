//! Calls: builtins, library functions and methods, and project functions through their summaries.

use super::*;

impl<'w, 'g, 'a> Analyzer<'w, 'g, 'a> {
    pub(super) fn call(&mut self, c: &ast::ExprCall) -> Val {
        if let Some(v) = self.parent_init_call(c) {
            return v;
        }
        if let Some(v) = self.markup_decoded(c) {
            return v;
        }
        // Resolved once: a request source (`request.args.get(...)`) and, below, a sink.
        let q = self.super_method(c).or_else(|| {
            self.qualify(&c.func).map(|q| {
                // `current_app.response_class(...)` is the app's Response class.
                if q.ends_with(".response_class") && q.starts_with("flask.") {
                    "flask.Response".to_string()
                } else {
                    q
                }
            })
        });
        // `get_action(name)(context, data)`: the callee is the function `get_action` returns,
        // which the analysis does not know, not `get_action` run a second time.
        let q =
            q.filter(|q| !(matches!(&*c.func, Expr::Call(_)) && self.w.g.is_project_function(q)));
        if let Some(v) = self.predictable_call(c, q.as_deref()) {
            return v;
        }
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
        let (args, kwargs) = self.eval_arguments(c, 0);
        let call = Call {
            c,
            recv: recv.as_ref(),
            method,
            args: &args,
            kwargs: &kwargs,
        };
        let mut is_sink = self.check_sinks(&call, q.as_deref());
        self.security_value_call(&call, q.as_deref());
        if let Some(v) = self.validated_model(&call, q.as_deref()) {
            return v;
        }
        if let Some(v) = self.form_instance(&call, q.as_deref()) {
            return v;
        }
        if let Some(v) = self.form_method_result(&call) {
            return v;
        }
        // `current_app.send_static_file(name)`, `bp.send_static_file(name)`: Flask's file
        // response from the static folder (through `send_from_directory`), never reflected text.
        if method == Some("send_static_file")
            && !q
                .as_deref()
                .is_some_and(|q| self.w.g.is_project_function(q))
        {
            return Val::alias("flask.send_from_directory");
        }
        if let Some(q) = q.as_deref() {
            if sinks::NO_RETURN.contains(&q) {
                self.state.reachable = false;
                return Val::clean();
            }
            if sinks::RESPONSE_CALLS.contains(&q) {
                return Val::alias(q);
            }
            // Declared by the project: trusted before its body is analysed.
            if let Some(bits) = self.w.g.sanitizers.bits(q) {
                return call.union(false).sanitize(bits);
            }
            if let Some(v) = self.project_call(&call, q) {
                return v;
            }
            if let Some(f) = dispatch::registered_function(self.w.g, q) {
                let f = f.qualified.clone();
                if let Some(v) = self.project_call(&call, &f) {
                    return v;
                }
            }
            if let Some(key) = predictable::keyed_derivation(q) {
                return keyed_result(&call, key);
            }
            if sinks::CLEAN_RESULT.contains(&q) {
                if predictable::keeps_through(q) {
                    return predictable::kept(&call.union(false));
                }
                return Val::constant();
            }
            if sinks::STORE_HANDLES.contains(&q) {
                return Val::alias(q);
            }
            if let Some(v) = pathsafe::split_extension(q, call.arg(0, "p"))
                .or_else(|| pathsafe::joined_path(q, c, call.args))
                .or_else(|| pathsafe::parent_folder(q, call.arg(0, "p")))
            {
                return v;
            }
            let token = tokens::DecodeArgs {
                key: call.arg(1, "key"),
                options: call.kwarg("options"),
                verify: call.kwarg("verify"),
                algorithms: call.kwarg("algorithms"),
            };
            if tokens::verified(q, &token) {
                return Val::clean();
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
                // `getattr(exc, "http_status_code", 500)`: a number the exception carries.
                "builtins.getattr"
                    if c.arguments
                        .args
                        .get(1)
                        .and_then(string_literal)
                        .is_some_and(|n| exceptions::is_numeric_attribute(&n)) =>
                {
                    let mut v = call.union(false);
                    exceptions::drop_details(&mut v);
                    return v;
                }
                // `wrap_file(environ, file)`: an iterable over the file; the WSGI environ only
                // tells which file wrapper the server offers.
                "werkzeug.wsgi.wrap_file" | "werkzeug.wrap_file" => {
                    return call.arg(1, "file").cloned().unwrap_or_default();
                }
                // `list(items)`, `deque(items)` of a sequence known item by item: a copy with
                // the same items in the same order.
                "builtins.list" | "builtins.tuple" | "collections.deque"
                    if c.arguments.keywords.is_empty()
                        && args.len() == 1
                        && matches!(args[0].0.shape, Shape::Seq(_)) =>
                {
                    return args[0].0.clone();
                }
                "builtins.list" | "builtins.tuple" | "collections.deque"
                    if c.arguments.is_empty() =>
                {
                    return Val {
                        truth: Some(false),
                        shape: Shape::Seq(Arc::new(Vec::new())),
                        ..Val::constant()
                    };
                }
                // `cast(Response, value)` is `value`: a type checker's note, no conversion.
                "typing.cast" | "typing_extensions.cast" => {
                    return call.arg(1, "val").cloned().unwrap_or_default();
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
                // An in-memory file or a SQL statement holding the data: it keeps its name (see
                // `sinks::keeps_name`), so a path or SQL sink knows it is no path or SQL text.
                q if sinks::FILE_OBJECTS.contains(&q)
                    || (sinks::is_sql_statement_name(q) && sinks::function_sink(q).is_none()) =>
                {
                    let mut v = call.union(false);
                    v.alias = Some(Arc::from(q));
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
        } else if let Some(bits) = self
            .sem
            .resolve(&c.func)
            .and_then(|sq| sinks::sanitizer(&sq))
        {
            // `token = TOTP(secret)` with request data in `secret`: the tracked value names no
            // class, but its static type does, and a library sanitiser method is known by it.
            return call.union(false).sanitize(bits);
        }
        if let (Some(m), Some(r)) = (method, recv.as_ref()) {
            // A statement's generative methods return a statement; its compiled form is text.
            if sinks::is_sql_statement(r) && m != "compile" {
                let mut v = call.union(true);
                v.alias = r.alias.clone();
                return v;
            }
        }
        if method == Some("parse_args") {
            if let Some(v) = self.parsed_args(c) {
                return v;
            }
        }
        if let (Some(m), Some(r)) = (method, recv.as_ref()) {
            if let Some(v) = self.method_result(c, m, r, &call) {
                return v;
            }
        }
        if !is_sink && method == Some("get") && !self.library_class_get(c, q.as_deref(), method) {
            // A lookup in a mapping or store (`watches.get(uuid)`, `Model.query.get(id)`): the
            // key selects a record, the record is not request data. What the store itself holds
            // (a summary's parameter, a request dict) and a default come back; the key does not.
            let mut v = recv.as_ref().map(Val::collapse).unwrap_or_default();
            if let Some(Index::Str(k)) = c.arguments.args.first().and_then(|k| self.const_index(k))
            {
                v = v.item_of_param(&k);
            }
            // `session.get(Model, ident)`: the second argument is the key, not a default.
            let by_model = c.arguments.args.first().is_some_and(|m| {
                self.qualify(m)
                    .is_some_and(|q| self.w.g.project_class(&q).is_some())
            });
            // `registry.get(kind, name, rev=r)`: more than a key and a default, so no
            // `dict.get`; its second argument is another key.
            let mapping_get = c.arguments.args.len() <= 2
                && c.arguments
                    .keywords
                    .iter()
                    .all(|k| k.arg.as_deref() == Some("default"));
            if let Some(d) = call.arg(1, "default").filter(|_| !by_model && mapping_get) {
                v = v.join(d);
            }
            return v;
        }
        if let Some(v) = self.fixed_template(c, q.as_deref(), &call) {
            return v;
        }
        if is_sink {
            // Data a sink hands back (rows, responses, file contents) is not the request's.
            return q.map_or_else(Val::clean, |q| Val::alias(&q));
        }
        if let Some(v) = record_of_fields(&call, q.as_deref()) {
            return v;
        }
        if let Some(v) = keyword_dict(&call, q.as_deref()) {
            return v;
        }
        if let Expr::Name(n) = &*c.func {
            if let Some(r) = self.local_returns.iter().find(|r| r.name == n.id.as_str()) {
                // What the arguments reach inside it (an exception shown in the JSON it
                // builds) stays at stake where the result goes; they are not its text.
                let mut v = call.union(true).collapse().sanitize(SinkKind::Xss.bit());
                exceptions::as_text(&mut v);
                v.absorb(&r.value);
                return v;
            }
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
        // Only where request data is at stake: consulting candidates' summaries for every
        // parameter flow of every helper would cost more than it saves.
        let request_data = || {
            v.collapse()
                .taints
                .iter()
                .any(|t| t.origin == Origin::Request)
        };
        if let Some(m) = method.filter(|_| v.is_tainted() && request_data()) {
            match self.dispatched_returns(m) {
                Some(Returns::Nothing) => return Val::clean(),
                // `registry.get_extension(name)` answering `self._instances.get(name)`: what the
                // receiver holds comes back, the argument only chose it.
                Some(Returns::Receiver) => {
                    return recv.as_ref().map_or_else(Val::clean, Val::collapse);
                }
                None => {
                    if let Some(v) = self.dispatched_value(&call, m) {
                        return v;
                    }
                }
            }
        }
        if v.is_tainted() && !self.modelled_call(c, q.as_deref(), method) {
            v = v.guessed();
        }
        exceptions::as_text(&mut v);
        if method.is_some_and(|m| dispatch::typed_non_text(self.w.g, m)) {
            v = return_types::as_non_text(v);
        }
        v.constant = recv
            .as_ref()
            .is_some_and(|r| r.constant && r.alias.is_none())
            && args.iter().all(|(a, _)| a.constant)
            && kwargs.iter().all(|(_, a, _)| a.constant);
        // A sandboxed environment stays one whatever its options (see `sink_checks`).
        if !v.is_tainted()
            || q.as_deref()
                .is_some_and(|q| sinks::TAR_OPEN.contains(&q) || fixed_templates::is_sandboxed(q))
        {
            v.alias = q.as_deref().map(Arc::from);
        }
        v
    }

    /// `EditView().get(kind, id)`: a `get` given more than a key, of an object a library class
    /// made, which is that class's own method (a view's handler), not a mapping's lookup with a
    /// default: nothing models it. (`store.get(key)` still looks a record up.)
    fn library_class_get(&self, c: &ast::ExprCall, q: Option<&str>, method: Option<&str>) -> bool {
        method == Some("get")
            && c.arguments.args.len() >= 2
            && q.and_then(|q| q.rsplit_once('.'))
                .is_some_and(|(owner, _)| {
                    names_non_mapping_class(owner) && self.w.g.project_class(owner).is_none()
                })
    }

    /// Whether the analysis models what the library call `c` hands back (see [`modelled`]): a
    /// known library's, a text method's, a nested function's of this body, or a method a
    /// project class inherits from a known library's class (`JobSchema().load(body)`).
    fn modelled_call(&self, c: &ast::ExprCall, q: Option<&str>, method: Option<&str>) -> bool {
        // `getattr(obj, name)(data)`, `get_action(name)(data)`: the function called is a value.
        if matches!(&*c.func, Expr::Call(_)) {
            return false;
        }
        if self.library_class_get(c, q, method) {
            return false;
        }
        if modelled::is_modelled(q, method) {
            return true;
        }
        if let Expr::Name(n) = &*c.func {
            return self.local_functions.iter().any(|f| f == n.id.as_str());
        }
        let g = self.w.g;
        // Every library base known (markers like `abc.ABC` say nothing of the methods).
        let library = |b: &str| g.project_class(b).is_none() && !modelled::is_marker_base(b);
        q.and_then(|q| q.rsplit_once('.'))
            .and_then(|(class, _)| g.project_class(class))
            .is_some_and(|class| {
                g.derives_from(class, &|b| {
                    library(b) && modelled::is_modelled(Some(b), None)
                }) && !g.derives_from(class, &|b| {
                    library(b) && !modelled::is_modelled(Some(b), None)
                })
            })
    }

    /// An autoescaping Jinja environment, or a template compiled from fixed source in one (see
    /// [`fixed_templates`]).
    fn fixed_template(&self, c: &ast::ExprCall, q: Option<&str>, call: &Call) -> Option<Val> {
        if let Some(env) = fixed_templates::environment(q, c) {
            return Some(env);
        }
        let module_env = match &*c.func {
            Expr::Attribute(a) => matches!(&*a.value, Expr::Name(n)
                if !self.state.env.contains_key(n.id.as_str())
                    && self.fc.escaping_envs.iter().any(|e| e == n.id.as_str())),
            _ => false,
        };
        let env_escapes = module_env || call.recv.is_some_and(fixed_templates::is_escaping_env);
        let source = call.args.first().map(|(v, _)| v);
        fixed_templates::compiled(q, c, call.method, env_escapes, source)
    }

    /// `Markup(x).unescape()` / `.striptags()`: the Markup is only a step to decode entities into
    /// a plain `str`; nothing is marked safe, so the inner `Markup(x)` is no XSS sink.
    pub(super) fn markup_decoded(&mut self, c: &ast::ExprCall) -> Option<Val> {
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
    pub(super) fn method_result(
        &mut self,
        c: &ast::ExprCall,
        m: &str,
        recv: &Val,
        call: &Call,
    ) -> Option<Val> {
        let limit = match m {
            "split" | "rsplit" => dotless::max_split(c),
            _ => dotless::MaxSplit::Other,
        };
        if let Some(v) = dotless::method_result(m, recv, call.arg(0, "sep"), limit) {
            return Some(v);
        }
        if m == "format" {
            if let Some(v) = self.filled_config_template(c, recv, call) {
                return Some(v);
            }
        }
        let recv_key = match &*c.func {
            Expr::Attribute(a) => guards::key(&a.value),
            _ => None,
        };
        match m {
            "append" | "appendleft" | "add" | "extend" | "extendleft" | "insert" | "update"
            | "setdefault" => {
                if let Some(key) = recv_key.filter(|k| self.state.env.contains_key(k)) {
                    let mut container = self.state.env.get(&key).cloned().unwrap_or_default();
                    match (m, &container.shape, call.args.first(), call.args.get(1)) {
                        ("append" | "appendleft", Shape::Seq(items), Some((v, _)), _) => {
                            let mut items = (**items).clone();
                            if m == "append" {
                                items.push(v.clone());
                            } else {
                                items.insert(0, v.clone());
                            }
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
                            let by_keyword = !call.kwargs.is_empty();
                            container = items::stored_in_items(&container, &all, by_keyword);
                        }
                    }
                    let container =
                        container.step(self.file(), c.range(), &format!("added to `{key}`"));
                    self.state.env.insert(key, container);
                }
                Some(Val::clean())
            }
            // `items.pop()`, `queue.popleft()`, `items.pop(0)` of a sequence known item by item:
            // that item comes out and the others stay.
            "pop" | "popleft" if matches!(recv.shape, Shape::Seq(_)) => {
                let Shape::Seq(items) = &recv.shape else {
                    return None;
                };
                let at = match (m, c.arguments.args.first().map(|a| self.const_index(a))) {
                    ("popleft", None) => Some(0),
                    ("pop", None) => items.len().checked_sub(1),
                    ("pop", Some(Some(Index::Int(i)))) if i >= 0 => usize::try_from(i).ok(),
                    ("pop", Some(Some(Index::Int(i)))) => {
                        usize::try_from(items.len() as i64 + i).ok()
                    }
                    _ => None,
                }
                .filter(|i| *i < items.len());
                let Some(at) = at else {
                    return Some(recv.collapse());
                };
                if let Some(key) = recv_key.filter(|k| self.state.env.contains_key(k)) {
                    let mut rest = (**items).clone();
                    rest.remove(at);
                    let mut container = recv.clone();
                    container.shape = Shape::Seq(Arc::new(rest));
                    self.state.env.insert(key, container);
                }
                Some(recv.element(&Index::Int(at as i64)))
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
            "render" | "render_async" if fixed_templates::is_fixed(recv) => {
                Some(fixed_templates::rendered(call.union(false)))
            }
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
            // `urlparse(back)._replace(query=urlencode(args))`: a query or fragment cannot move the
            // URL to another scheme or host.
            "_replace" => {
                let mut v = recv.clone();
                for (k, x, _) in call.kwargs {
                    let x = match k.as_deref() {
                        Some("query" | "fragment") => {
                            x.sanitize(SinkKind::Redirect.bit() | SinkKind::Ssrf.bit())
                        }
                        _ => x.clone(),
                    };
                    v.absorb(&x);
                }
                Some(v)
            }
            // `api.url_for(Resource, **args)` (Flask-RESTX, Flask-RESTful, `app.url_for`): a URL
            // of this app for a fixed endpoint; the values only fill its path and query.
            "url_for" if call.args.first().is_some_and(|(e, _)| !e.is_tainted()) => {
                Some(Val::alias("flask.url_for"))
            }
            // `response.make_conditional(request.environ, ...)`: the same response, answered
            // as a range or a 304 as the request's headers ask; the environ is never body.
            "make_conditional" => Some(recv.clone()),
            // `value.replace("'", "''")`: quotes doubled, the value cannot leave a quoted SQL
            // literal (SQLite and standard SQL).
            "replace" if is_quote_doubling(call) => {
                let mut v = recv.sanitize(SinkKind::Sql.bit());
                v.text = None;
                Some(v)
            }
            "replace" => {
                let old_is_sep = c.arguments.args.first().is_some_and(|e| {
                    self.qualify(e)
                        .is_some_and(|q| pathsafe::SEPARATORS.contains(&q.as_str()))
                });
                // `replace("/", "", 1)` removes only the first separator.
                let every =
                    c.arguments.args.len() <= 2 && c.arguments.find_keyword("count").is_none();
                let old = call.arg(0, "old").filter(|_| every);
                let old_is_sep = old_is_sep && every;
                pathsafe::replaced(&call.union(true), old, old_is_sep, call.arg(1, "new"))
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
                let positional = call.kwargs.is_empty();
                parts.extend(call.kwargs.iter().map(|(_, v, _)| v.clone()));
                let v = self.formatted(&text, &prefix, &parts, c.range());
                match dotless::format_pieces(&text, &parts).filter(|_| positional) {
                    Some(pieces) => Some(confined(v, &pieces)),
                    None => Some(v),
                }
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
                Some(pathsafe::followed(&v))
            }
            m if sinks::CLEAN_METHODS.contains(&m) && !self.is_mongo_call(m, recv) => {
                if predictable::keeps_through_method(m) {
                    return Some(predictable::kept(recv));
                }
                Some(Val::constant())
            }
            "fetchone" | "fetchall" | "fetchmany" | "first" | "one" | "one_or_none" | "all"
            | "scalar" | "scalars" | "scalar_one" | "scalar_one_or_none" | "get_or_404"
            | "first_or_404" | "one_or_404" | "paginate" => Some(Val::clean()),
            _ => None,
        }
    }

    /// What every project method named `m` (the candidates a call on an object of unknown class
    /// may run, see [`dispatch::candidates`]) returns of the call's data, when none returns
    /// data of its arguments: nothing (`handler.send_thumbnail(...)` answering with a file
    /// response), or only its receiver's (a lookup in a table the object holds).
    fn dispatched_returns(&mut self, m: &str) -> Option<Returns> {
        let candidates = dispatch::candidates(self.w.g, m);
        if candidates.is_empty() {
            return None;
        }
        let mut returns = Returns::Nothing;
        for f in candidates {
            let r = self.w.result_in(&f.qualified, context::Known::default())?;
            if r.truncated {
                return None;
            }
            for t in &r.ret.collapse().taints {
                match t.origin {
                    Origin::Param(0) if f.offset == 1 => returns = Returns::Receiver,
                    _ => return None,
                }
            }
        }
        Some(returns)
    }

    pub(super) fn is_mongo_call(&self, m: &str, recv: &Val) -> bool {
        self.fc.mongo && sinks::MONGO_METHODS.contains(&m) && !recv.is_tainted()
    }

    /// A call to a function or method of the project: applies its summary.
    /// A call's arguments evaluated in order, past the first `skip` positional ones: positional
    /// values and `(keyword, value)` pairs, each with where it is written.
    pub(super) fn eval_arguments(&mut self, c: &ast::ExprCall, skip: usize) -> (Args, Kwargs) {
        let args = c
            .arguments
            .args
            .iter()
            .skip(skip)
            .map(|a| (self.eval(a), a.range()))
            .collect();
        let kwargs = c
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
        (args, kwargs)
    }

    /// `super().m(...)` (or `super(C, self).m(...)`) in a method of a project class: the method of
    /// the nearest base that defines `m`. The `__init__` of a Flask or Werkzeug response class
    /// builds a response, judged like `Response(...)`.
    fn super_method(&self, c: &ast::ExprCall) -> Option<String> {
        let Expr::Attribute(a) = &*c.func else {
            return None;
        };
        let Expr::Call(s) = &*a.value else {
            return None;
        };
        if !matches!(&*s.func, Expr::Name(n) if n.id.as_str() == "super") {
            return None;
        }
        let class = self.class.as_deref()?;
        let g = self.w.g;
        let m = a.attr.as_str();
        g.find_in_bases(class, |written, base| {
            let method = format!("{base}.{m}");
            if g.funcs.contains_key(&method) {
                return Some(method);
            }
            (m == "__init__" && guards::RESPONSE_TYPES.contains(&written))
                .then(|| "flask.Response".to_string())
        })
    }

    pub(super) fn project_call(&mut self, call: &Call, q: &str) -> Option<Val> {
        let g = self.w.g;
        let q = g.resolve_function(q);
        let mut member_call = false;
        let (info, constructor) = match g.funcs.get(q).or_else(|| g.inherited_method(q)) {
            Some(info) => (info, false),
            None => {
                if let Some(info) = called_member(g, q) {
                    member_call = true;
                    (info, false)
                } else {
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
        // Called on its class, a class method still receives the class implicitly.
        let classmethod =
            on_class
                && info.def.decorator_list.iter().any(
                    |d| matches!(&d.expression, Expr::Name(n) if n.id.as_str() == "classmethod"),
                );
        if info.offset == 1 {
            // The member is `self`: a class-level value the analysis holds nothing for.
            if constructor || member_call || classmethod {
                pos = 1;
            } else if bound {
                if let (Some(r), Some(slot)) = (call.recv, actual.get_mut(0)) {
                    *slot = Some((r.clone(), call.c.func.range()));
                }
                pos = 1;
            }
        }
        // Positional arguments fill the positional parameters; the rest go to `*args`, never to
        // keyword-only parameters.
        let positional = info.def.parameters.posonlyargs.len() + info.def.parameters.args.len();
        for (v, r) in call.args {
            if let Some(slot) = actual.get_mut(pos).filter(|_| pos < positional) {
                *slot = Some((self.form_argument(v, *r), *r));
            }
            pos += 1;
        }
        for (name, v, r) in call.kwargs {
            if let Some(i) = name
                .as_ref()
                .and_then(|n| names.iter().position(|x| x == n))
            {
                actual[i] = Some((self.form_argument(v, *r), *r));
            }
        }
        let display = format!("{}()", qualified.rsplit('.').next().unwrap_or(&qualified));
        // Without data flowing in, only a callee that may produce data itself needs analysing.
        // A form's own method may read its fields' data.
        let data_in = actual.iter().flatten().any(|(v, _)| v.is_tainted())
            || (bound && call.recv.is_some_and(|r| self.is_form(r)));
        let passed: Vec<Option<Option<context::Fixed>>> = actual
            .iter()
            .map(|a| a.as_ref().map(|(v, _)| context::Fixed::of_value(v)))
            .collect();
        // Keywords no named parameter takes land in `**kwargs`; a `**mapping` may hold any.
        let extra_keywords = call.kwargs.iter().try_fold(false, |extra, (name, _, _)| {
            let name = name.as_ref()?;
            Some(extra || !names.iter().any(|n| n == name))
        });
        let flags = info.traits().flags;
        // A `*sequence` or `**mapping` may fill any parameter: nothing is fixed.
        let spread = call.c.arguments.args.iter().any(Expr::is_starred_expr)
            || call.kwargs.iter().any(|(name, _, _)| name.is_none());
        let mut known = if spread {
            context::Known::default()
        } else {
            context::at_call(info.def, flags, &passed, extra_keywords)
        };
        if !spread {
            // `fetch(base_url, key)`: the callee's `f"{base}/{key}"` keeps the host of the base.
            known.app_urls = actual
                .iter()
                .enumerate()
                .filter_map(|(i, a)| Some((i, app_paths::url_kind(&a.as_ref()?.0)?)))
                .collect();
        }
        // A predicate given literals is still analysed when this function is itself summarised
        // for literals its caller fixed: its answer may decide the branch those literals choose.
        let decides = flags.predicate && !known.is_empty() && !self.known.is_empty();
        if !data_in && !info.may_produce(g) && !decides {
            let mut v = Val::clean();
            if constructor {
                v.alias = Some(Arc::from(q));
            }
            return Some(v);
        }
        let typed = return_types::returns_non_text(g, info);
        let fixes = !known.is_empty();
        let Some(result) = self.w.result_in(&qualified, known) else {
            self.truncated = true;
            let v = call.union(true);
            return Some(if typed {
                return_types::as_non_text(v)
            } else {
                v
            });
        };
        self.truncated |= result.truncated;
        // A plain function's single `return` gives its answer on every path (a method could be
        // overridden); a loop pass may have fixed other literals, so the answer is renewed.
        self.predicate_answers.retain(|(r, _)| *r != call.c.range());
        if flags.predicate && info.offset == 0 && fixes {
            if let Some(answer) = result.ret.truth.filter(|_| result.ret.constant) {
                self.predicate_answers.push((call.c.range(), answer));
            }
        }
        if let Some(success) = &result.success {
            let tainted = |p: u16| {
                actual
                    .get(p as usize)
                    .is_some_and(|a| a.as_ref().is_some_and(|(v, _)| v.is_tainted()))
            };
            self.last_success = Some((call.c.range(), status::at_call(success, tainted)));
        }
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
            let field = reach.taint.field.as_deref();
            for t in self.handed_over(val, field) {
                let t = records::narrowed(&t, &reach.taint);
                let cleared = value::through(t.cleared, reach.taint.cleared);
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
                    audit: t.audit || reach.taint.audit,
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
                        let field = t.field.as_deref();
                        for a in self.handed_over(val, field) {
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
                                cleared: value::through(a.cleared, t.cleared),
                                structured: a.structured && t.structured,
                                audit: a.audit || t.audit,
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
            // A response object: its body was judged where the constructor built it.
            if is_response_class(g, q) {
                return Some(Val::alias(q));
            }
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
        // A model validated into the class passed as an argument is an instance of that class.
        if let Some(p) = out.alias.as_deref().and_then(models::param_of) {
            let class = actual
                .get(p)
                .and_then(Option::as_ref)
                .map(|(v, _)| &v.alias);
            out.alias = class.cloned().flatten();
        }
        // A file object, a SQL statement or a validated model keeps its name whatever data it
        // holds.
        let holds_data =
            !out.taints.is_empty() || (out.is_tainted() && !matches!(out.shape, Shape::Map(_)));
        let named =
            sinks::keeps_name(&out) || out.alias.as_deref().is_some_and(|a| models::is_model(g, a));
        if holds_data && !named {
            out.alias = None;
        }
        if typed {
            out = return_types::as_non_text(out);
        }
        Some(out)
    }

    // ----- sinks -------------------------------------------------------------------------------
}

/// Evaluated positional arguments, with where each is written.
pub(super) type Args = Vec<(Val, TextRange)>;
/// Evaluated keyword arguments (`None` for `**spread`), with where each is written.
pub(super) type Kwargs = Vec<(Option<String>, Val, TextRange)>;

/// A call's evaluated parts.
pub struct Call<'c> {
    pub(super) c: &'c ast::ExprCall,
    pub(super) recv: Option<&'c Val>,
    pub(super) method: Option<&'c str>,
    pub(super) args: &'c [(Val, TextRange)],
    pub(super) kwargs: &'c [(Option<String>, Val, TextRange)],
}

impl Call<'_> {
    /// Positional argument `pos` or keyword `kw`.
    pub(super) fn arg(&self, pos: usize, kw: &str) -> Option<&Val> {
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

    pub(super) fn kwarg(&self, kw: &str) -> Option<&Val> {
        if kw.is_empty() {
            return None;
        }
        self.kwargs
            .iter()
            .find(|(k, _, _)| k.as_deref() == Some(kw))
            .map(|(_, v, _)| v)
    }

    /// Everything the arguments (and, with `receiver`, the receiver) carry.
    pub(super) fn union(&self, receiver: bool) -> Val {
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

/// Classes whose instances are mappings (`.get(key, default)` is a lookup).
const MAPPING_CLASSES: &[&str] = &[
    "OrderedDict",
    "Counter",
    "ChainMap",
    "UserDict",
    "Config",
    "MultiDict",
    "ImmutableMultiDict",
    "CombinedMultiDict",
    "OrderedMultiDict",
    "Headers",
    "EnvironHeaders",
    "TypeConversionDict",
    "ImmutableTypeConversionDict",
    "CaseInsensitiveDict",
    "SimpleCookie",
    "Session",
    "SecureCookieSession",
    "NullSession",
    "LocalProxy",
];

/// Whether `alias`, what a value was made by, names a class (`ckan.views.dataset.EditView`)
/// whose instances are no mapping.
fn names_non_mapping_class(alias: &str) -> bool {
    let last = alias.rsplit(['.', '#']).next().unwrap_or(alias);
    last.starts_with(|c: char| c.is_ascii_uppercase()) && !MAPPING_CLASSES.contains(&last)
}

/// `BookMeta(file_path=p, title=t, ...)`: a library or namedtuple class built from keyword
/// arguments only. Its fields are kept apart, so `meta.file_path` does not carry what was passed
/// as `title`. The alias marks the map as a record whose attributes are its fields.
/// `Color.RED(...)`: a member of a project `Enum` is an instance of its class, so calling it runs
/// the class's `__call__`.
fn called_member<'g, 'a>(g: &'g Global<'a>, q: &str) -> Option<&'g FuncInfo<'a>> {
    let (class, member) = q.rsplit_once('.')?;
    // Most calls are of library functions: only a callable enum of that short name is worth
    // resolving.
    let short = class.rsplit('.').next().unwrap_or(class);
    let enums = g.callable_enums.get_or_init(|| {
        g.named("__call__")
            .filter_map(|f| f.class.as_deref())
            .filter(|c| g.derives_from(c, &|base| base.starts_with("enum.")))
            .filter_map(|c| c.rsplit('.').next().map(str::to_string))
            .collect()
    });
    if !enums.iter().any(|e| e == short) {
        return None;
    }
    let call = format!("{class}.__call__");
    let info = g
        .funcs
        .get(g.resolve_function(&call))
        .or_else(|| g.inherited_method(&call))?;
    let class = info.class.as_deref()?;
    let member = format!("{class}.{member}");
    // A method or a nested class is called as itself.
    let is_value = !g.funcs.contains_key(&member) && !g.classes.contains(&member);
    is_value.then_some(info)
}

pub(super) fn record_of_fields(call: &Call, q: Option<&str>) -> Option<Val> {
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
    let items = keyword_items(call)?;
    Some(Val {
        shape: Shape::Map(Arc::new(items)),
        alias: Some(Arc::from(q)),
        ..Val::default()
    })
}

/// `dict(name=x, jobs=y)`: a dict like its literal `{"name": x, "jobs": y}`, so a view returning
/// it answers JSON and each entry keeps its own data. `dict(**other)` and `dict(pairs)` are not
/// read.
pub(super) fn keyword_dict(call: &Call, q: Option<&str>) -> Option<Val> {
    if q != Some("builtins.dict") || !call.args.is_empty() {
        return None;
    }
    let items = keyword_items(call)?;
    Some(Val {
        constant: items.iter().all(|(_, v)| v.constant),
        truth: Some(!items.is_empty()),
        shape: Shape::Map(Arc::new(items)),
        ..Val::default()
    })
}

/// A call's keyword arguments as dict entries; `None` when one is a `**` spread.
fn keyword_items(call: &Call) -> Option<Vec<(String, Val)>> {
    call.kwargs
        .iter()
        .map(|(k, v, _)| Some((k.clone()?, v.clone())))
        .collect()
}

/// `.replace("'", "''")`.
pub(super) fn is_quote_doubling(call: &Call) -> bool {
    let text = |i: usize| call.args.get(i).and_then(|(v, _)| v.text.as_deref());
    text(0) == Some("'") && text(1) == Some("''")
}

/// A keyed derivation's result (an OTP, a MAC) carries what its key carries, not its message:
/// a predictable counter under a secret key gives an unguessable code.
fn keyed_result(call: &Call, key: predictable::Key) -> Val {
    let key = match key {
        predictable::Key::Receiver => call.recv,
        predictable::Key::Arg(pos, kw) => call.arg(pos, kw),
    };
    key.map_or_else(Val::default, |k| Val {
        constant: k.constant,
        ..Val::from_taints(k.all_taints())
    })
}

/// What the candidates of a call on an object of unknown class return of the call's data.
enum Returns {
    /// Nothing the call passes in.
    Nothing,
    /// Only data of the receiver (`self`).
    Receiver,
}

/// Whether the project class `q` derives from Flask's or Werkzeug's `Response`.
pub(super) fn is_response_class(g: &Global, q: &str) -> bool {
    g.derives_from(q, &|base| guards::RESPONSE_TYPES.contains(&base))
}
