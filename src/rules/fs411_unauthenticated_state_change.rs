//! FS411 unauthenticated-state-change (app rule): a state-changing view anyone can call, in an
//! app that requires authentication for its other state-changing views.

use std::collections::HashSet;

use super::helpers::words;
use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::{RelatedLocation, Severity};
use crate::python::flask::STATE_CHANGING;
use crate::python::inventory::{Auth, RouteEntry};
use crate::python::view_body::Write;

pub const RULE: Rule = Rule {
    id: "FS411",
    name: "unauthenticated-state-change",
    severity: Severity::Medium,
    cwe: &[306],
    kind: RuleKind::App,
    precision: Precision::Medium,
    suite: Suite::Audit,
    message: "A state-changing view has no authentication while the app's other state-changing views require it",
    fix: "Protect the view like its siblings (`@login_required`, `@auth_required`, `@jwt_required()` or the app's own guard), or exempt it deliberately if it is public by design.",
    help: "When an app authenticates its POST/PUT/PATCH/DELETE views, one that forgot the decorator lets anyone change data: create, edit or delete records other users see. A GET view that writes to the database, puts a user's identity into the session or writes files changes state too (and a link or image tag is enough to trigger it). Views that are public by nature (login, logout, registration, password reset, OAuth callbacks, webhooks, health checks) and routes whose URL carries a token are not reported; protection flaskscan cannot follow (`unknown` in `flaskscan routes`) is never reported.",
    bad: "@app.route(\"/posts/<int:id>/edit\", methods=[\"POST\"])\n@login_required\ndef edit_post(id): ...\n\n@app.route(\"/posts/<int:id>/delete\", methods=[\"POST\"])\ndef delete_post(id): ...",
    good: "@app.route(\"/posts/<int:id>/edit\", methods=[\"POST\"])\n@login_required\ndef edit_post(id): ...\n\n@app.route(\"/posts/<int:id>/delete\", methods=[\"POST\"])\n@login_required\ndef delete_post(id): ...",
};

/// Once per view: state-changing handlers whose auth is `none` (never `unknown`), when at least
/// one other state-changing handler of the project requires authentication. A handler changes
/// state when it accepts POST/PUT/PATCH/DELETE, or when its body writes on GET (rows, a signed-in
/// identity in the session, files).
pub fn check(routes: &[RouteEntry], out: &mut Vec<AppFinding>) {
    let changing: Vec<&RouteEntry> = routes.iter().filter(|r| changes_state(r)).collect();
    let authenticated: Vec<&RouteEntry> = changing
        .iter()
        .copied()
        .filter(|r| r.auth == Auth::Required)
        .collect();
    // An app without any authentication is public by design: nothing to compare with.
    if authenticated.is_empty() {
        return;
    }
    let mut seen = HashSet::new();
    for r in changing.iter().filter(|r| r.auth == Auth::None) {
        if public_by_nature(r) || url_carries_credential(&r.rule) {
            continue;
        }
        // A view with several routes is reported once, at its `def`.
        if !seen.insert((r.location.path.clone(), r.location.start.line)) {
            continue;
        }
        out.push(finding(r, r.nearest(&authenticated)));
    }
}

/// The finding for `r`, compared with its authenticated `sibling`.
fn finding(r: &RouteEntry, sibling: &RouteEntry) -> AppFinding {
    let guard = sibling
        .protections
        .first()
        .map(|p| format!(" by `{}` ({}:{})", p.name, p.path, p.line))
        .unwrap_or_default();
    let mut related = Vec::new();
    let what = match get_write(r) {
        Some(w) => {
            related.push(RelatedLocation {
                location: w.location.clone(),
                message: format!("`{}` {} here", r.view_name(), w.kind.describe()),
            });
            format!(
                "{} on GET (`{}`, line {})",
                w.kind.describe(),
                w.text,
                w.location.start.line
            )
        }
        None => format!("accepts {}", state_methods(r)),
    };
    related.push(RelatedLocation {
        location: sibling.location.clone(),
        message: format!("`{}` requires authentication", sibling.view_name()),
    });
    AppFinding {
        flow: Vec::new(),
        related,
        rule: &RULE,
        location: r.location.clone(),
        message: format!(
            "{} {} without authentication, while `{}` ({}:{}) is protected{}",
            r.describe(),
            what,
            sibling.view_name(),
            sibling.path,
            sibling.line,
            guard,
        ),
    }
}

/// Whether the handler accepts a state-changing method or writes on GET.
fn changes_state(r: &RouteEntry) -> bool {
    accepts_state_change(r) || get_write(r).is_some()
}

fn accepts_state_change(r: &RouteEntry) -> bool {
    r.methods
        .iter()
        .any(|m| STATE_CHANGING.contains(&m.as_str()))
}

/// The first write of a handler that accepts only safe methods (GET, HEAD, OPTIONS).
fn get_write(r: &RouteEntry) -> Option<&Write> {
    if accepts_state_change(r) {
        return None;
    }
    r.body.as_ref()?.writes.first()
}

fn state_methods(r: &RouteEntry) -> String {
    let methods: Vec<&str> = r
        .methods
        .iter()
        .map(String::as_str)
        .filter(|m| STATE_CHANGING.contains(m))
        .collect();
    methods.join("/")
}

/// Words of a view's name or URL that mark it public by nature: signing in and out, creating
/// an account, recovering a password, identity-provider callbacks, webhooks (called by another
/// service, which no user login can protect), health checks, and preferences a visitor keeps in
/// their own session (language, theme).
const PUBLIC_WORDS: &[&str] = &[
    "login",
    "logon",
    "signin",
    "logout",
    "logoff",
    "signout",
    "signup",
    "register",
    "registration",
    "forgot",
    "oauth",
    "oauth2",
    "sso",
    "saml",
    "oidc",
    "openid",
    "callback",
    "authorize",
    "webhook",
    "webhooks",
    "health",
    "healthz",
    "healthcheck",
    "readyz",
    "livez",
    "ping",
    "language",
    "locale",
    "lang",
    "theme",
];

/// Two-word spellings (`sign_in`, `log-out`, `SignUp`) joined before matching.
const PUBLIC_PAIRS: &[(&str, &str)] = &[
    ("log", "in"),
    ("log", "on"),
    ("sign", "in"),
    ("log", "out"),
    ("log", "off"),
    ("sign", "out"),
    ("sign", "up"),
    ("health", "check"),
];

/// Whether the view's function, endpoint or URL names it as public by nature (names are hints
/// the inventory gives; what the view does is not read here).
fn public_by_nature(r: &RouteEntry) -> bool {
    let texts = [r.view_name(), r.endpoint.as_str(), r.rule.as_str()];
    texts.iter().any(|t| {
        let words = words(t);
        let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
        has(PUBLIC_WORDS)
            // `reset` alone may be `reset_database`: only a password's reset is public.
            || (has(&["password", "passwd", "pwd"]) && has(&["reset", "recover", "recovery", "lost"]))
            || words
                .windows(2)
                .any(|p| PUBLIC_PAIRS.contains(&(p[0].as_str(), p[1].as_str())))
    })
}

/// Whether a URL variable holds a credential (`/kobo/<auth_token>/...`, `/share/<key>`): the
/// route authenticates by its URL, so a login decorator is not what it lacks.
fn url_carries_credential(rule: &str) -> bool {
    rule.split('<').skip(1).any(|var| {
        let name = var.split('>').next().unwrap_or("");
        let name = name.rsplit(':').next().unwrap_or(name);
        words(name).iter().any(|w| {
            matches!(
                w.as_str(),
                "token" | "key" | "apikey" | "secret" | "signature" | "sig" | "hmac"
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_identifiers_and_urls() {
        assert_eq!(words("HandleSignUp"), ["handle", "sign", "up"]);
        assert_eq!(words("/auth/log-in"), ["auth", "log", "in"]);
        assert_eq!(words("api.reset_password"), ["api", "reset", "password"]);
    }

    #[test]
    fn credentials_in_urls() {
        assert!(url_carries_credential("/kobo/<auth_token>/v1/x"));
        assert!(url_carries_credential("/share/<string:api_key>"));
        assert!(!url_carries_credential("/posts/<int:id>/delete"));
        // `keyword` is not `key`.
        assert!(!url_carries_credential("/search/<keyword>"));
    }
}
