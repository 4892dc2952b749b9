//! Predictable values, the data-flow half of FS405: what `random` (a Mersenne Twister) and
//! `uuid.uuid1()` (clock and MAC address) make can be guessed, which matters only where the value
//! guards something: a session or cookie value, a token handed out or stored, a new password.
//! The destination is judged by its name, as the pattern half judges the assigned name.

use crate::rules::fs405_insecure_random::{is_security_name, names_captcha, RANDOM_FUNCTIONS};
use crate::rules::helpers::words;

use super::value::{Origin, Taint, Val};

/// Whether calling `qualified` makes a predictable value: a function of the `random` module or
/// a method of a `random.Random(seed)` instance (the same Mersenne Twister, and a fixed seed makes
/// every value known in advance). `random.SystemRandom().choice` and `secrets.*` qualify under
/// other names, so they are not matched.
pub fn is_source(qualified: &str) -> bool {
    qualified == "uuid.uuid1"
        || qualified
            .strip_prefix("random.Random.")
            .or_else(|| qualified.strip_prefix("random."))
            .is_some_and(|f| RANDOM_FUNCTIONS.contains(&f))
}

/// Whether keyword `kw` of the call to `qualified` is a switch rather than a value handed over:
/// `login_user(user, remember=...)` only asks Flask-Login to set its remember-me cookie, whose
/// value Flask-Login derives from the user id under the secret key.
pub fn is_switch_keyword(qualified: Option<&str>, kw: &str) -> bool {
    kw == "remember"
        && matches!(
            qualified,
            Some("flask_login.login_user" | "flask_login.utils.login_user")
        )
}

/// Words without which a function's text holds no predictable source (entry points of the
/// analysis).
pub const SOURCE_WORDS: &[&str] = &["random", "uuid1"];

/// Whether a function's text can hold a predictable source (see [`SOURCE_WORDS`]).
pub fn mentions_source(text: &str) -> bool {
    SOURCE_WORDS.iter().any(|w| text.contains(w))
}

/// Conversions to numbers that keep a predictable value predictable (other clean results, such
/// as an HMAC under a secret key, do not).
pub fn keeps_through(qualified: &str) -> bool {
    matches!(
        qualified,
        "builtins.int" | "builtins.float" | "builtins.abs" | "builtins.round"
    )
}

/// Methods whose result is derived from the receiver alone: a hash of a guessable value is
/// guessable too.
pub fn keeps_through_method(method: &str) -> bool {
    matches!(method, "hexdigest" | "digest")
}

/// Only the predictable part of `v` (what a conversion to a number or a hash leaves of it).
pub fn kept(v: &Val) -> Val {
    let taints: Vec<_> = v
        .all_taints()
        .into_iter()
        .filter(|t| t.origin == Origin::Predictable)
        .collect();
    Val {
        constant: taints.is_empty(),
        ..Val::from_taints(taints)
    }
}

/// Where the key of a keyed derivation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The receiver was built from the key (`pyotp.HOTP(secret).at(counter)`).
    Receiver,
    /// The given positional argument or keyword (`hmac.digest(key, msg, "sha256")`).
    Arg(usize, &'static str),
}

/// Keyed derivations: a one-time password or MAC is as guessable as its key, whatever the
/// message. An HOTP counter or a TOTP timestamp is a moving factor that need not be secret, so a
/// predictable one does not make the code predictable; a predictable key does.
pub fn keyed_derivation(qualified: &str) -> Option<Key> {
    if qualified == "hmac.digest" {
        return Some(Key::Arg(0, "key"));
    }
    let rest = qualified.strip_prefix("pyotp.")?;
    let mut parts = rest.rsplit('.');
    let method = parts.next()?;
    let class = parts.next()?;
    let otp_class = matches!(class, "HOTP" | "TOTP" | "OTP");
    let derives = matches!(method, "at" | "now" | "generate_otp");
    (otp_class && derives).then_some(Key::Receiver)
}

/// Whether a keyword, attribute, key or cookie named `name` holds a security value. A lone
/// `key` or `session` names a storage key or a database session far more often than a secret.
pub fn security_target(name: &str) -> bool {
    let w = words(name);
    let generic = w.len() == 1 && matches!(w[0].as_str(), "key" | "session" | "cookie");
    if names_captcha(&w) {
        return false;
    }
    let generator = names_generator_state(&w);
    let stored = w
        .iter()
        .any(|x| STORED_SECRETS.contains(&x.as_str()) && !(generator && x == "state"));
    !generic && (is_security_name(name) || stored)
}

/// Whether `state` in a name is a random generator's state (`random_state`, `rng_state`): the
/// seed numpy, pandas and scikit-learn take to make sampling reproducible, which nobody has to
/// guess, unlike the OAuth `state` a server checks on the way back.
fn names_generator_state(words: &[String]) -> bool {
    words
        .iter()
        .any(|x| matches!(x.as_str(), "random" | "rng" | "seed"))
}

/// Names of values a server keeps to compare with what a client sends back later (and the
/// remember-me login cookie), beyond the pattern half's words.
const STORED_SECRETS: &[&str] = &["state", "challenge", "remember"];

/// Library functions hashing a new password: what they are given is a password.
pub const PASSWORD_HASHERS: &[(&str, usize, &str)] = &[
    ("werkzeug.security.generate_password_hash", 0, "password"),
    ("werkzeug.generate_password_hash", 0, "password"),
    ("flask_bcrypt.generate_password_hash", 0, "password"),
    ("bcrypt.hashpw", 0, "password"),
];

/// Methods setting a user's password.
pub const PASSWORD_SETTERS: &[&str] = &["set_password"];

/// The message of a flow finding: the source call and where it went.
pub fn message(t: &Taint, sink: &str) -> String {
    format!(
        "`{}` is predictable and becomes {sink}, which must be unguessable; use `secrets`",
        t.label
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_and_targets() {
        assert!(is_source("random.choice"));
        assert!(is_source("uuid.uuid1"));
        assert!(!is_source("random.SystemRandom.choice"));
        assert!(is_source("random.Random.randint"));
        assert!(!is_source("random.Random.seed"));
        assert!(is_switch_keyword(
            Some("flask_login.login_user"),
            "remember"
        ));
        assert!(!is_switch_keyword(Some("myapp.issue"), "remember"));
        assert!(!is_source("random.shuffle"));
        assert!(!is_source("secrets.choice"));
        assert!(security_target("reset_token"));
        assert!(security_target("oauth_state"));
        assert!(!security_target("random_state"));
        assert!(!security_target("rng_state"));
        assert!(!security_target("captcha_state"));
        assert!(security_target("random_token"));
        assert!(!security_target("key"));
        assert!(!security_target("session"));
        assert!(!security_target("theme"));
        assert_eq!(keyed_derivation("pyotp.HOTP.at"), Some(Key::Receiver));
        assert_eq!(keyed_derivation("pyotp.totp.TOTP.now"), Some(Key::Receiver));
        assert_eq!(keyed_derivation("hmac.digest"), Some(Key::Arg(0, "key")));
        assert_eq!(keyed_derivation("pyotp.random_base32"), None);
        assert_eq!(keyed_derivation("pyotp.TOTP.verify"), None);
    }
}
