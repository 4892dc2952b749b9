//! Where a request's credentials come from, as the code reads them: what the browser attaches by
//! itself (the session cookie, other cookies, a login extension's user) can be ridden by a
//! cross-site request (CSRF); a header the client's own code sets cannot. Shared by the app-wide
//! judgement (FS106) and the per-view one (FS105).

/// One source of who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The Flask session, request cookies, a login extension's current user.
    Ambient,
    /// HTTP Basic credentials (`request.authorization`): the browser resends them by itself only
    /// after it asked the user for them, on a `WWW-Authenticate` challenge.
    Basic,
    /// Another request header (`Authorization: Bearer ...`, an API key header).
    Header,
}

/// The sources a function (or a view with its guards) reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Credentials {
    pub ambient: bool,
    pub basic: bool,
    pub header: bool,
}

impl Credentials {
    /// Records one read.
    pub fn add(&mut self, source: Source) {
        match source {
            Source::Ambient => self.ambient = true,
            Source::Basic => self.basic = true,
            Source::Header => self.header = true,
        }
    }

    /// Adds what `other` reads.
    pub fn merge(&mut self, other: Credentials) {
        self.ambient |= other.ambient;
        self.basic |= other.basic;
        self.header |= other.header;
    }

    /// Whether nothing is read.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Whether the browser attaches one of these by itself; `challenged`: the project sends a
    /// `WWW-Authenticate` challenge, so browsers cache Basic credentials.
    pub fn rides_along(&self, challenged: bool) -> bool {
        self.ambient || (self.basic && challenged)
    }
}

/// The credential source a resolved name reads (`flask.session.get`, `flask.request.headers`,
/// `flask_login.current_user.id`), if any.
pub fn source_of(qualified: &str) -> Option<Source> {
    let head = |prefix: &str| {
        qualified
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    if head("flask.session") || head("flask_login.current_user") || head("flask.request.cookies") {
        return Some(Source::Ambient);
    }
    if head("flask.request.authorization") {
        return Some(Source::Basic);
    }
    // authlib's `current_token`: the bearer token a resource protector accepted, which came
    // in the `Authorization` header.
    (head("flask.request.headers") || head("authlib.integrations.flask_oauth2.current_token"))
        .then_some(Source::Header)
}

/// Whether a library guard used as a decorator (an instance resolves to its class) refuses every
/// request without a credential in a header: authlib's `ResourceProtector` demands a valid
/// bearer token in `Authorization`, which the client's code sets and a browser never attaches
/// by itself, whatever cookies ride along.
pub fn demands_header_credential(qualified: &str) -> bool {
    qualified == "authlib.integrations.flask_oauth2.ResourceProtector"
}

/// Whether a WSGI environ key holds the TLS client certificate the web server verified
/// (`SSL_CLIENT_S_DN`, `SSL_CLIENT_CERT`): the browser presents it by itself, like a cookie.
pub fn is_client_certificate_key(key: &str) -> bool {
    key.starts_with("SSL_CLIENT_")
}

/// Reads of one header or cookie by name (`request.headers.get("Origin")`), whose first
/// argument says which.
pub fn is_keyed_read(qualified: &str) -> bool {
    matches!(
        qualified,
        "flask.request.headers.get"
            | "flask.request.headers.getlist"
            | "flask.request.headers.get_all"
            | "flask.request.cookies.get"
            | "flask.request.cookies.getlist"
            | "flask.session.get"
            | "flask.session.pop"
            | "flask.session.setdefault"
    )
}

/// Whether a session key names only a view's state (`saved`, `theme`, `last_filter`, `netloc`),
/// and no identity or permission (`logged_in`, `is_admin`, `role`, `user_id`): a session holding
/// only such keys signs nobody in. Unknown keys (`paid`, `cart`) may grant something: they count.
pub fn names_view_state(key: &str) -> bool {
    let words = super::words::words(key);
    let state = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "saved"
                | "netloc"
                | "theme"
                | "lang"
                | "language"
                | "locale"
                | "timezone"
                | "tz"
                | "last"
                | "recent"
                | "history"
                | "next"
                | "referrer"
                | "referer"
                | "page"
                | "sort"
                | "order"
                | "filter"
                | "filters"
                | "search"
                | "query"
                | "tab"
                | "layout"
                | "sidebar"
                | "collapsed"
                | "flashes"
        )
    });
    let identity = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "logged" | "admin" | "role" | "roles" | "email" | "name" | "id" | "perm" | "perms"
        )
    });
    state && !identity && !names_credential(key)
}

/// Whether a header or cookie name may carry a credential or who the requester is
/// (`Authorization`, `X-Api-Key`, `session`, `remember_token`, `X-Remote-User`), not a
/// preference or a transport detail (`preferred_lang`, `Origin`, `User-Agent`).
pub fn names_credential(name: &str) -> bool {
    let words = super::words::words(name);
    let has = |w: &str| words.iter().any(|x| x == w);
    // A lone `key` names a map key (`self.key`), not an API key.
    if has("agent") || words == ["key"] {
        return false;
    }
    words.iter().any(|w| {
        matches!(
            w.as_str(),
            "authorization"
                | "auth"
                | "authentication"
                | "token"
                | "key"
                | "apikey"
                | "secret"
                | "signature"
                | "sig"
                | "hmac"
                | "session"
                | "sess"
                | "sid"
                | "jwt"
                | "password"
                | "credential"
                | "credentials"
                | "cookie"
                | "remember"
                | "login"
                | "user"
                | "username"
                | "userid"
                | "uid"
                | "account"
                | "identity"
                | "bearer"
                | "refresh"
        )
    })
}

/// Whether a file's text sends an HTTP authentication challenge (`WWW-Authenticate` header, or
/// Werkzeug's `www_authenticate=`): after one, browsers cache and resend Basic credentials.
pub fn text_challenges(text: &str) -> bool {
    super::words::mentions_any(
        text,
        &[
            "WWW-Authenticate",
            "www-authenticate",
            "Www-Authenticate",
            "www_authenticate",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_state_session_keys() {
        for key in ["saved", "netloc", "last_filter", "theme", "page"] {
            assert!(names_view_state(key), "{key}");
        }
        for key in [
            "paid",
            "cart",
            "user_id",
            "last_login",
            "admin_page",
            "auth_next",
            "cxguid",
        ] {
            assert!(!names_view_state(key), "{key}");
        }
    }

    #[test]
    fn sources_by_name() {
        assert_eq!(source_of("flask.session"), Some(Source::Ambient));
        assert_eq!(source_of("flask.session.get"), Some(Source::Ambient));
        assert_eq!(source_of("flask.sessions"), None);
        assert_eq!(
            source_of("flask_login.current_user.id"),
            Some(Source::Ambient)
        );
        assert_eq!(
            source_of("flask.request.authorization"),
            Some(Source::Basic)
        );
        assert_eq!(source_of("flask.request.headers.get"), Some(Source::Header));
        assert_eq!(source_of("flask.request.form"), None);
    }

    #[test]
    fn basic_rides_along_only_after_a_challenge() {
        let mut c = Credentials::default();
        c.add(Source::Basic);
        c.add(Source::Header);
        assert!(!c.rides_along(false));
        assert!(c.rides_along(true));
        c.add(Source::Ambient);
        assert!(c.rides_along(false));
    }
}
