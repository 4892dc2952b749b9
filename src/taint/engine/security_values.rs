//! FS405's flow half in the walk: predictable sources (see [`predictable`]) and the places a
//! value guards something: session values, cookies, values named like tokens, new passwords.

use super::*;

impl<'w, 'g, 'a> Analyzer<'w, 'g, 'a> {
    /// The value of a predictable call (`random.choice(...)`, `uuid.uuid1()`): what its arguments
    /// carry (a choice is one of them) and the predictable origin, located at the call.
    pub(super) fn predictable_call(&mut self, c: &ast::ExprCall, q: Option<&str>) -> Option<Val> {
        if !q.is_some_and(predictable::is_source) {
            return None;
        }
        let mut v = Val::clean();
        for a in c.arguments.args.iter() {
            let a = self.eval(a);
            v.absorb(&a.collapse());
        }
        for k in c.arguments.keywords.iter() {
            self.eval(&k.value);
        }
        let range = c.range();
        let label = short(self.fc.file.slice(range));
        add_all(
            &mut v.taints,
            &[Arc::new(Taint {
                origin: Origin::Predictable,
                field: None,
                key: (self.file(), range.start().to_u32()),
                cleared: Origin::Predictable.harmless_for(),
                flow: push_step(&None, self.file(), range, format!("source: {label}")),
                label: Arc::from(label),
                structured: false,
                audit: false,
            })],
        );
        v.constant = false;
        Some(v)
    }

    /// A call handing a value over as a security value: a keyword named like one
    /// (`url_for("reset", token=t)`, `User(api_key=k)`), a cookie's value, a new password.
    pub(super) fn security_value_call(&mut self, call: &Call, q: Option<&str>) {
        let range = call.c.range();
        for (k, v, _) in call.kwargs {
            let named = k.as_deref().filter(|k| {
                predictable::security_target(k) && !predictable::is_switch_keyword(q, k)
            });
            if let Some(k) = named {
                self.sink(
                    SinkKind::SecurityValue,
                    v,
                    range,
                    &format!("the `{k}` argument"),
                    None,
                );
            }
        }
        // A new password: what a hasher is given, or what `user.set_password(...)` sets.
        let hashed = predictable::PASSWORD_HASHERS
            .iter()
            .find(|(name, _, _)| Some(*name) == q)
            .and_then(|(_, pos, kw)| call.arg(*pos, kw));
        let set = call
            .method
            .filter(|m| predictable::PASSWORD_SETTERS.contains(m))
            .and_then(|_| call.arg(0, "password"));
        if let Some(v) = hashed.or(set) {
            self.sink(
                SinkKind::SecurityValue,
                &v.clone(),
                range,
                "a password",
                None,
            );
        }
        if call.method == Some("set_cookie") {
            self.cookie_value(call);
        }
    }

    /// `resp.set_cookie(name, value)`: the value guards something when the cookie's name says so
    /// or is computed (a per-deployment session cookie name).
    fn cookie_value(&mut self, call: &Call) {
        let name_expr = call
            .c
            .arguments
            .args
            .first()
            .or_else(|| call.c.arguments.find_keyword("key").map(|k| &k.value));
        let name = name_expr.and_then(string_literal);
        if name
            .as_deref()
            .is_some_and(|n| !predictable::security_target(n))
        {
            return;
        }
        if let Some(v) = call.arg(1, "value") {
            let what = format!("the `{}` cookie", name.as_deref().unwrap_or("session"));
            self.sink(
                SinkKind::SecurityValue,
                &v.clone(),
                call.c.range(),
                &what,
                None,
            );
        }
    }

    /// `{"reset_token": v}`: a value handed over (returned, e-mailed, stored) under a security
    /// name, like a keyword argument.
    pub(super) fn security_value_entry(&mut self, key: &str, v: &Val, range: TextRange) {
        if v.is_tainted() && predictable::security_target(key) {
            self.sink(
                SinkKind::SecurityValue,
                v,
                range,
                &format!("the `{key}` entry"),
                None,
            );
        }
    }

    /// `x.reset_token = v`, `data["otp"] = v`, `session[key] = v`: a value stored under a
    /// security name (any computed session key counts: it may be the session id's).
    pub(super) fn security_value_store(&mut self, target: &Expr, value: &Val, range: TextRange) {
        // Only predictable data can reach this sink; most stored values carry nothing.
        if !value.is_tainted() {
            return;
        }
        let name = match target {
            Expr::Attribute(a) => Some(a.attr.to_string()),
            Expr::Subscript(s) => match string_literal(&s.slice) {
                Some(k) => Some(k),
                None if self.qualify(&s.value).as_deref() == Some("flask.session") => {
                    Some("session".into())
                }
                None => None,
            },
            _ => None,
        };
        let Some(name) = name else {
            return;
        };
        if name == "session" || predictable::security_target(&name) {
            let what = short(self.fc.file.slice(target.range()));
            self.sink(
                SinkKind::SecurityValue,
                value,
                range,
                &format!("`{what}`"),
                None,
            );
        }
    }
}
