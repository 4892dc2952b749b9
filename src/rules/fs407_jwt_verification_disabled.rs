//! FS407 jwt-verification-disabled.

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

use super::fix_edits;
use super::helpers::{is_falsy_literal, keyword, literal_text};
use super::local_flow::from_fetched_response;
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
    if only_time_claims_read(cx, call) {
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
        let mut none = false;
        let elts: Vec<&Expr> = match algs {
            Expr::List(l) => l.elts.iter().collect(),
            Expr::Tuple(t) => t.elts.iter().collect(),
            other => vec![other],
        };
        for e in elts {
            none |= literal_text(e).is_some_and(|a| a.eq_ignore_ascii_case("none"));
        }
        if none {
            cx.report_msg(
                &RULE,
                algs.range(),
                "The `none` algorithm accepts unsigned tokens".into(),
            );
        }
    }
}

/// `payload = jwt.decode(token, options={"verify_signature": False})` where the function then
/// reads only `payload["exp"]` (or `iat`, `nbf`): the claims say when a token lapses, for
/// display or cleanup, and decide nothing about who is asking.
fn only_time_claims_read(cx: &Checker, call: &ExprCall) -> bool {
    use ruff_python_ast::visitor::{walk_expr, Visitor};
    let (Some((name, value)), Some(f)) = (cx.assignment_to_name(), cx.enclosing_function()) else {
        return false;
    };
    if value.range() != call.range() {
        return false;
    }
    let time_claim =
        |e: &Expr| literal_text(e).is_some_and(|k| matches!(k.as_str(), "exp" | "iat" | "nbf"));
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
