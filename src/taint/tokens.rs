//! Signed tokens: the claims of a JWT decoded with its signature checked against the server's
//! own key were written by whoever holds that key, not by the client who sent the token, so they
//! are no request data. Decoding without the check, with the `none` algorithm allowed, or with a
//! key the request supplies keeps the token's data.

use super::value::{Shape, Val};

/// Library functions that decode a JWT and check its signature unless told not to.
const DECODERS: &[&str] = &[
    "jwt.decode",
    "jwt.decode_complete",
    "jwt.api_jwt.decode",
    "jwt.api_jwt.decode_complete",
    "jose.jwt.decode",
    "authlib.jose.jwt.decode",
];

/// The arguments of a decoder call that decide whether the signature is checked.
pub struct DecodeArgs<'a> {
    pub key: Option<&'a Val>,
    pub options: Option<&'a Val>,
    /// PyJWT 1's `verify=` flag.
    pub verify: Option<&'a Val>,
    pub algorithms: Option<&'a Val>,
}

/// Whether `q(...)` with `args` decodes a token whose signature is checked with a key of the
/// server's own.
pub fn verified(q: &str, args: &DecodeArgs) -> bool {
    if !DECODERS.contains(&q) {
        return false;
    }
    let server_key = args
        .key
        .is_some_and(|k| !k.is_tainted() && k.text.as_deref() != Some(""));
    let verify = args.verify.is_none_or(|v| v.truth == Some(true));
    server_key && verify && checks_signature(args.options) && !allows_none(args.algorithms)
}

/// Whether `options` leaves the signature check on: absent, or a dict whose `verify_signature`
/// (if any) is literally true. Options not known item by item may turn it off.
fn checks_signature(options: Option<&Val>) -> bool {
    let Some(options) = options else {
        return true;
    };
    let Shape::Map(items) = &options.shape else {
        return false;
    };
    items
        .iter()
        .rev()
        .find(|(k, _)| k == "verify_signature")
        .is_none_or(|(_, v)| v.truth == Some(true))
}

/// Whether the allowed algorithms may include `none` (an unsigned token).
fn allows_none(algorithms: Option<&Val>) -> bool {
    let Some(algorithms) = algorithms else {
        return false;
    };
    let named = |v: &Val| {
        v.text
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("none"))
    };
    match &algorithms.shape {
        Shape::Seq(items) => algorithms.is_tainted() || !items.iter().all(named),
        _ => !named(algorithms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taint::value::Taint;
    use std::sync::Arc;

    fn literal(t: &str) -> Val {
        Val {
            text: Some(Arc::from(t)),
            truth: Some(!t.is_empty()),
            ..Val::constant()
        }
    }

    fn list(items: Vec<Val>) -> Val {
        Val {
            shape: Shape::Seq(Arc::new(items)),
            ..Val::constant()
        }
    }

    fn options(verify: bool) -> Val {
        let flag = Val {
            truth: Some(verify),
            ..Val::constant()
        };
        Val {
            shape: Shape::Map(Arc::new(vec![("verify_signature".to_string(), flag)])),
            ..Val::constant()
        }
    }

    #[test]
    fn only_a_checked_signature_with_the_servers_key_ends_the_data() {
        let key = Val::clean();
        let algs = list(vec![literal("HS256")]);
        let args = |key, options, algorithms| DecodeArgs {
            key,
            options,
            verify: None,
            algorithms,
        };
        assert!(verified("jwt.decode", &args(Some(&key), None, Some(&algs))));
        assert!(!verified(
            "json.loads",
            &args(Some(&key), None, Some(&algs))
        ));
        let on = options(true);
        assert!(verified(
            "jwt.decode",
            &args(Some(&key), Some(&on), Some(&algs))
        ));
        let off = options(false);
        assert!(!verified(
            "jwt.decode",
            &args(Some(&key), Some(&off), Some(&algs))
        ));
        let unknown = Val::clean();
        assert!(!verified(
            "jwt.decode",
            &args(Some(&key), Some(&unknown), Some(&algs))
        ));
        let none = list(vec![literal("HS256"), literal("none")]);
        assert!(!verified(
            "jwt.decode",
            &args(Some(&key), None, Some(&none))
        ));
        assert!(!verified("jwt.decode", &args(None, None, Some(&algs))));
        let sent = Val::tainted(Taint::request_for_tests("request.args['key']"));
        assert!(!verified(
            "jwt.decode",
            &args(Some(&sent), None, Some(&algs))
        ));
        let empty = literal("");
        assert!(!verified(
            "jwt.decode",
            &args(Some(&empty), None, Some(&algs))
        ));
    }
}
