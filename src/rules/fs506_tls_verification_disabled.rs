//! FS506 tls-verification-disabled.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall, Stmt};
use ruff_text_size::Ranged;

use super::helpers::{is_falsy_literal, is_truthy_literal, last_name, literal_text, words};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;

pub const RULE: Rule = Rule {
    id: "FS506",
    name: "tls-verification-disabled",
    severity: Severity::High,
    cwe: &[295],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "TLS certificate verification is disabled",
    fix: "Keep verification on; for a private CA pass its bundle: `requests.get(url, verify=\"/path/ca.pem\")`.",
    help: "Without certificate verification anyone on the network path can impersonate the server, read and change the traffic, including credentials and tokens.",
    bad: "requests.get(url, verify=False)",
    good: "requests.get(url, timeout=10)",
};

use super::local_flow::{HTTP_METHODS, HTTP_MODULES};

/// `verify=False` on HTTP clients, `ssl=False` on aiohttp, `_create_unverified_context()`.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    if operator_opted_in(cx) {
        return;
    }
    if matches!(
        callee,
        "ssl._create_unverified_context" | "ssl._create_stdlib_context"
    ) {
        if certificate_probe(cx) {
            return;
        }
        cx.report_audit_msg(
            &RULE,
            call.range(),
            format!("`{callee}()` creates a context that accepts any certificate"),
        );
        return;
    }
    let http = HTTP_MODULES.iter().any(|m| callee.starts_with(m))
        || matches!(&*call.func, Expr::Attribute(a) if HTTP_METHODS.contains(&a.attr.as_str()) && callee.is_empty() && looks_like_session(&a.value));
    if !http || status_probe(cx, call) {
        return;
    }
    for flag in ["verify", "verify_ssl", "ssl"] {
        let Some(kw) = call.arguments.find_keyword(flag) else {
            continue;
        };
        if is_falsy_literal(&kw.value) {
            // Every client named here verifies by default: dropping the argument turns it on.
            let fix = super::fix_edits::fix(
                format!("Remove `{flag}=False` (certificates are verified by default)"),
                super::fix_edits::remove_keyword(&cx.file.text, call, kw),
            );
            cx.report_fixable(
                &RULE,
                kw.value.range(),
                format!(
                    "`{flag}=False` accepts any certificate: the connection can be intercepted"
                ),
                RULE.severity,
                Some(fix),
            );
        }
    }
}

/// A request that sends nothing but its URL and whose response is read only for its status
/// (`requests.get(f"{base}/health", verify=False).ok`): an interceptor reads nothing secret and
/// can feed the app only a yes/no, so the unverified connection exposes nothing. A request
/// carrying headers, a body, a query string, credentials in the URL, or whose response is kept
/// stays reported.
fn status_probe(cx: &Checker, call: &ExprCall) -> bool {
    let method = match &*call.func {
        Expr::Attribute(a) => a.attr.as_str(),
        _ => return false,
    };
    let bodiless = matches!(method, "get" | "head" | "options");
    let only_switches = call.arguments.keywords.iter().all(|k| {
        k.arg.as_ref().is_some_and(|a| {
            matches!(
                a.as_str(),
                "verify" | "verify_ssl" | "ssl" | "timeout" | "allow_redirects"
            )
        })
    });
    let [url] = &*call.arguments.args else {
        return false;
    };
    bodiless && only_switches && bare_url(cx, url) && status_only(&cx.file.text, call)
}

/// Whether a URL expression carries no query string, no user info and no secret-named value.
fn bare_url(cx: &Checker, url: &Expr) -> bool {
    let mut bare = true;
    cx.any_subexpr(url, &mut |_, e| match e {
        Expr::StringLiteral(s) => bare &= !s.value.to_str().contains(['?', '@']),
        Expr::FString(_) => {}
        other => {
            bare &=
                last_name(other).is_none_or(|n| !super::fs405_insecure_random::is_security_name(&n))
        }
    });
    // f-string literal parts are not string literals: judge the source text.
    let text = &cx.file.text[url.range()];
    bare && !text.contains('?') && !text.contains('@')
}

/// Whether the call's response is used only for its status, read right off the call.
fn status_only(text: &str, call: &ExprCall) -> bool {
    let rest = &text[usize::from(call.range().end())..];
    let ends_name = |r: &str| !r.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.');
    [".ok", ".status_code"]
        .iter()
        .any(|a| rest.strip_prefix(a).is_some_and(ends_name))
        || rest.starts_with(".raise_for_status()")
}

fn looks_like_session(e: &Expr) -> bool {
    super::helpers::last_name(e).is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        n.contains("session") || n == "client" || n == "http"
    })
}

/// `ssl.CERT_NONE`, `check_hostname = False`, `session.verify = False`.
pub fn check_stmt(cx: &mut Checker, stmt: &Stmt) {
    let Stmt::Assign(a) = stmt else { return };
    if operator_opted_in(cx) {
        return;
    }
    for t in &a.targets {
        let Expr::Attribute(attr) = t else { continue };
        let off = match attr.attr.as_str() {
            "check_hostname" => {
                is_falsy_literal(&a.value) && !cert_none_set_in_scope(cx, &attr.value)
            }
            "verify" => is_falsy_literal(&a.value) && looks_like_session(&attr.value),
            "verify_mode" => cx.sem.is(&a.value, "ssl.CERT_NONE"),
            _ => false,
        };
        // Walking the function for a certificate probe only once something would be reported.
        if off && !certificate_probe(cx) {
            let message = format!(
                "Setting `{}` this way turns certificate checks off",
                attr.attr
            );
            if attr.attr.as_str() == "verify" {
                cx.report_msg(&RULE, stmt.range(), message);
            } else {
                // An `SSLContext` weakened by hand is deliberate work for a peer without a
                // public identity (a bot found by IP, the app's own loopback backend, a
                // scanner's target): on real applications 2 of 13 such contexts were real
                // problems, so they are the rule's audit part. HTTP clients with
                // `verify=False` and `cert_reqs=CERT_NONE` arguments stay default.
                cx.report_audit_msg(&RULE, stmt.range(), message);
            }
        }
    }
    if let [Expr::Attribute(attr)] = &a.targets[..] {
        if attr.attr.as_str() == "_create_default_https_context"
            && cx.sem.is(&a.value, "ssl._create_unverified_context")
        {
            cx.report_msg(
                &RULE,
                stmt.range(),
                "Every HTTPS connection of the process stops verifying certificates".into(),
            );
        }
    }
}

/// Whether the scope of the statement being checked (its function, or the module) also sets
/// `<receiver>.verify_mode = ssl.CERT_NONE`. Python refuses `CERT_NONE` while `check_hostname`
/// is on, so the two lines always come together: one context, one finding, on `verify_mode`.
fn cert_none_set_in_scope(cx: &Checker, receiver: &Expr) -> bool {
    let text = &cx.file.text[receiver.range()];
    let mut finder = CertNone {
        cx,
        receiver: text,
        found: false,
    };
    match cx.enclosing_function() {
        Some(def) => finder.visit_body(&def.body),
        None => finder.visit_body(cx.file.body()),
    }
    finder.found
}

/// Looks for `<receiver>.verify_mode = ssl.CERT_NONE` in one scope (not in nested functions).
struct CertNone<'c, 'a> {
    cx: &'c Checker<'a>,
    receiver: &'c str,
    found: bool,
}

impl<'x> Visitor<'x> for CertNone<'_, '_> {
    fn visit_stmt(&mut self, stmt: &'x Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::Assign(a) => {
                self.found |= self.cx.sem.is(&a.value, "ssl.CERT_NONE")
                    && a.targets.iter().any(|t| {
                        matches!(t, Expr::Attribute(attr)
                            if attr.attr.as_str() == "verify_mode"
                                && &self.cx.file.text[attr.value.range()] == self.receiver)
                    });
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, _: &'x Expr) {}
}

/// `cert_reqs=ssl.CERT_NONE` as an argument.
pub fn check_keyword_values(cx: &mut Checker, call: &ExprCall) {
    if operator_opted_in(cx) {
        return;
    }
    for kw in &call.arguments.keywords {
        if cx.sem.is(&kw.value, "ssl.CERT_NONE") && !certificate_probe(cx) {
            cx.report_msg(
                &RULE,
                kw.range(),
                "`ssl.CERT_NONE` accepts any certificate".into(),
            );
        }
    }
}

/// A function that connects only to read the certificate the peer presents
/// (`sock.getpeercert(True)`) and writes nothing on the connection: an inventory or expiry
/// probe must accept whatever is served (self-signed, expired) to report on it, and an
/// interceptor learns nothing and can only show it another certificate, which verification
/// would not have revealed either. Unverified, `getpeercert()` returns nothing but the binary
/// form, so that is what such probes ask for.
fn certificate_probe(cx: &Checker) -> bool {
    let Some(def) = cx.enclosing_function() else {
        return false;
    };
    let mut probe = CertificateProbe::default();
    probe.visit_body(&def.body);
    probe.reads_certificate && !probe.sends
}

/// What [`certificate_probe`] looks for in one function body.
#[derive(Default)]
struct CertificateProbe {
    reads_certificate: bool,
    sends: bool,
}

impl<'x> Visitor<'x> for CertificateProbe {
    fn visit_stmt(&mut self, stmt: &'x Stmt) {
        if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            visitor::walk_stmt(self, stmt);
        }
    }

    fn visit_expr(&mut self, expr: &'x Expr) {
        if let Expr::Call(call) = expr {
            if let Expr::Attribute(a) = &*call.func {
                match a.attr.as_str() {
                    "getpeercert" => {
                        let binary = call.arguments.args.first().or_else(|| {
                            call.arguments.find_keyword("binary_form").map(|k| &k.value)
                        });
                        self.reads_certificate |=
                            binary.is_some_and(|b| matches!(b, Expr::BooleanLiteral(l) if l.value));
                    }
                    "send" | "sendall" | "sendto" | "sendfile" | "write" | "request"
                    | "putrequest" | "makefile" => self.sends = true,
                    _ => {}
                }
            }
        }
        visitor::walk_expr(self, expr);
    }
}

/// Inside `if settings.skip_ssl_verify:` (the true branch of a test naming an opt-out) the
/// operator asked for it, for a server they chose; an `else` of `if verify:` is a default and
/// still reported.
fn operator_opted_in(cx: &Checker) -> bool {
    cx.if_tests().iter().any(|t| names_opt_out(t))
}

fn names_opt_out(test: &Expr) -> bool {
    // `if not options.get("verify", True):` the caller turned verification off; it is on
    // unless they do.
    if let Expr::UnaryOp(u) = test {
        if u.op == ruff_python_ast::UnaryOp::Not {
            return verify_on_by_default(&u.operand);
        }
    }
    let name = match test {
        Expr::Subscript(s) => literal_text(&s.slice),
        Expr::Call(c) => c.arguments.args.first().and_then(literal_text),
        Expr::BoolOp(b) => return b.values.iter().any(names_opt_out),
        other => last_name(other).map(|n| n.into_owned()),
    };
    name.is_some_and(|n| {
        words(&n).iter().any(|w| {
            matches!(
                w.as_str(),
                "skip" | "insecure" | "disable" | "disabled" | "unverified" | "noverify" | "ignore"
            )
        })
    })
}

/// `options.get("verify", True)`: a verification setting read with verification as its default.
fn verify_on_by_default(e: &Expr) -> bool {
    let Expr::Call(c) = e else { return false };
    if !matches!(&*c.func, Expr::Attribute(a) if a.attr.as_str() == "get") {
        return false;
    }
    let key = c.arguments.args.first().and_then(literal_text);
    let default = c
        .arguments
        .args
        .get(1)
        .or_else(|| c.arguments.find_keyword("default").map(|k| &k.value));
    key.is_some_and(|k| {
        let w = words(&k);
        w.iter().any(|x| x == "verify")
            && !w.iter().any(|x| {
                matches!(
                    x.as_str(),
                    "skip" | "no" | "not" | "insecure" | "disable" | "disabled" | "ignore"
                )
            })
    }) && default.is_some_and(is_truthy_literal)
}
