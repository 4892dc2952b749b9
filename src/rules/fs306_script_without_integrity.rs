//! FS306 script-without-integrity.

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::templates::check::TemplateCheck;

pub const RULE: Rule = Rule {
    id: "FS306",
    name: "script-without-integrity",
    severity: Severity::Medium,
    cwe: &[353, 829],
    kind: RuleKind::Template,
    precision: Precision::High,
    suite: Suite::Default,
    message: "A script or stylesheet from another origin is loaded without an `integrity` hash",
    fix: "Add `integrity=\"sha384-...\"` and `crossorigin=\"anonymous\"` (the CDN publishes the hash), or serve the file yourself with `url_for('static', filename=...)`.",
    help: "If the CDN or the path to it is compromised, the script runs with full access to your pages: the British Airways breach skimmed 380,000 cards through one tampered third-party script. Subresource Integrity makes the browser refuse a changed file.",
    bad: "<script src=\"https://cdn.example.com/lib.js\"></script>",
    good: "<script src=\"https://cdn.example.com/lib.js\" integrity=\"sha384-...\" crossorigin=\"anonymous\"></script>",
};

/// `<script src>` and stylesheet `<link href>` on another origin without `integrity`.
pub fn check(cx: &mut TemplateCheck) {
    let file = cx.file;
    for resource in &file.model.resources {
        // A debug build of a library, loaded only with a debug setting on, is not served.
        if resource.debug_only {
            continue;
        }
        // Behind `{% if sentry_dsn %}` where no view, context processor or template ever sets
        // `sentry_dsn`: the branch is dead.
        if resource.requires.iter().any(|n| cx.unsupplied.contains(n)) {
            continue;
        }
        let tag = &resource.tag;
        let attr = match tag.name.as_str() {
            "script" => "src",
            "link"
                if tag.value("rel").is_some_and(|r| {
                    r.split_ascii_whitespace()
                        .any(|t| t.eq_ignore_ascii_case("stylesheet"))
                }) =>
            {
                "href"
            }
            _ => continue,
        };
        let Some(url) = tag.value(attr) else { continue };
        let Some(host) = other_origin_host(url) else {
            continue;
        };
        if tag.value("integrity").is_some_and(|v| !v.is_empty()) || is_service_loader(url) {
            continue;
        }
        let what = if tag.name == "script" {
            "script"
        } else {
            "stylesheet"
        };
        let message = format!("{what} from `{host}` is loaded without an `integrity` hash: whoever controls that server controls your page");
        let span = tag
            .attribute(attr)
            .map_or(tag.span.clone(), |a| a.span.clone());
        cx.report(&RULE, span, message, RULE.severity, Vec::new());
    }
}

/// Versionless loaders of third-party services (maps, captchas, payments, analytics) that
/// their providers change in place and publish no hash for: an `integrity` attribute would
/// break the page on the next release, so the remedy is CSP, not SRI (ads, share buttons and
/// monitoring beacons included: their one URL serves whatever the vendor ships today). Web-font
/// and icon-font stylesheets are generated per browser (each gets the font formats it supports), so no one hash fits.
const SERVICE_LOADERS: &[&str] = &[
    "maps.googleapis.com/maps/api/js",
    "fonts.googleapis.com/",
    "use.typekit.net/",
    "www.google.com/recaptcha/",
    "www.recaptcha.net/recaptcha/",
    "js.hcaptcha.com/1/api.js",
    "challenges.cloudflare.com/turnstile/",
    "js.stripe.com/",
    "www.paypal.com/sdk/js",
    "www.googletagmanager.com/",
    "www.google-analytics.com/analytics.js",
    "apis.google.com/js/",
    "accounts.google.com/gsi/client",
    "connect.facebook.net/",
    "platform.twitter.com/widgets.js",
    "pagead2.googlesyndication.com/pagead/js/",
    "s7.addthis.com/js/",
    "www.statuscake.com/app/rum/",
];

/// Whether `url` is one of the [`SERVICE_LOADERS`].
fn is_service_loader(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    let Some(rest) = ["https://", "http://", "//"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
    else {
        return false;
    };
    SERVICE_LOADERS.iter().any(|l| rest.starts_with(l))
}

/// The host of an absolute or protocol-relative URL on a literal host other than this machine.
fn other_origin_host(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    let rest = ["https://", "http://", "//"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let bare = host
        .rsplit('@')
        .next()
        .unwrap_or(host)
        .split(':')
        .next()
        .unwrap_or("");
    // A host chosen at render time (`//{{ cdn }}/x.js`) may well be the app's own.
    if bare.is_empty()
        || host.contains("{{")
        || host.contains("{%")
        || matches!(bare, "localhost" | "127.0.0.1" | "[")
        || is_reserved_example(bare)
    {
        return None;
    }
    Some(host.to_string())
}

/// A domain reserved for documentation and tests (RFC 2606, RFC 6761): `example.com`,
/// `analytics.example.org`, `cdn.test`. Nothing is served there; a page naming one holds a
/// placeholder the operator replaces, not a third-party script.
fn is_reserved_example(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    ["example.com", "example.org", "example.net"]
        .iter()
        .any(|d| host == *d || host.strip_suffix(d).is_some_and(|h| h.ends_with('.')))
        || [".example", ".test", ".invalid", ".localhost"]
            .iter()
            .any(|tld| host.ends_with(tld))
}

#[cfg(test)]
mod tests {
    use super::other_origin_host;

    #[test]
    fn origins() {
        assert_eq!(
            other_origin_host("https://cdn.x.com/a.js").as_deref(),
            Some("cdn.x.com")
        );
        assert_eq!(
            other_origin_host("//cdn.x.com/a.js").as_deref(),
            Some("cdn.x.com")
        );
        assert_eq!(other_origin_host("/static/a.js"), None);
        assert_eq!(
            other_origin_host("{{ url_for('static', filename='a.js') }}"),
            None
        );
        assert_eq!(other_origin_host("https://{{ cdn }}/a.js"), None);
        assert_eq!(other_origin_host("http://localhost:5000/a.js"), None);
        assert_eq!(
            other_origin_host("https://analytics.example.com/a.js"),
            None
        );
        assert_eq!(other_origin_host("https://cdn.test/a.js"), None);
        assert_eq!(
            other_origin_host("https://notexample.com/a.js").as_deref(),
            Some("notexample.com")
        );
    }

    #[test]
    fn service_loaders() {
        use super::is_service_loader;
        assert!(is_service_loader(
            "https://maps.googleapis.com/maps/api/js?v=3&key={{ key }}"
        ));
        assert!(is_service_loader("https://js.stripe.com/v3/"));
        assert!(!is_service_loader(
            "https://maps.googleapis.com.evil.io/maps/api/js"
        ));
        assert!(!is_service_loader("https://cdn.jsdelivr.net/npm/x@1/x.js"));
    }
}
