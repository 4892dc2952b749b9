//! FS407 jwt-verification-disabled.

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

use super::fix_edits;
use super::helpers::{is_falsy_literal, keyword, last_name, literal_text};
use super::local_flow::from_fetched_response;
use super::outbound::site_of;
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;

pub const RULE: Rule = Rule {
    id: "FS407",
    name: "jwt-verification-disabled",
    severity: Severity::High,
    cwe: &[347],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "A JWT is decoded without verifying its signature",
    fix: "Verify every token: `jwt.decode(token, key, algorithms=[\"HS256\"])`; never `verify_signature: False`, `verify=False` or the `none` algorithm.",
    help: "Without signature verification anyone can write a token with any claims (`\"sub\": \"admin\"`) and it is accepted.",
    bad: "jwt.decode(token, options={\"verify_signature\": False})",
    good: "jwt.decode(token, key, algorithms=[\"HS256\"])",
};

/// `jwt.decode(..., verify=False | options={"verify_signature": False} | algorithms=["none"])`,
/// unless the token is read from a response the server fetched itself.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    if !matches!(
        callee,
        "jwt.decode"
            | "jose.jwt.decode"
            | "jwt.api_jwt.decode"
            | "jwt.PyJWT.decode"
            | "jwt.api_jws.decode"
    ) {
        return;
    }
    // OIDC Core 3.1.3.7: an ID token received straight from the token endpoint over TLS may be
    // trusted without a signature check; the client never gets to supply it.
    if call
        .arguments
        .args
        .first()
        .is_some_and(|token| from_fetched_response(cx, token))
    {
        return;
    }
    if only_time_claims_read(cx, call) || verified_after(cx, call) {
        return;
    }
    let verified_form = names_key_and_algorithms(call);
    if let Some(kw) = call
        .arguments
        .find_keyword("verify")
        .filter(|k| is_falsy_literal(&k.value))
    {
        let fix = verified_form.then(|| {
            fix_edits::fix(
                "Remove `verify=False`: the key and algorithms are already given",
                fix_edits::remove_keyword(&cx.file.text, call, kw),
            )
        });
        cx.report_fixable(
            &RULE,
            kw.value.range(),
            "`verify=False` accepts tokens with any signature".into(),
            RULE.severity,
            fix,
        );
    }
    if let Some(kw) = call.arguments.find_keyword("options") {
        if let Expr::Dict(options) = &kw.value {
            for item in &options.items {
                let key = item.key.as_ref().and_then(literal_text);
                if key.as_deref() == Some("verify_signature") && is_falsy_literal(&item.value) {
                    // Dropping `options` is safe only when it says nothing else.
                    let fix = (verified_form && options.items.len() == 1).then(|| {
                        fix_edits::fix(
                            "Remove `options={\"verify_signature\": False}`: the key and algorithms are already given",
                            fix_edits::remove_keyword(&cx.file.text, call, kw),
                        )
                    });
                    cx.report_fixable(
                        &RULE,
                        item.value.range(),
                        "`verify_signature: False` accepts tokens with any signature".into(),
                        RULE.severity,
                        fix,
                    );
                }
            }
        }
    }
    if let Some(algs) = keyword(call, "algorithms") {
        if allows_none(algs) {
            cx.report_msg(
                &RULE,
                algs.range(),
                "The `none` algorithm accepts unsigned tokens".into(),
            );
        }
    }
}

/// `payload = jwt.decode(token, options={"verify_signature": False})` where the function then
/// reads only `payload["exp"]` (or `iat`, `nbf`), or the decode is subscripted with one of them
/// on the spot: the claims say when a token lapses, for display, refresh or cleanup, and decide
/// nothing about who is asking.
fn only_time_claims_read(cx: &Checker, call: &ExprCall) -> bool {
    use ruff_python_ast::visitor::{walk_expr, Visitor};
    let time_claim =
        |e: &Expr| literal_text(e).is_some_and(|k| matches!(k.as_str(), "exp" | "iat" | "nbf"));
    let on_the_spot = site_of(cx, call.range()).is_some_and(|site| {
        matches!(site.enclosing().next(), Some(Expr::Subscript(s))
            if s.value.range() == call.range() && time_claim(&s.slice))
    });
    if on_the_spot {
        return true;
    }
    let (Some((name, value)), Some(f)) = (cx.assignment_to_name(), cx.enclosing_function()) else {
        return false;
    };
    if value.range() != call.range() {
        return false;
    }
    struct Reads<'n, 'k> {
        name: &'n str,
        time_claim: &'k dyn Fn(&Expr) -> bool,
        reads: usize,
        other: bool,
    }
    impl<'x> Visitor<'x> for Reads<'_, '_> {
        fn visit_expr(&mut self, e: &'x Expr) {
            let is_payload = |v: &Expr| matches!(v, Expr::Name(n) if n.id.as_str() == self.name);
            match e {
                Expr::Subscript(s) if is_payload(&s.value) && (self.time_claim)(&s.slice) => {
                    self.reads += 1
                }
                Expr::Call(c)
                    if matches!(&*c.func, Expr::Attribute(a) if a.attr.as_str() == "get"
                        && is_payload(&a.value))
                        && c.arguments
                            .args
                            .first()
                            .is_some_and(|k| (self.time_claim)(k)) =>
                {
                    self.reads += 1
                }
                Expr::Name(n) if n.id.as_str() == self.name && n.ctx.is_load() => self.other = true,
                _ => walk_expr(self, e),
            }
        }
    }
    let mut reads = Reads {
        name,
        time_claim: &time_claim,
        reads: 0,
        other: false,
    };
    reads.visit_body(&f.body);
    reads.reads > 0 && !reads.other
}

/// `claims = jwt.decode(token, options={"verify_signature": False})` followed, in the same
/// function, by a decode of the same token that verifies it with a key: the first only reads
/// which issuer or key to check against (OIDC discovery), and the claims the function trusts
/// come from the verified decode.
fn verified_after(cx: &Checker, call: &ExprCall) -> bool {
    use ruff_python_ast::visitor::{walk_expr, Visitor};
    let (Some(f), Some(token)) = (cx.enclosing_function(), call.arguments.args.first()) else {
        return false;
    };
    let Some(token) = local_key(token) else {
        return false;
    };
    struct Decodes<'t> {
        token: &'t str,
        after: ruff_text_size::TextSize,
        found: bool,
    }
    impl<'x> Visitor<'x> for Decodes<'_> {
        fn visit_expr(&mut self, e: &'x Expr) {
            if let Expr::Call(c) = e {
                self.found |= c.start() > self.after
                    && c.arguments.args.first().and_then(local_key) == Some(self.token)
                    && verified_decode(c);
            }
            walk_expr(self, e);
        }
    }
    let mut decodes = Decodes {
        token,
        after: call.end(),
        found: false,
    };
    decodes.visit_body(&f.body);
    decodes.found
}

/// The name a token is passed by (`token`); other expressions are not followed.
fn local_key(e: &Expr) -> Option<&str> {
    match e {
        Expr::Name(n) => Some(n.id.as_str()),
        _ => None,
    }
}

/// `algorithms=["none"]` (or a list with it): unsigned tokens pass.
fn allows_none(algs: &Expr) -> bool {
    let elts: Vec<&Expr> = match algs {
        Expr::List(l) => l.elts.iter().collect(),
        Expr::Tuple(t) => t.elts.iter().collect(),
        other => vec![other],
    };
    elts.into_iter()
        .any(|e| literal_text(e).is_some_and(|a| a.eq_ignore_ascii_case("none")))
}

/// `jwt.decode(token, key, algorithms=[...])` (any `*jwt.decode`): a decode that names a key
/// and switches no verification off.
pub(super) fn verified_decode(call: &ExprCall) -> bool {
    let decodes_jwt = matches!(&*call.func, Expr::Attribute(a)
        if a.attr.as_str() == "decode"
            && last_name(&a.value).is_some_and(|n| n.ends_with("jwt")));
    decodes_jwt && verifies(call)
}

/// Whether a decode call names a key and switches no verification off.
fn verifies(call: &ExprCall) -> bool {
    let key = call.arguments.args.get(1).is_some() || keyword(call, "key").is_some();
    let verify_off = keyword(call, "verify").is_some_and(is_falsy_literal)
        || matches!(keyword(call, "options"), Some(Expr::Dict(d)) if d.items.iter().any(|item| {
            item.key.as_ref().and_then(literal_text).as_deref() == Some("verify_signature")
                && is_falsy_literal(&item.value)
        }))
        || keyword(call, "options").is_some_and(|o| !o.is_dict_expr())
        || keyword(call, "algorithms").is_some_and(allows_none);
    key && !verify_off
}

/// Whether the call already names the key and an explicit algorithm list without `none`, so
/// turning verification back on needs no choice from a person.
fn names_key_and_algorithms(call: &ExprCall) -> bool {
    let key = call.arguments.args.get(1).is_some() || keyword(call, "key").is_some();
    let algorithms = match keyword(call, "algorithms") {
        Some(Expr::List(l)) => {
            !l.elts.is_empty()
                && l.elts
                    .iter()
                    .all(|e| literal_text(e).is_some_and(|a| !a.eq_ignore_ascii_case("none")))
        }
        _ => false,
    };
    key && algorithms
}
