//! FS108 talisman-weakened.

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

use super::helpers::{is_falsy_literal, is_none_value, keyword, literal_text};
use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;
use crate::python::flask::{AppFacts, TalismanOption, TalismanOptionKind};

pub const RULE: Rule = Rule {
    id: "FS108",
    name: "talisman-weakened",
    severity: Severity::Medium,
    cwe: &[693],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Flask-Talisman is configured with a protection switched off",
    fix: "Keep Talisman's defaults: HTTPS forced, HSTS on, a CSP without 'unsafe-inline'/'unsafe-eval'/'*', frames denied, secure session cookies. Use nonces (`content_security_policy_nonce_in`) for inline scripts.",
    help: "Talisman's value is its defaults. `force_https=False`, `strict_transport_security=False`, a CSP allowing inline scripts or any origin, or framing allowed each reopen the attack Talisman was added to stop.",
    bad: "Talisman(app, force_https=False, content_security_policy=None)",
    good: "Talisman(app, content_security_policy={\"default-src\": \"'self'\"})",
};

/// Weakening keyword arguments of `Talisman(...)` / `talisman.init_app(...)`.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    if callee != "flask_talisman.Talisman" && callee != "flask_talisman.Talisman.init_app" {
        return;
    }
    let hsts_on = !call.arguments.keywords.iter().any(|k| {
        k.arg
            .as_ref()
            .is_some_and(|a| a == "strict_transport_security")
            && is_falsy_literal(&k.value)
    });
    // A call on a `Talisman` instance with no app (`@talisman(force_https=False)` on one view)
    // sets that view's options only; the app-wide call is what decides how the app is served.
    let per_view = call.arguments.args.is_empty() && keyword(call, "app").is_none();
    for kw in &call.arguments.keywords {
        let Some(arg) = &kw.arg else { continue };
        let v = &kw.value;
        // Plain HTTP allowed for one view (a health check probed over HTTP) leaves every other
        // view redirected and HSTS sent app-wide.
        if per_view && arg == "force_https" {
            continue;
        }
        // Talisman sets `SESSION_COOKIE_SECURE`/`HTTPONLY` only when these options are true:
        // false leaves the app's own setting (Flask's default is HttpOnly, not Secure). Whether
        // the app's setting is weak is known once every config write is in; FS104 reports an
        // app that sets either false.
        let deferred = match arg.as_str() {
            "force_https" if is_falsy_literal(v) => Some((
                TalismanOptionKind::ForceHttpsOff { hsts_on },
                "`force_https=False` serves the app over plain HTTP",
            )),
            "session_cookie_secure" if is_falsy_literal(v) => Some((
                TalismanOptionKind::CookieSecureOff,
                "`session_cookie_secure=False` leaves the session cookie without `Secure`, and the app does not set `SESSION_COOKIE_SECURE` itself",
            )),
            _ => None,
        };
        if let Some((kind, problem)) = deferred {
            cx.facts.talisman_options.push(TalismanOption {
                location: cx.location(kw.range()),
                message: format!("Talisman weakened: {problem}"),
                kind,
            });
            continue;
        }
        let problem = match arg.as_str() {
            "strict_transport_security" if is_falsy_literal(v) => {
                "`strict_transport_security=False` turns HSTS off".to_string()
            }
            "content_security_policy" if is_none_value(v) || is_falsy_literal(v) || is_empty(v) => {
                "`content_security_policy` is switched off".to_string()
            }
            "content_security_policy" => match permissive_source(v) {
                Some(src) => format!(
                    "the Content-Security-Policy allows `{src}`, which lets injected scripts run"
                ),
                None => continue,
            },
            "frame_options" => match literal_text(v) {
                Some(f) if f.to_ascii_uppercase().starts_with("ALLOW") => {
                    format!("`frame_options=\"{f}\"` lets other sites frame the app (clickjacking)")
                }
                _ if is_none_value(v) => {
                    "`frame_options=None` lets other sites frame the app (clickjacking)".to_string()
                }
                _ => continue,
            },
            _ => continue,
        };
        cx.report_msg(&RULE, kw.range(), format!("Talisman weakened: {problem}"));
    }
}

fn is_empty(v: &Expr) -> bool {
    match v {
        Expr::Dict(d) => d.items.is_empty(),
        Expr::StringLiteral(s) => s.value.to_str().trim().is_empty(),
        _ => false,
    }
}

/// The first permissive source in a CSP given as a string or a dict of directives.
fn permissive_source(v: &Expr) -> Option<String> {
    let mut texts = Vec::new();
    collect_strings(v, &mut texts);
    texts.iter().find_map(|t| {
        t.split([' ', ';', ','])
            .map(|tok| tok.trim())
            .find(|tok| {
                matches!(
                    *tok,
                    "'unsafe-inline'" | "'unsafe-eval'" | "*" | "unsafe-inline" | "unsafe-eval"
                )
            })
            .map(str::to_string)
    })
}

fn collect_strings(v: &Expr, out: &mut Vec<String>) {
    match v {
        Expr::StringLiteral(s) => out.push(s.value.to_str().to_string()),
        Expr::Dict(d) => d.items.iter().for_each(|i| collect_strings(&i.value, out)),
        Expr::List(l) => l.elts.iter().for_each(|e| collect_strings(e, out)),
        Expr::Tuple(t) => t.elts.iter().for_each(|e| collect_strings(e, out)),
        _ => {}
    }
}

/// The options whose weakness depends on the app: `session_cookie_secure=False` when the app
/// does not make the cookie `Secure` itself (and its whole configuration was read);
/// `force_https=False` unless HSTS stays on behind a reverse proxy (`ProxyFix`), where the proxy
/// redirects plain HTTP and browsers, once told by HSTS, never try HTTP again.
pub fn check_app(facts: &AppFacts, out: &mut Vec<AppFinding>) {
    for option in &facts.talisman_options {
        let weak = match option.kind {
            TalismanOptionKind::CookieSecureOff => {
                !facts.session_cookie_secure_set && !facts.config_unseen
            }
            TalismanOptionKind::ForceHttpsOff { hsts_on } => !(hsts_on && facts.behind_proxy),
        };
        if weak {
            out.push(AppFinding {
                flow: Vec::new(),
                related: Vec::new(),
                rule: &RULE,
                location: option.location.clone(),
                message: option.message.clone(),
            });
        }
    }
}
