//! FS405 insecure-random (the pattern half, judging the assigned name; the flow half, a
//! predictable value reaching a security value, lives in taint/predictable.rs).

use ruff_python_ast::ExprCall;
use ruff_text_size::Ranged;

use super::helpers::words;
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;

pub const RULE: Rule = Rule {
    id: "FS405",
    name: "insecure-random",
    severity: Severity::Medium,
    cwe: &[330, 338],
    kind: RuleKind::Pattern,
    precision: Precision::Medium,
    suite: Suite::Default,
    message: "A security value is made with `random`, whose output can be predicted",
    fix: "Use the `secrets` module: `secrets.token_urlsafe(32)`, `secrets.choice(alphabet)`, `secrets.randbelow(n)`.",
    help: "`random` is a Mersenne Twister: after observing 624 outputs an attacker can predict every later one, so tokens, reset codes, passwords and session ids made with it can be guessed.",
    bad: "reset_token = \"\".join(random.choice(ALPHABET) for _ in range(32))",
    good: "reset_token = secrets.token_urlsafe(32)",
};

/// `random` functions returning a value (not `shuffle` or `seed`).
pub const RANDOM_FUNCTIONS: &[&str] = &[
    "random",
    "randint",
    "randrange",
    "choice",
    "choices",
    "sample",
    "getrandbits",
    "randbytes",
    "uniform",
];

/// Words that make a value a security value. Not `salt`: a salt is stored in the clear beside
/// its hash and only has to differ between users, which any generator gives.
const SECURITY_WORDS: &[&str] = &[
    "token",
    "password",
    "passwd",
    "pwd",
    "secret",
    "key",
    "nonce",
    "otp",
    "csrf",
    "session",
    "sid",
    "reset",
    "verification",
    "verify",
    "auth",
    "cookie",
    "pin",
    "apikey",
    "signature",
    "code",
    "invite",
    "activation",
    "confirm",
    "confirmation",
];

/// Whether a name (variable, attribute, function) names a security value.
pub fn is_security_name(name: &str) -> bool {
    let w = words(name);
    if names_captcha(&w) {
        return false;
    }
    // `code` alone is too generic (status codes, colour codes); it needs a companion word.
    let strong = w
        .iter()
        .any(|x| x != "code" && SECURITY_WORDS.contains(&x.as_str()));
    strong
        || (w.iter().any(|x| x == "code")
            && w.iter().any(|x| {
                matches!(
                    x.as_str(),
                    "reset"
                        | "verification"
                        | "auth"
                        | "login"
                        | "otp"
                        | "sms"
                        | "email"
                        | "invite"
                )
            }))
}

/// Whether a name's words name a CAPTCHA (`captcha_key`, `captcha_state`): its answer is drawn
/// into the challenge the client is shown, and keeps bots out by being hard to read, not by
/// being unguessable.
pub fn names_captcha(words: &[String]) -> bool {
    words.iter().any(|x| x == "captcha")
}

/// `random.*` whose result is assigned to, or returned from, something named like a secret.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    let Some(func) = callee.strip_prefix("random.") else {
        return;
    };
    if !RANDOM_FUNCTIONS.contains(&func) {
        return;
    }
    // The name the value is given is the evidence; the function's name only stands in for a
    // value it returns unnamed (not for one it only uses, like the pause before a retry in
    // `session_scope()`). A value named otherwise (`counter = random.randint(...)` in
    // `send_login_otp()`, the moving factor of a keyed code) is left to the flow half, which
    // sees where it goes.
    let targets = cx.assign_targets();
    let returned = cx
        .returned_value()
        .is_some_and(|v| v.range().contains_range(call.range()));
    let target = match targets.iter().find(|t| is_security_name(t)) {
        Some(t) => Some(t.clone()),
        None if targets.is_empty() && returned => cx
            .function_name()
            .filter(|f| is_security_name(f))
            .map(|f| format!("{f}()")),
        None => None,
    };
    if let Some(target) = target {
        cx.report_msg(
            &RULE,
            call.range(),
            format!("`random.{func}` makes `{target}`, which must be unpredictable; use `secrets`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_names() {
        assert!(is_security_name("reset_token"));
        assert!(is_security_name("generate_password"));
        assert!(is_security_name("verification_code"));
        assert!(!is_security_name("status_code"));
        assert!(!is_security_name("colour"));
        assert!(!is_security_name("monkey"));
        assert!(!is_security_name("captcha_key"));
        assert!(!is_security_name("salt"));
    }
}
