//! Where values reach sinks: library sinks by name or method, responses, and the flows recorded
//! for each.

use super::*;
use crate::rules::fs504_unsafe_deserialization::judge_loader;

impl<'w, 'g, 'a> Analyzer<'w, 'g, 'a> {
    /// Records every taint of `v` that is still dangerous for `kind` at `range`.
    pub(super) fn sink(
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
    pub(super) fn response_sink(&mut self, v: &Val, range: TextRange, name: &str) {
        for r in self.sink_reaches(SinkKind::StackTrace, v, range, name, None) {
            if let Some(r) = self.responses.route(range, r) {
                self.reaches.push(r);
            }
        }
    }

    /// The reaches of every taint of `v` still dangerous for `kind` at `range`.
    pub(super) fn sink_reaches(
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
    pub(super) fn view_return(&mut self, v: &Val, range: TextRange) {
        let body = match &v.shape {
            Shape::Seq(items) if !items.is_empty() => items[0].clone(),
            _ => v.clone(),
        };
        let name = format!("the response of `{}()`", self.name);
        if !self.json_view && !v.is_json_body() && !v.headers_say_non_html() {
            self.sink(SinkKind::Xss, &body, range, &name, None);
        }
        self.sink(SinkKind::StackTrace, &body, range, &name, None);
    }

    /// Checks the sinks a call may be; returns whether it is one.
    pub(super) fn check_sinks(&mut self, call: &Call, q: Option<&str>) -> bool {
        let c = call.c;
        let range = c.range();
        let name = format!("{}()", short(self.fc.file.slice(c.func.range())));
        let mut found = false;
        if let Some(q) = q {
            if let Some(s) = sinks::function_sink(q) {
                found = true;
                for &(pos, kw) in s.args {
                    if s.kind == SinkKind::Path
                        && (self.file_object_arg(c, pos, kw)
                            || call.arg(pos, kw).is_some_and(sinks::is_file_object))
                    {
                        continue;
                    }
                    if let Some(v) = call.arg(pos, kw) {
                        let v = if pathsafe::FILE_ONLY_SINKS.contains(&q) {
                            pathsafe::safe_as_last(v)
                        } else if pathsafe::LISTING_SINKS.contains(&q) {
                            v.map_taints(&|t| Taint {
                                audit: true,
                                ..t.clone()
                            })
                        } else {
                            v.clone()
                        };
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
                // One decided elsewhere (`Loader=cls.yaml_loader`, a parameter) is not judged.
                let safe = loader.is_some_and(|l| {
                    judge_loader(l, &|e| self.qualify(e), self.fc.project()).unwrap_or(true)
                });
                if !safe {
                    if let Some(v) = call.arg(0, "stream").cloned() {
                        self.sink(SinkKind::Deserialization, &v, range, &name, None);
                    }
                }
            }
            if let Some(p) = sinks::PICKLE_SWITCHED.iter().find(|p| p.name == q) {
                found = true;
                let switch = c
                    .arguments
                    .find_keyword(p.keyword)
                    .map(|k| &k.value)
                    .or_else(|| p.position.and_then(|i| c.arguments.args.get(i)));
                // A switch that is not a literal is not judged: it is usually a setting.
                let pickles = match switch {
                    None => p.pickles_by_default,
                    Some(e) => index::literal_truth(e) == Some(p.pickles_if_true),
                };
                if pickles {
                    if let Some(v) = call.arg(0, p.file).cloned() {
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
                    // `make_response((body, status, headers))`: only the tuple's first item is
                    // the body; the others are its status and headers.
                    // `make_response((body, status, {"Content-Type": "application/json"}))`.
                    // `Response(body, headers={"Content-Type": "application/json"})`.
                    let html = html
                        && !(q == "flask.make_response"
                            && call
                                .arg(0, "response")
                                .is_some_and(|v| v.headers_say_non_html()))
                        && !(q == "flask.Response"
                            && call.arg(2, "headers").is_some_and(Val::names_non_html_type));
                    let first = call.arg(0, "response").cloned().map(|v| {
                        match (&v.shape, c.arguments.args.first()) {
                            (Shape::Seq(items), Some(Expr::Tuple(t)))
                                if q == "flask.make_response"
                                    && c.arguments.args.len() == 1
                                    && (2..=3).contains(&t.elts.len())
                                    && items.len() == t.elts.len() =>
                            {
                                items[0].clone()
                            }
                            _ => v,
                        }
                    });
                    if let Some(body) = first {
                        if html && !matches!(body.shape, Shape::Map(_)) && !body.non_text {
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
        // A method the project defines itself (`QueryRunner(conn).execute(sql)`) is its code, not
        // a driver's, whatever its name: its body is followed and judged where a driver is called.
        if q.is_some_and(|q| self.w.g.is_project_function(q)) {
            return found;
        }
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
            if let Some(v) = v.filter(|v| !sinks::is_sql_statement(v)) {
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
        // A sandboxed environment is Jinja's own way to render templates users write: what they
        // can reach is limited to what the app hands over.
        let sandboxed = fixed_templates::is_sandboxed(&recv_q)
            || recv
                .alias
                .as_deref()
                .is_some_and(fixed_templates::is_sandboxed);
        if m == "from_string"
            && !sandboxed
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
        if (m == "extractall" || m == "extract")
            && recv
                .alias
                .as_deref()
                .is_some_and(|a| sinks::TAR_OPEN.contains(&a))
        {
            found = true;
            // Members picked by the caller (`members=safe_members(tar)`) or a filter refusing
            // paths outside the destination make the extraction safe.
            let members = c.arguments.find_keyword("members").is_some()
                || (m == "extractall" && c.arguments.args.len() > 1);
            let filtered = c.arguments.find_keyword("filter").is_some_and(|k| {
                string_literal(&k.value)
                    .or_else(|| self.qualify(&k.value))
                    .is_some_and(|f| sinks::TAR_SAFE_FILTERS.contains(&f.as_str()))
            });
            if !members && !filtered {
                let r = recv.clone();
                self.sink(SinkKind::Path, &r, range, &name, None);
            }
        }
        if m.starts_with("setopt")
            && c.arguments.args.first().is_some_and(|o| {
                matches!(o, Expr::Attribute(a) if a.attr.as_str() == "URL")
                    && (self.qualify(o).as_deref() == Some("pycurl.URL")
                        || recv
                            .alias
                            .as_deref()
                            .is_some_and(|a| a.starts_with("pycurl.")))
            })
        {
            found = true;
            if let Some(v) = call.arg(1, "value").cloned() {
                self.sink(SinkKind::Ssrf, &v, range, &name, None);
            }
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
    pub(super) fn file_object_arg(&self, c: &ast::ExprCall, pos: usize, kw: &str) -> bool {
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
    pub(super) fn module_safe_parser(&self, c: &ast::ExprCall) -> bool {
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
    pub(super) fn nosql(&mut self, filter: &Val, range: TextRange, name: &str) {
        if let Shape::Map(items) = &filter.shape {
            for (k, v) in items.iter() {
                if k == "$where" {
                    let n = format!("{name} `$where`");
                    self.sink(SinkKind::Nosql, v, range, &n, None);
                } else if sinks::MONGO_LITERAL_OPERATORS.contains(&k.as_str()) {
                    // `{"taskid": {"$in": ids}}`: the operand is compared as a value, so an
                    // object in it is matched literally, never read as an operator.
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

    pub(super) fn nosql_structured(&mut self, v: &Val, range: TextRange, name: &str) {
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
