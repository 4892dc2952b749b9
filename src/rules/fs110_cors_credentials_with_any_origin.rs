//! FS110 cors-credentials-with-any-origin.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall, Stmt};
use ruff_text_size::Ranged;

use super::helpers::{dict_value, is_truthy_literal, keyword, literal_text};
use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::{Checker, ConfigWrite};
use crate::python::credentials;
use crate::python::flask::AppFacts;

pub const RULE: Rule = Rule {
    id: "FS110",
    name: "cors-credentials-with-any-origin",
    severity: Severity::High,
    cwe: &[942],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "CORS allows credentials from any origin",
    fix: "List the trusted origins explicitly (`origins=[\"https://app.example.com\"]`) when `supports_credentials=True`; never echo the request's Origin header back unchecked.",
    help: "With credentials allowed and the origin wildcarded or reflected, any web site can make authenticated requests to your API from a visitor's browser and read the answers.",
    bad: "CORS(app, supports_credentials=True)",
    good: "CORS(app, origins=[\"https://app.example.com\"], supports_credentials=True)",
};

/// `CORS(app, supports_credentials=True)` / `@cross_origin(supports_credentials=True)` with any origin.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    if !matches!(
        callee,
        "flask_cors.CORS" | "flask_cors.cross_origin" | "flask_cors.CORS.init_app"
    ) {
        return;
    }
    // `if app.debug: CORS(app, supports_credentials=True)`: a development convenience that the
    // debug switch turns on, and FS101 reports that switch where the project turns it on.
    if super::fs101_debug_mode_enabled::installed_in_debug_mode(cx) {
        return;
    }
    let call_origins = keyword(call, "origins");
    // `resources={r"/api/*": {"origins": "*", "supports_credentials": True}}`: a resource's own
    // options override the call's.
    if let Some(Expr::Dict(resources)) = keyword(call, "resources") {
        for item in &resources.items {
            let Expr::Dict(options) = &item.value else {
                continue;
            };
            let Some(creds) =
                dict_value(options, "supports_credentials").filter(|v| is_truthy_literal(v))
            else {
                continue;
            };
            judge(cx, creds, dict_value(options, "origins").or(call_origins));
        }
    }
    let Some(creds) = keyword(call, "supports_credentials").filter(|v| is_truthy_literal(v)) else {
        return;
    };
    judge(
        cx,
        creds,
        call_origins.or_else(|| keyword(call, "resources")),
    );
}

/// Reports credentials allowed with `origins` wildcarded, or defers when no origins are named.
fn judge(cx: &mut Checker, creds: &Expr, origins: Option<&Expr>) {
    match origins {
        Some(v) if is_wildcard(v) => cx.report_msg(&RULE, creds.range(), MESSAGE.into()),
        Some(_) => {}
        // flask-cors fills options a call leaves out from the app's `CORS_*` settings, and only
        // then defaults to every origin: judged once all files are read.
        None => {
            let at = cx.location(creds.range());
            cx.facts.cors_credentials_default_origins.push(at);
        }
    }
}

const MESSAGE: &str = "`supports_credentials=True` with every origin allowed: any site can make authenticated requests and read the answers";

/// `CORS_ORIGINS = [...]` in the configuration restricts calls that name no origins.
pub fn check_config(cx: &mut Checker, write: &ConfigWrite) {
    if write.key == "CORS_ORIGINS" && !is_wildcard(write.value) {
        cx.facts.cors_origins_configured = true;
    }
}

/// Credentialed CORS calls that name no origins, in an app that configures none either; Origin
/// echoes outside a view that reads a browser-attached credential, in an app that reads one
/// somewhere (a session, a cookie, Basic credentials after a challenge).
pub fn check_app(facts: &AppFacts, out: &mut Vec<AppFinding>) {
    let finding = |location: &crate::finding::Location, message: String| AppFinding {
        flow: Vec::new(),
        related: Vec::new(),
        rule: &RULE,
        location: location.clone(),
        message,
    };
    if facts.ambient_credentials || facts.http_auth_challenge {
        for location in &facts.cors_echoes_judged_by_app {
            out.push(finding(location, ECHO_MESSAGE.into()));
        }
    }
    if !facts.cors_origins_configured {
        for location in &facts.cors_credentials_default_origins {
            let message = format!("{MESSAGE} (no `origins=` here and no `CORS_ORIGINS` setting)");
            out.push(finding(location, message));
        }
    }
}

fn is_wildcard(v: &Expr) -> bool {
    match v {
        Expr::StringLiteral(s) => matches!(s.value.to_str(), "*" | ".*" | "^.*$"),
        Expr::List(l) => l.elts.iter().any(is_wildcard),
        Expr::Tuple(t) => t.elts.iter().any(is_wildcard),
        // `resources={r"/api/*": {"origins": "*"}}`
        Expr::Dict(d) => d.items.iter().any(|i| {
            let key = i.key.as_ref().and_then(literal_text);
            match key.as_deref() {
                Some("origins") => is_wildcard(&i.value),
                _ => matches!(&i.value, Expr::Dict(_)) && is_wildcard(&i.value),
            }
        }),
        _ => false,
    }
}

/// `response.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]` without a check.
pub fn check_stmt(cx: &mut Checker, stmt: &Stmt) {
    let (target, value) = match stmt {
        Stmt::Assign(a) if a.targets.len() == 1 => (&a.targets[0], &*a.value),
        _ => return,
    };
    let Expr::Subscript(s) = target else { return };
    // Most subscript assignments have other keys: test the kind before copying the text.
    let is_acao = matches!(&*s.slice, Expr::StringLiteral(_) | Expr::BytesLiteral(_))
        && literal_text(&s.slice)
            .is_some_and(|k| k.eq_ignore_ascii_case("access-control-allow-origin"));
    // Reflecting the origin without allowing credentials exposes only what any site can fetch.
    if !is_acao || !reads_origin(cx, value) || !allows_credentials(&cx.file.text) {
        return;
    }
    // An enclosing `if origin in ALLOWED` is an allow-list check.
    let checked = cx.if_tests().iter().any(|t| {
        matches!(t, Expr::Compare(c) if c.ops.iter().any(|op| matches!(op, ruff_python_ast::CmpOp::In)))
    });
    if checked {
        return;
    }
    if scope_reads_browser_credential(cx) {
        cx.report_msg(&RULE, stmt.range(), ECHO_MESSAGE.into());
    } else {
        let at = cx.location(stmt.range());
        cx.facts.cors_echoes_judged_by_app.push(at);
    }
}

const ECHO_MESSAGE: &str =
    "`Access-Control-Allow-Origin` echoes the request's Origin header: every site is trusted";

/// Whether the class (or else the function) that echoes the Origin reads a credential the
/// browser attaches by itself: the session, a cookie, a login extension's user, a TLS client
/// certificate (`request.environ["SSL_CLIENT_S_DN"]`). Credentialed CORS lets another site
/// read what such a request returns; a view that authenticates only by a header the client's
/// code sets (`X-Auth-Token`) forces a preflight the browser cannot pass without the token,
/// so echoing the Origin there is judged by what the rest of the app reads (see [`check_app`]).
fn scope_reads_browser_credential(cx: &Checker) -> bool {
    struct Reads<'c, 'a> {
        cx: &'c Checker<'a>,
        found: bool,
    }
    impl<'x> Visitor<'x> for Reads<'_, '_> {
        fn visit_expr(&mut self, e: &'x Expr) {
            if self.found {
                return;
            }
            self.found = match e {
                Expr::Call(c) if self.cx.sem.is(&c.func, "flask.request.environ.get") => c
                    .arguments
                    .args
                    .first()
                    .is_some_and(names_client_certificate),
                Expr::Subscript(s) if self.cx.sem.is(&s.value, "flask.request.environ") => {
                    names_client_certificate(&s.slice)
                }
                Expr::Attribute(_) | Expr::Name(_) => {
                    self.cx
                        .sem
                        .resolve(e)
                        .and_then(|q| credentials::source_of(&q))
                        == Some(credentials::Source::Ambient)
                }
                _ => false,
            };
            visitor::walk_expr(self, e);
        }
    }
    let mut reads = Reads { cx, found: false };
    match (cx.enclosing_class(), cx.enclosing_function()) {
        (Some(class), _) => reads.visit_body(&class.body),
        (None, Some(f)) => reads.visit_body(&f.body),
        (None, None) => {}
    }
    reads.found
}

/// A literal environ key naming the TLS client certificate.
fn names_client_certificate(key: &Expr) -> bool {
    literal_text(key).is_some_and(|k| credentials::is_client_certificate_key(&k))
}

fn allows_credentials(text: &str) -> bool {
    const HEADER: &[u8] = b"access-control-allow-credentials";
    text.as_bytes()
        .windows(HEADER.len())
        .any(|w| w.eq_ignore_ascii_case(HEADER))
}

fn reads_origin(cx: &Checker, value: &Expr) -> bool {
    let mut found = false;
    cx.any_subexpr(value, &mut |cx, e| match e {
        Expr::Attribute(_) => found |= cx.sem.is(e, "flask.request.origin"),
        Expr::Call(c) => {
            let q = cx.sem.resolve(&c.func).unwrap_or_default();
            if q == "flask.request.headers.get" || q == "flask.request.environ.get" {
                found |= c
                    .arguments
                    .args
                    .first()
                    .and_then(literal_text)
                    .is_some_and(|k| k.eq_ignore_ascii_case("origin") || k == "HTTP_ORIGIN");
            }
        }
        Expr::Subscript(s) => {
            found |= cx.sem.is(&s.value, "flask.request.headers")
                && literal_text(&s.slice).is_some_and(|k| k.eq_ignore_ascii_case("origin"));
        }
        _ => {}
    });
    found
}
