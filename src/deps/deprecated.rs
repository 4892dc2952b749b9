//! A curated list of deprecated or abandoned packages common in Flask projects.
//!
//! Each entry says what to use instead and where the deprecation is documented, so a reviewer
//! can check the claim. Names are PEP 503-normalised.

/// One deprecated package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deprecated {
    pub name: &'static str,
    /// What to use instead.
    pub replacement: &'static str,
    /// Why, in a few words.
    pub reason: &'static str,
    /// Where the deprecation is stated.
    pub source: &'static str,
}

/// The list, sorted by name.
pub const LIST: &[Deprecated] = &[
    Deprecated {
        name: "bleach",
        replacement: "nh3",
        reason: "deprecated by its maintainers in January 2023 (security fixes only)",
        source: "https://github.com/mozilla/bleach/issues/698",
    },
    Deprecated {
        name: "flask-jwt",
        replacement: "Flask-JWT-Extended",
        reason: "unmaintained since 2015",
        source: "https://github.com/mattupstate/flask-jwt",
    },
    Deprecated {
        name: "flask-oauth",
        replacement: "Authlib",
        reason: "abandoned predecessor of Flask-OAuthlib",
        source: "https://github.com/mitsuhiko/flask-oauth",
    },
    Deprecated {
        name: "flask-oauthlib",
        replacement: "Authlib",
        reason: "deprecated by its author in favour of Authlib",
        source: "https://github.com/lepture/flask-oauthlib#readme",
    },
    Deprecated {
        name: "flask-restplus",
        replacement: "flask-restx",
        reason: "unmaintained; the community fork is flask-restx",
        source: "https://github.com/noirbizarre/flask-restplus/issues/770",
    },
    Deprecated {
        name: "flask-script",
        replacement: "Flask's built-in `flask` command (Click)",
        reason: "no longer maintained; Flask has a CLI since 0.11",
        source: "https://github.com/smurfix/flask-script#readme",
    },
    Deprecated {
        name: "flask-security",
        replacement: "Flask-Security-Too",
        reason: "unmaintained since 2017; the maintained fork is Flask-Security-Too",
        source: "https://github.com/mattupstate/flask-security",
    },
    Deprecated {
        name: "flask-sslify",
        replacement: "flask-talisman",
        reason: "archived by its author",
        source: "https://github.com/kennethreitz/flask-sslify",
    },
    Deprecated {
        name: "flask-uploads",
        replacement: "Flask-Reuploaded",
        reason: "unmaintained and broken with Werkzeug 1.0",
        source: "https://github.com/maxcountryman/flask-uploads",
    },
    Deprecated {
        name: "oauth2client",
        replacement: "google-auth",
        reason: "deprecated by Google",
        source: "https://github.com/googleapis/oauth2client#readme",
    },
    Deprecated {
        name: "pycrypto",
        replacement: "pycryptodome",
        reason: "unmaintained since 2013, with known unfixed vulnerabilities (CVE-2013-7459)",
        source: "https://github.com/pycrypto/pycrypto/issues/173",
    },
];

/// Looks a normalised package name up.
pub fn lookup(name: &str) -> Option<&'static Deprecated> {
    LIST.iter().find(|d| d.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_normalised_and_sourced() {
        for pair in LIST.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
        for d in LIST {
            assert_eq!(crate::deps::dependency::normalize_name(d.name), d.name);
            assert!(d.source.starts_with("https://"));
        }
        assert_eq!(lookup("bleach").unwrap().replacement, "nh3");
        assert!(lookup("flask").is_none());
    }
}
