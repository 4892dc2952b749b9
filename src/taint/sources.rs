//! Taint sources: Flask request data, route path parameters, the session and exception details.

use ruff_python_ast as ast;

use super::value::{Origin, SinkKind, ALL};

/// `request` attributes that hold client-controlled data.
const REQUEST_DATA: &[&str] = &[
    "args",
    "form",
    "values",
    "json",
    "get_json",
    "data",
    "get_data",
    "cookies",
    "headers",
    "files",
    "view_args",
    "authorization",
    "query_string",
    "stream",
    "input_stream",
    "referrer",
    "user_agent",
    "environ",
    "access_route",
    "if_match",
    "accept_mimetypes",
];

/// `request` attributes derived from the URL: dangerous where reflected into HTML, and where
/// any text is code (a template, SQL, a shell command, `eval`), since an attacker who sends the
/// request himself writes what he likes into the path (`/{{7*7}}`). Elsewhere (redirects, file
/// names, outbound URLs, the session) the URL of the current request is the app's own address.
/// (`script_root` is not one: it is the mount point the deployment or a trusted proxy sets; nor
/// are `host_url`/`url_root`: their host is the Host header, which a victim's browser sets to the
/// site itself, so a third-party page cannot choose it.)
const REQUEST_URL: &[&str] = &["path", "full_path", "url", "base_url"];

/// The sink kinds where the request URL is attacker-written code (see [`REQUEST_URL`]).
const URL_DANGEROUS: &[SinkKind] = &[
    SinkKind::Xss,
    SinkKind::Template,
    SinkKind::Code,
    SinkKind::Command,
    SinkKind::Sql,
    SinkKind::Nosql,
    SinkKind::Ldap,
    SinkKind::Xpath,
];

/// `request` attributes that read the request body.
const REQUEST_BODY: &[&str] = &[
    "form",
    "files",
    "json",
    "get_json",
    "data",
    "get_data",
    "stream",
    "input_stream",
];

/// A JSON body: a cross-site page can only make a victim's browser navigate with a form, and a
/// form cannot send `application/json`, which `request.json`/`get_json()` require (a `fetch`
/// with it needs a CORS preflight and its response is never rendered as a page). So the body
/// reaches no reflected-XSS sink, unless parsed whatever its type (`get_json(force=True)`).
const JSON_BODY: &[&str] = &["json", "get_json"];

/// Request data a cross-site page cannot choose for a victim's browser, so it is no reflected-XSS
/// source: a page that makes the browser navigate (a link, a form, a redirect) sets only the URL,
/// the body and the Referer; its own user agent, `Accept` and `If-Match` headers and the proxy's
/// `X-Forwarded-For` are the browser's and the network's (a `fetch` that sets headers needs a
/// CORS preflight, and its response is never rendered as a page). Every other sink still counts
/// them: whoever sends his own request writes what he likes there.
const NOT_CROSS_SITE: &[&str] = &["user_agent", "access_route", "if_match", "accept_mimetypes"];

/// Headers a cross-site navigation does carry with a value the attacker chooses or influences (the
/// Referer is the attacker's page; `Authorization` holds URL credentials after a challenge;
/// cookies may be planted by a sibling subdomain): read by name, every other header is browser-set
/// (see [`NOT_CROSS_SITE`]).
const CROSS_SITE_HEADERS: &[&str] = &[
    "referer",
    "origin",
    "cookie",
    "authorization",
    "content-type",
];

/// Whether a header read by name (`request.headers["User-Agent"]`, or the WSGI key
/// `HTTP_USER_AGENT`) is one a cross-site page cannot choose for a victim. Other WSGI keys
/// (`QUERY_STRING`, `PATH_INFO`) are parts of the URL.
pub fn browser_set_header(key: &str) -> bool {
    let name = match key.strip_prefix("HTTP_") {
        Some(rest) => rest.replace('_', "-"),
        None if key.contains('_') || key.bytes().all(|b| !b.is_ascii_lowercase()) => return false,
        None => key.to_string(),
    };
    !CROSS_SITE_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&name))
}

/// The Referer is set by the victim's browser to the page it came from: an attacker cannot make
/// it name a third-party site, so it does not choose where a redirect goes.
const NOT_REDIRECT_CHOSEN: &[&str] = &["referrer"];

/// WSGI environ keys the client's request fills (besides `HTTP_*` headers, `SSL_*` TLS
/// details and the server's `wsgi.*`/`werkzeug.*` objects): the request line and body
/// metadata, the peer, and what an authenticating front server took from the client.
const CLIENT_ENVIRON_KEYS: &[&str] = &[
    "QUERY_STRING",
    "PATH_INFO",
    "REQUEST_URI",
    "RAW_URI",
    "REQUEST_METHOD",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "SERVER_NAME",
    "SERVER_PROTOCOL",
    "REMOTE_ADDR",
    "REMOTE_HOST",
    "REMOTE_PORT",
    "REMOTE_USER",
    "AUTH_TYPE",
];

/// Whether a WSGI environ key read by name holds nothing the client wrote: a key the server or
/// the app's own middleware and hooks set (`environ["issuer"]` filled by an authentication hook
/// from the validated token).
pub fn server_set_environ_key(key: &str) -> bool {
    !(key.starts_with("HTTP_")
        || key.starts_with("SSL_")
        || key.starts_with("wsgi.")
        || key.starts_with("werkzeug.")
        || CLIENT_ENVIRON_KEYS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key)))
}

/// Whether a header or WSGI environ key is the Referer (see [`NOT_REDIRECT_CHOSEN`]).
pub fn is_referer_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("referer") || key.eq_ignore_ascii_case("http_referer")
}

/// A recognised source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceKind {
    pub origin: Origin,
    /// Sink kinds the data is harmless for from the start.
    pub cleared: u32,
    /// May hold objects (a JSON body) rather than strings.
    pub structured: bool,
    /// The request body (form fields, files, raw data): what a CSRF token guards.
    pub body: bool,
    /// `request.view_args`: the route's parameters, as typed by their converters.
    pub route: bool,
    /// `request.headers`/`request.environ`: read by name, a header may be browser-set (see
    /// [`browser_set_header`]).
    pub header: bool,
    /// `request.environ`: read by name, a key may be one the server or the app's own hooks set
    /// (see [`server_set_environ_key`]).
    pub environ: bool,
}

/// Classifies a qualified name: `flask.request.args.get` → request data.
pub fn classify(qualified: &str) -> Option<SourceKind> {
    if let Some(rest) = qualified.strip_prefix("flask.request.") {
        let attr = rest.split('.').next().unwrap_or(rest);
        if REQUEST_DATA.contains(&attr) {
            let referer = if NOT_REDIRECT_CHOSEN.contains(&attr) {
                SinkKind::Redirect.bit()
            } else {
                0
            };
            let json = if JSON_BODY.contains(&attr) || NOT_CROSS_SITE.contains(&attr) {
                SinkKind::Xss.bit()
            } else {
                0
            };
            return Some(SourceKind {
                origin: Origin::Request,
                cleared: Origin::Request.harmless_for() | referer | json,
                structured: matches!(attr, "json" | "get_json"),
                body: REQUEST_BODY.contains(&attr),
                route: attr == "view_args",
                header: matches!(attr, "headers" | "environ"),
                environ: attr == "environ",
            });
        }
        if REQUEST_URL.contains(&attr) {
            return Some(SourceKind {
                origin: Origin::Request,
                cleared: ALL & !URL_DANGEROUS.iter().fold(0, |bits, k| bits | k.bit()),
                structured: false,
                body: false,
                route: false,
                header: false,
                environ: false,
            });
        }
        return None;
    }
    if qualified == "flask.session" || qualified.starts_with("flask.session.") {
        // The session object itself is a mapping of stored values.
        return Some(SourceKind {
            origin: Origin::Session,
            cleared: Origin::Session.harmless_for(),
            structured: true,
            body: false,
            route: false,
            header: false,
            environ: false,
        });
    }
    if matches!(
        qualified,
        "traceback.format_exc"
            | "traceback.format_exception"
            | "traceback.format_tb"
            | "traceback.format_stack"
            | "sys.exc_info"
    ) {
        return Some(SourceKind {
            origin: Origin::Exception,
            cleared: Origin::Exception.harmless_for(),
            structured: false,
            body: false,
            route: false,
            header: false,
            environ: false,
        });
    }
    None
}

/// `request.get_json(force=True)` parses a body of any content type, so a cross-site form
/// (`enctype="text/plain"`) can send it: such a body is reflectable again.
pub fn forced_json(kind: SourceKind, qualified: &str, call: &ast::ExprCall) -> SourceKind {
    let forced = qualified.ends_with(".get_json")
        && call
            .arguments
            .find_keyword("force")
            .is_some_and(|k| !matches!(&k.value, ast::Expr::BooleanLiteral(b) if !b.value));
    if !forced {
        return kind;
    }
    SourceKind {
        cleared: kind.cleared & !SinkKind::Xss.bit(),
        ..kind
    }
}

/// Converters of URL rule parameters that only let through numbers or UUIDs.
pub fn safe_converter(converter: &str) -> bool {
    matches!(converter, "int" | "float" | "uuid")
}

/// The `(converter, name)` pairs of a URL rule: `/u/<int:id>/<name>` → `("int", "id")`,
/// `("string", "name")` (Werkzeug's default converter).
fn rule_converters(rule: &str) -> Vec<(&str, &str)> {
    rule.split('<')
        .skip(1)
        .filter_map(|part| part.split('>').next())
        .filter_map(|inner| {
            let (conv, name) = match inner.split_once(':') {
                Some((c, n)) => (c.split('(').next().unwrap_or(c).trim(), n.trim()),
                None => ("string", inner.trim()),
            };
            (!name.is_empty()).then_some((conv, name))
        })
        .collect()
}

/// The `(name, dangerous)` parameters of a URL rule: `/u/<int:id>/<name>` → id safe, name not.
pub fn rule_params(rule: &str) -> Vec<(String, bool)> {
    rule_converters(rule)
        .into_iter()
        .map(|(conv, name)| (name.to_string(), !safe_converter(conv)))
        .collect()
}

/// Whether URL parameter `name` is one path segment in every rule that names it: Werkzeug's
/// `string` converter (the default) matches no `/`, so the value is one path component, as if
/// `.replace("/", "")` had run; a `path` converter (or any other) in one rule takes that away.
pub fn one_segment(rules: &[String], name: &str) -> bool {
    let mut convs = rules
        .iter()
        .flat_map(|r| rule_converters(r))
        .filter(|(_, n)| *n == name)
        .peekable();
    convs.peek().is_some() && convs.all(|(c, _)| c == "string")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_request_data() {
        assert!(classify("flask.request.args.get").is_some());
        assert!(classify("flask.request.get_json").unwrap().structured);
        assert!(classify("flask.request.method").is_none());
        let path = classify("flask.request.path").unwrap().cleared;
        for kind in [SinkKind::Xss, SinkKind::Template, SinkKind::Command] {
            assert_eq!(path & kind.bit(), 0, "{kind:?}");
        }
        for kind in [SinkKind::Redirect, SinkKind::Path, SinkKind::Ssrf] {
            assert_ne!(path & kind.bit(), 0, "{kind:?}");
        }
        assert_eq!(
            classify("flask.session.get").unwrap().origin,
            Origin::Session
        );
    }

    #[test]
    fn rule_params_know_converters() {
        assert_eq!(
            rule_params("/u/<int:id>/<name>/<path:p>"),
            vec![
                ("id".into(), false),
                ("name".into(), true),
                ("p".into(), true)
            ]
        );
    }

    #[test]
    fn one_segment_only_under_the_string_converter() {
        let rules = [
            "/f/<name>".to_string(),
            "/g/<string(length=8):name>/<path:p>".into(),
        ];
        assert!(one_segment(&rules, "name"));
        assert!(!one_segment(&rules, "p"));
        assert!(!one_segment(&rules, "missing"));
        let mixed = ["/f/<name>".to_string(), "/f/<path:name>".into()];
        assert!(!one_segment(&mixed, "name"));
    }
}
