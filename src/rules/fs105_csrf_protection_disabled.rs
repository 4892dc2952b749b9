//! FS105 csrf-protection-disabled.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, CmpOp, Expr, ExprCall, Stmt, UnaryOp};
use ruff_text_size::Ranged;

use super::helpers::{in_cli_command, is_constant, is_falsy_literal, keyword, last_name};
use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::access::{library_decorator, Library, Verdict};
use crate::python::checker::{Checker, ConfigWrite};
use crate::python::flask::{AppFacts, CsrfOffInView, Route};
use crate::python::inventory::RouteEntry;

pub const RULE: Rule = Rule {
    id: "FS105",
    name: "csrf-protection-disabled",
    severity: Severity::High,
    cwe: &[352],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "CSRF protection is switched off",
    fix: "Keep `WTF_CSRF_ENABLED` on, do not exempt state-changing views, and send the CSRF token from forms and JavaScript clients.",
    help: "Without a CSRF token check, any site the victim visits can submit forms to your app with the victim's cookies: changing their e-mail, password or making purchases.",
    bad: "app.config[\"WTF_CSRF_ENABLED\"] = False",
    good: "csrf = CSRFProtect(app)",
};

/// `WTF_CSRF_ENABLED = False`, `WTF_CSRF_CHECK_DEFAULT = False`. Not in the development arm
/// of a run-time choice between config classes: a deployment runs the other arm.
pub fn check_config(cx: &mut Checker, write: &ConfigWrite) {
    if write.development_alternative {
        return;
    }
    if matches!(
        write.key,
        "WTF_CSRF_ENABLED" | "WTF_CSRF_CHECK_DEFAULT" | "CSRF_ENABLED"
    ) && is_falsy_literal(write.value)
    {
        cx.facts.csrf_switched_off = true;
        if write.key == "WTF_CSRF_CHECK_DEFAULT" {
            let location = cx.location(write.range);
            cx.facts.csrf_check_default_off.push(location);
        }
        cx.report_msg(
            &RULE,
            write.range,
            format!("`{}` switches CSRF protection off", write.key),
        );
    }
}

/// `@csrf.exempt` on a state-changing view.
pub fn check_routes(cx: &mut Checker, f: &ast::StmtFunctionDef, routes: &[Route]) {
    if !routes
        .iter()
        .any(|r| r.csrf_exempt && r.is_state_changing())
    {
        return;
    }
    let exempt = f.decorator_list.iter().find(|d| {
        cx.sem
            .resolve(&d.expression)
            .is_some_and(|q| q.ends_with(".exempt"))
    });
    if let Some(d) = exempt {
        if json_body_only(cx, f)
            || secret_gated(cx, f)
            || answers_oauth_clients(cx, f)
            || verifies_webauthn(cx, f)
        {
            let view = cx.location(f.name.range());
            cx.facts.unforgeable_views.push(view);
        }
        let message = format!(
            "`{}` accepts state-changing requests with CSRF protection exempted",
            f.name
        );
        if !cx.defer_to_view(d.range(), message.clone(), true) {
            cx.report_msg(&RULE, d.range(), message);
        }
    }
}

/// Whether a view takes nothing from the request but a JSON body read without `force=True`
/// (`request.get_json()`, `request.json`) and request metadata, and no identity the browser
/// attaches (session, cookies, `current_user`, `g`). A cross-site HTML form can send only
/// form-encoded or `text/plain` bodies, which `get_json` refuses (`silent=True` only turns the
/// refusal into `None`); a JSON content type cross-site needs a CORS preflight. URL variables
/// and query arguments can be forged, so a view with parameters or reading `args` is not one.
fn json_body_only(cx: &Checker, f: &ast::StmtFunctionDef) -> bool {
    if !f.parameters.is_empty() {
        return false;
    }
    let mut reads = JsonReads {
        cx,
        json: false,
        other: false,
    };
    reads.visit_body(&f.body);
    reads.json && !reads.other
}

/// Whether the view, at the top level of its body, refuses every request that lacks a secret:
/// `if webhook_hash != expected_hash: abort(404)`, `if not hmac.compare_digest(sig, mac):
/// abort(403)`. A forged cross-site request cannot carry a secret its author does not know, so
/// such a view (a webhook) has nothing a CSRF token would add. A secret read from a cookie is
/// no proof: the browser attaches it to the forged request too.
fn secret_gated(cx: &Checker, f: &ast::StmtFunctionDef) -> bool {
    let params: Vec<&str> = f.parameters.iter().map(|p| p.name().as_str()).collect();
    let from_request = |e: &Expr| {
        let (mut found, mut cookie) = (false, false);
        cx.any_subexpr(e, &mut |cx, sub| {
            let q = cx.sem.resolve(sub);
            cookie |= q
                .as_deref()
                .is_some_and(|q| q.starts_with("flask.request.cookies"));
            found |= matches!(sub, Expr::Name(n) if params.contains(&n.id.as_str()))
                || q.is_some_and(|q| q.starts_with("flask.request."));
        });
        found && !cookie
    };
    let secret_named = |e: &Expr| last_name(e).is_some_and(|n| names_secret(&n));
    let gates = |test: &Expr| match test {
        Expr::Compare(c) if c.ops.len() == 1 && c.ops[0] == CmpOp::NotEq => {
            let (a, b) = (&*c.left, &c.comparators[0]);
            !is_constant(a)
                && !is_constant(b)
                && (from_request(a) || from_request(b))
                && (secret_named(a) || secret_named(b))
        }
        Expr::UnaryOp(u) if u.op == UnaryOp::Not => matches!(&*u.operand, Expr::Call(c)
            if matches!(cx.sem.resolve(&c.func).as_deref(),
                Some("hmac.compare_digest" | "secrets.compare_digest"))
                && c.arguments.args.iter().any(from_request)),
        _ => false,
    };
    let refuses = |body: &[Stmt]| match body.last() {
        Some(Stmt::Raise(_) | Stmt::Return(_)) => true,
        Some(Stmt::Expr(e)) => matches!(&*e.value, Expr::Call(c)
            if last_name(&c.func).is_some_and(|n| n == "abort")),
        _ => false,
    };
    f.body
        .iter()
        .any(|s| matches!(s, Stmt::If(i) if gates(&i.test) && refuses(&i.body)))
}

/// Whether the view answers with an OAuth authorization server's client endpoint (authlib's
/// and oauthlib's servers name them alike): `authorization.create_token_response()`,
/// `create_endpoint_response("revocation")` (token, introspection, revocation, client
/// registration, userinfo). Those authenticate the client by
/// its own credentials or tokens in the request, never by the user's cookie, and their answer is
/// unreadable cross-site; RFC 6749 has clients call them with no CSRF token. (The
/// authorization endpoint, which acts on the user's session, is not one of them.)
fn answers_oauth_clients(cx: &Checker, f: &ast::StmtFunctionDef) -> bool {
    calls_named(cx, f, &|name| {
        matches!(
            name,
            "create_token_response"
                | "create_endpoint_response"
                | "create_revocation_response"
                | "create_introspect_response"
                | "create_userinfo_response"
        )
    })
}

/// Whether the view verifies a WebAuthn assertion or registration (py_webauthn's
/// `verify_authentication_response` / `verify_registration_response`, python-fido2's
/// `authenticate_complete` / `register_complete`). The browser signs the page's origin into
/// what the authenticator returns and the check refuses any other origin, so a cross-site page
/// cannot produce what such a view accepts.
fn verifies_webauthn(cx: &Checker, f: &ast::StmtFunctionDef) -> bool {
    calls_named(cx, f, &|name| {
        matches!(
            name,
            "verify_authentication_response"
                | "verify_registration_response"
                | "authenticate_complete"
                | "register_complete"
        )
    })
}

/// Whether `f`, or a function of the same module it calls by name (`return verify_response()`),
/// calls a function or method whose name `wanted` accepts. Names, not resolution: the helpers
/// often import the library inside their own body.
fn calls_named(cx: &Checker, f: &ast::StmtFunctionDef, wanted: &dyn Fn(&str) -> bool) -> bool {
    struct Calls<'w, 'a> {
        wanted: &'w dyn Fn(&str) -> bool,
        helpers: Vec<&'a str>,
        found: bool,
    }
    impl<'a> Visitor<'a> for Calls<'_, 'a> {
        fn visit_expr(&mut self, e: &'a Expr) {
            if let Expr::Call(c) = e {
                match &*c.func {
                    Expr::Attribute(a) => self.found |= (self.wanted)(a.attr.as_str()),
                    Expr::Name(n) => {
                        self.found |= (self.wanted)(n.id.as_str());
                        self.helpers.push(n.id.as_str());
                    }
                    _ => {}
                }
            }
            if !self.found {
                visitor::walk_expr(self, e);
            }
        }
    }
    let mut calls = Calls {
        wanted,
        helpers: Vec::new(),
        found: false,
    };
    calls.visit_body(&f.body);
    let helpers = std::mem::take(&mut calls.helpers);
    for stmt in cx.file.body() {
        if calls.found {
            break;
        }
        if let Stmt::FunctionDef(h) = stmt {
            if h.name.as_str() != f.name.as_str() && helpers.contains(&h.name.as_str()) {
                calls.visit_body(&h.body);
            }
        }
    }
    calls.found
}

/// `webhook_hash`, `signature`, `api_token`: a name whose last word names a secret value.
fn names_secret(name: &str) -> bool {
    crate::python::words::words(name).last().is_some_and(|w| {
        matches!(
            w.as_str(),
            "hash" | "token" | "secret" | "signature" | "sig" | "digest" | "hmac" | "key"
        )
    })
}

/// What [`json_body_only`] finds in a view's body.
struct JsonReads<'c, 'a> {
    cx: &'c Checker<'a>,
    json: bool,
    other: bool,
}

/// Request attributes that carry no data a cross-site form chooses, besides the JSON body.
const REQUEST_METADATA: &[&str] = &[
    "method",
    "headers",
    "is_json",
    "mimetype",
    "content_type",
    "content_length",
    "remote_addr",
    "access_route",
    "endpoint",
    "url_rule",
    "blueprint",
    "scheme",
    "is_secure",
];

impl<'x> Visitor<'x> for JsonReads<'_, '_> {
    fn visit_expr(&mut self, e: &'x Expr) {
        if self.other {
            return;
        }
        match e {
            Expr::Call(c) if self.cx.sem.is(&c.func, "flask.request.get_json") => {
                // `get_json(force, silent, cache)`: only `force` accepts other content types.
                let force = c.arguments.args.first().or_else(|| keyword(c, "force"));
                self.other |= force.is_some_and(|v| !is_falsy_literal(v));
            }
            Expr::Attribute(_) | Expr::Name(_) => {
                let Some(q) = self.cx.sem.resolve(e) else {
                    return visitor::walk_expr(self, e);
                };
                if let Some(rest) = q.strip_prefix("flask.request.") {
                    let first = rest.split('.').next().unwrap_or_default();
                    if matches!(first, "get_json" | "json") {
                        self.json = true;
                    } else {
                        self.other |= !REQUEST_METADATA.contains(&first);
                    }
                    // The chain's inner links are the same read.
                    return;
                }
                // The whole request handed on, or an identity the browser sends by itself.
                self.other |= q == "flask.request"
                    || q == "flask.g"
                    || q.starts_with("flask.g.")
                    || crate::python::credentials::source_of(&q)
                        .is_some_and(|s| s != crate::python::credentials::Source::Header);
            }
            _ => {}
        }
        visitor::walk_expr(self, e);
    }
}

/// `FlaskForm(meta={"csrf": False})` and `csrf.exempt(blueprint)`; notes `csrf.protect()`.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    if let Expr::Attribute(attr) = &*call.func {
        if attr.attr.as_str() == "protect" && call.arguments.is_empty() {
            // The receiver is often a parameter (`def view(csrf): csrf.protect()`), so its name
            // counts.
            let named_csrf =
                last_name(&attr.value).is_some_and(|n| n.to_ascii_lowercase().contains("csrf"));
            cx.facts.csrf_protect_called |=
                named_csrf || crate::python::flask::is_csrf_extension(callee);
        }
    }
    if let Some(Expr::Dict(meta)) = keyword(call, "meta") {
        // A command fills its form from its own arguments: there is no request to forge. A form
        // built `from_json` takes a JSON body, which a cross-site form cannot send without a
        // CORS preflight (Flask reads `request.json` only under a JSON content type).
        let from_json = matches!(&*call.func, Expr::Attribute(a) if a.attr.as_str() == "from_json");
        if !from_json && !in_cli_command(cx) {
            csrf_meta_off(cx, meta);
        }
    }
    if callee.ends_with(".exempt") && crate::python::flask::is_csrf_extension(callee) {
        if let Some(arg) = call.arguments.args.first() {
            if cx.sem.is(arg, "flask.Blueprint") {
                cx.report_msg(
                    &RULE,
                    call.range(),
                    "A whole blueprint is exempted from CSRF protection".into(),
                );
            }
        }
    }
}

/// `meta={"csrf": False}` given to a form a view may fill from a browser's post.
fn csrf_meta_off(cx: &mut Checker, meta: &ast::ExprDict) {
    for item in &meta.items {
        let is_csrf = item
            .key
            .as_ref()
            .and_then(crate::python::flask::string_literal)
            .is_some_and(|k| k == "csrf");
        if is_csrf && is_falsy_literal(&item.value) {
            let message =
                "The form is created with `meta={\"csrf\": False}`: its CSRF token is not checked"
                    .to_string();
            let range = item.value.range();
            if !cx.defer_to_view(range, message.clone(), false) {
                cx.report_msg(&RULE, range, message);
            }
        }
    }
}

/// `class Meta: csrf = False` inside a form class.
pub fn check_class(cx: &mut Checker, class: &ast::StmtClassDef) {
    for stmt in &class.body {
        let Stmt::ClassDef(meta) = stmt else { continue };
        if meta.name.as_str() != "Meta" {
            continue;
        }
        for s in &meta.body {
            if let Stmt::Assign(a) = s {
                let is_csrf = a
                    .targets
                    .iter()
                    .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == "csrf"));
                if is_csrf && is_falsy_literal(&a.value) {
                    cx.report_msg(
                        &RULE,
                        s.range(),
                        format!(
                            "Form `{}` switches its CSRF token check off (`Meta.csrf = False`)",
                            class.name
                        ),
                    );
                }
            }
        }
    }
}

/// Withdraws `WTF_CSRF_CHECK_DEFAULT = False` when some view calls `csrf.protect()`: Flask-WTF
/// documents the pair as the way to check tokens on chosen views only (the others being APIs
/// for clients that hold no token). The views left out are FS106/FS305's business.
pub fn withdraw_selective_protection(
    findings: &mut Vec<crate::finding::Finding>,
    facts: &AppFacts,
) {
    if facts.csrf_protect_called {
        super::withdraw_at(findings, &RULE, &facts.csrf_check_default_off);
    }
}

/// The forms and exemptions of views held back by the walk: reported unless the view is
/// reached only by requests carrying no credential the browser sends by itself (its guards
/// read a header the client's code sets, or nobody at all). Without the route inventory, or
/// for code no route reaches, every one is reported.
pub fn check_app(facts: &AppFacts, routes: Option<&[RouteEntry]>, out: &mut Vec<AppFinding>) {
    for off in &facts.csrf_off_in_views {
        let unforgeable = facts.unforgeable_views.contains(&off.view);
        let entries: Vec<&RouteEntry> = routes
            .unwrap_or_default()
            .iter()
            .filter(|e| e.location.path == off.view.path && e.location.start == off.view.start)
            .collect();
        if !entries.is_empty()
            && !entries
                .iter()
                .any(|e| credential_rides_along(facts, off, e, unforgeable))
        {
            continue;
        }
        out.push(AppFinding {
            flow: Vec::new(),
            related: Vec::new(),
            rule: &RULE,
            location: off.location.clone(),
            message: off.message.clone(),
        });
    }
}

/// Whether a credential the browser attaches by itself (cookie session, login extension,
/// challenged HTTP authentication) may reach the handler: read by the view itself or by one of
/// its guards, or a guard not followed. Only a view that shows where its caller's identity comes
/// from (a guard or the body reading a header) is cleared: an unguarded view may learn who is
/// asking through helpers not followed here. A guard that demands a header credential (a
/// bearer-token protector) clears the view whatever else reads cookies, as does being a view a
/// cross-site form cannot drive (`unforgeable`: it takes only a JSON body, demands a secret or
/// serves OAuth clients): the forged request lacks the header, the secret or the JSON body.
fn credential_rides_along(
    facts: &AppFacts,
    off: &CsrfOffInView,
    entry: &RouteEntry,
    unforgeable: bool,
) -> bool {
    let demands_header =
        |name: &String| crate::python::credentials::demands_header_credential(name);
    if unforgeable || entry.guards.iter().flatten().any(demands_header) {
        return false;
    }
    let challenged = facts.http_auth_challenge;
    let mut reads = off.reads;
    for guard in &entry.guards {
        let Some(name) = guard else { return true };
        match facts.credential_readers.iter().find(|(f, _)| f == name) {
            Some((_, r)) => reads.merge(*r),
            None if guard_may_read_credentials(facts, name) => return true,
            None => {}
        }
    }
    reads.rides_along(challenged) || !(reads.header || reads.basic)
}

/// Whether the decorator or hook `name`, which reads no credential itself, may still learn who
/// is asking: a project guard that asks a helper, or a login or token extension's decorator
/// (those may keep their credential in a cookie).
fn guard_may_read_credentials(facts: &AppFacts, name: &str) -> bool {
    match facts.access.functions.iter().find(|f| f.function == name) {
        Some(f) => f.as_decorator != Verdict::Open || f.as_hook != Verdict::Open,
        None => !matches!(library_decorator(Some(name), &[], false), Library::Open),
    }
}
