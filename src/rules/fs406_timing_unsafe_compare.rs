//! FS406 timing-unsafe-compare.

use ruff_python_ast::{self as ast, CmpOp, Expr, ExprCompare, Stmt};
use ruff_text_size::Ranged;

use super::helpers::{
    contains_any_ignore_case, is_constant, is_module_literal, is_password_name, last_name,
    lookup_owner, words,
};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;
use crate::python::fresh;

pub const RULE: Rule = Rule {
    id: "FS406",
    name: "timing-unsafe-compare",
    severity: Severity::Low,
    cwe: &[208],
    kind: RuleKind::Pattern,
    precision: Precision::Medium,
    suite: Suite::Default,
    message: "A secret is compared with `==`, which leaks through timing how much of it matched",
    fix: "Compare secrets with `hmac.compare_digest(a, b)` (or `secrets.compare_digest`).",
    help: "`==` stops at the first differing byte, so response times reveal how many leading characters of a guessed token or signature are right; an attacker can recover it byte by byte.",
    bad: "if request.headers[\"X-Signature\"] == expected_signature:",
    good: "if hmac.compare_digest(request.headers[\"X-Signature\"], expected_signature):",
};

/// Whether a name ends with a secret word: `expected_signature`, `api_token`, `api_key`, but
/// not `token_start` or `token_type` (positions and kinds of lexical tokens), nor a token a
/// parser or a paginated listing hands out (`attribute_token`, `next_page_token`).
fn is_secret_name(name: &str) -> bool {
    // Every word matched below contains one of these.
    const STEMS: &[&[u8]] = &[
        b"token", b"sig", b"hmac", b"digest", b"mac", b"secret", b"apikey", b"otp", b"key",
    ];
    if !contains_any_ignore_case(name, STEMS) {
        return false;
    }
    let w = words(name);
    let Some(last) = w.last() else { return false };
    if last == "token"
        && w.iter()
            .rev()
            .nth(1)
            .is_some_and(|q| is_public_token_kind(q))
    {
        return false;
    }
    matches!(
        last.as_str(),
        "token" | "signature" | "sig" | "hmac" | "digest" | "mac" | "secret" | "apikey" | "otp"
    ) || (last == "key" && w.iter().rev().nth(1).is_some_and(|p| p == "api"))
}

/// The word before `token` in the name of a lexical token or a pagination cursor: these say
/// where a parser or a listing stands, and anyone may know them.
fn is_public_token_kind(word: &str) -> bool {
    matches!(
        word,
        "attribute"
            | "identifier"
            | "ident"
            | "keyword"
            | "operator"
            | "punctuation"
            | "syntax"
            | "lexer"
            | "parser"
            | "sql"
            | "page"
            | "pagination"
            | "continuation"
            | "cursor"
            | "next"
            | "prev"
            // A feed's change marker (`last_poll_token`, `sync_token`): it tells a poller
            // whether there is anything new, and the server hands it out.
            | "poll"
            | "sync"
    )
}

/// `token == expected` between two non-constant values, one of them named like a secret and
/// one of them an input (see [`is_input`]).
///
/// Names are hints, so the shapes where `==` compares nothing an attacker guesses are left out:
/// a constant or enum member on either side (`mechanism == cls.APIKEY`), an emptiness test
/// (`token != {}`), an ORM column expression that becomes SQL (`Token.value == token` inside
/// `filter`), a predicate inside a `lambda` (`filter(lambda t: t.token != old, tokens)`
/// removes a known entry) or a comprehension's `!=` condition (`[t for t in tokens if t != old]`,
/// the same removal), and an `assert` (a check of the code's own work, as in a command
/// that uploads a token and reads it back).
pub fn check_compare(cx: &mut Checker, cmp: &ExprCompare) {
    if cmp.comparators.len() != 1 || !matches!(cmp.ops[0], CmpOp::Eq | CmpOp::NotEq) {
        return;
    }
    let (left, right) = (&*cmp.left, &cmp.comparators[0]);
    if [left, right]
        .iter()
        .any(|e| is_constant_like(e) || is_length(e) || is_orm_column(e))
        || cx.in_lambda()
        || (matches!(cmp.ops[0], CmpOp::NotEq) && cx.in_comprehension_filter())
        || cx.in_assert()
    {
        return;
    }
    let names = [last_name(left), last_name(right)];
    // Password comparisons are FS401's.
    if names.iter().flatten().any(|n| is_password_name(n)) {
        return;
    }
    if [left, right].iter().any(|e| is_module_literal(cx, e))
        || records_change(cx, left, right)
        || (matches!(cmp.ops[0], CmpOp::NotEq) && stores_new_value(cx, left, right))
        || names.iter().flatten().any(|n| is_spent_one_time_value(n))
        || checks_csrf_token(cx, left, right)
        || in_equality_method(cx)
        || [left, right].iter().any(|e| verified_claims(cx, e))
    {
        return;
    }
    if let Some(name) = names.iter().flatten().find(|n| is_secret_name(n)) {
        if (names_only_a_check_value(name) && !keyed_code(cx))
            || (words(name).last().is_some_and(|w| w == "mac") && network_code(cx))
            || public_by_context(cx)
            || own_nonce_compared(cx, left, right)
            || !(is_input(cx, left) || is_input(cx, right))
            || [left, right]
                .iter()
                .any(|e| is_number(cx, e) || reads_client_session(cx, e))
        {
            return;
        }
        cx.report_msg(
            &RULE,
            cmp.range(),
            format!("`{name}` is compared with `==`; use `hmac.compare_digest`"),
        );
    }
}

/// `expected_signature`, `dataset_digest`, `sig`: a signature or digest is a secret only when a
/// key made it (an HMAC, a signed request); otherwise it is a checksum of public content or a
/// schema or call signature, which anyone may know.
fn names_only_a_check_value(name: &str) -> bool {
    let w = words(name);
    let last = w.last().map(String::as_str);
    matches!(last, Some("signature" | "sig" | "digest"))
        && !w.iter().any(|x| {
            matches!(
                x.as_str(),
                "hmac" | "mac" | "secret" | "token" | "key" | "auth"
            )
        })
}

/// Inside a class named for reading text (`KhmerParser`, `SqlLexer`, `WordTokenizer`) or a
/// function that tokenizes, a `token` is a piece of the text being read; inside a function about
/// DNS records (`_has_dns_propagated`, `create_txt_record`), it is a domain-validation
/// challenge, published in DNS for anyone to read. Neither is a secret.
fn public_by_context(cx: &Checker) -> bool {
    let public = |name: &str| {
        words(name).iter().any(|w| {
            matches!(
                w.as_str(),
                "parser"
                    | "lexer"
                    | "tokenizer"
                    | "tokeniser"
                    | "tokenize"
                    | "tokenise"
                    | "tokenized"
                    | "tokenised"
                    | "dns"
                    | "txt"
            )
        })
    };
    cx.class_name().is_some_and(public) || cx.function_name().is_some_and(public)
}

/// Whether the enclosing function (or the module, outside one) works with network interfaces
/// (`iface`, `interface`, `is_valid_mac`, `dhcp`, `pxe`): there a `mac` is a network card's
/// hardware address, which anyone on the link sees, not a message authentication code.
fn network_code(cx: &Checker) -> bool {
    contains_any_ignore_case(
        enclosing_text(cx),
        &[
            b"iface",
            b"interface",
            b"valid_mac",
            b"mac_address",
            b"macaddr",
            b"dhcp",
            b"pxe",
            b"ethernet",
        ],
    )
}

/// The source of the enclosing function, or of the module outside one.
fn enclosing_text<'c>(cx: &'c Checker) -> &'c str {
    match cx.enclosing_function() {
        Some(f) => &cx.file.text[f.range()],
        None => cx.file.text.as_str(),
    }
}

/// Whether the enclosing function (or the module, outside one) works with a key: it mentions an
/// HMAC, a secret, an API or private key, or signing.
fn keyed_code(cx: &Checker) -> bool {
    contains_any_ignore_case(
        enclosing_text(cx),
        &[
            b"hmac",
            b"secret",
            b"api_key",
            b"apikey",
            b"private_key",
            b"signing",
            b"sign(",
        ],
    )
}

/// `int(raw) != expected`, or a name holding only such values (`n = int(raw)`, a parameter
/// annotated `int`): numbers are compared whole, not byte by byte, so timing tells nothing
/// about how much of a guess matched (a debounce counter, a version number).
fn is_number(cx: &Checker, e: &Expr) -> bool {
    let Expr::Name(n) = e else {
        return is_number_conversion(e);
    };
    let Some(f) = cx.enclosing_function() else {
        return false;
    };
    let name = n.id.as_str();
    let mut values = Vec::new();
    assignments_to(&f.body, name, &mut values, 0);
    let all_conversions =
        !values.is_empty() && values.iter().all(|v| v.is_some_and(is_number_conversion));
    if let Some(p) = f.parameters.iter().find(|p| p.name().as_str() == name) {
        return p.annotation().is_some_and(
            |a| matches!(a, Expr::Name(t) if matches!(t.id.as_str(), "int" | "float")),
        ) || (all_conversions && converted_first(&f.body, name, e.start()));
    }
    all_conversions
}

/// `token = int(token)` as a statement of the function's own body (or of a `try` there, whose
/// failure leaves the function) before `at`: every later use sees the number.
fn converted_first(body: &[Stmt], name: &str, at: ruff_text_size::TextSize) -> bool {
    let converts = |s: &Stmt| {
        matches!(s, Stmt::Assign(a) if s.end() <= at
            && a.targets.iter().any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == name))
            && is_number_conversion(&a.value))
    };
    body.iter().any(|s| match s {
        Stmt::Try(t) => t.body.iter().any(converts) && t.handlers.iter().all(leaves),
        other => converts(other),
    })
}

/// Whether an `except` handler ends by leaving the function (`return`, `raise`, `abort(...)`).
fn leaves(handler: &ast::ExceptHandler) -> bool {
    let ast::ExceptHandler::ExceptHandler(h) = handler;
    match h.body.last() {
        Some(Stmt::Return(_) | Stmt::Raise(_)) => true,
        Some(Stmt::Expr(x)) => matches!(&*x.value, Expr::Call(c)
            if matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "abort")),
        _ => false,
    }
}

/// Inside `__eq__` or `__ne__`: structural equality of two objects (`self.secret ==
/// other.secret` compares which Secret resource two specs name), not a check of a guess.
fn in_equality_method(cx: &Checker) -> bool {
    cx.class_name().is_some() && matches!(cx.function_name(), Some("__eq__" | "__ne__"))
}

/// A local assigned only the claims of a verified `jwt.decode(token, key, ...)`: whoever sent
/// the token already holds a validly signed one, so comparing its claims with the stored
/// record reveals nothing they could not read from it.
fn verified_claims(cx: &Checker, e: &Expr) -> bool {
    let (Expr::Name(n), Some(f)) = (e, cx.enclosing_function()) else {
        return false;
    };
    let mut values = Vec::new();
    assignments_to(&f.body, n.id.as_str(), &mut values, 0);
    !values.is_empty()
        && values.iter().all(|v| {
            matches!(v, Some(Expr::Call(c)) if super::fs407_jwt_verification_disabled::verified_decode(c))
        })
}

/// `int(raw)`, `float(raw)`.
fn is_number_conversion(e: &Expr) -> bool {
    matches!(e, Expr::Call(c) if matches!(&*c.func, Expr::Name(n) if matches!(n.id.as_str(), "int" | "float")))
}

/// `session["state"]`, or a local assigned only such reads: with Flask's default sessions the
/// value travels in the requester's own cookie (signed, not encrypted), so they can read it and
/// timing a comparison with it reveals nothing (an OAuth `state`, a CSRF nonce). Sessions kept
/// on the server are another matter: there a code the server mailed out is unknown to the
/// requester.
fn reads_client_session(cx: &Checker, e: &Expr) -> bool {
    if cx.project.server_side_sessions() {
        return false;
    }
    let is_read = |v: &Expr| lookup_owner(v).is_some_and(|o| cx.sem.is(o, "flask.session"));
    if is_read(e) {
        return true;
    }
    let Expr::Name(n) = e else { return false };
    let Some(f) = cx.enclosing_function() else {
        return false;
    };
    let mut values = Vec::new();
    assignments_to(&f.body, n.id.as_str(), &mut values, 0);
    !values.is_empty() && values.iter().all(|v| v.is_some_and(is_read))
}

/// `if store.get(LOCK) == token:` where the function itself set `token = str(uuid.uuid4())`:
/// a value made fresh by this call, compared with something that is not request data, is no
/// secret an attacker probes; the next request faces another one (a lock owner, a nonce the
/// server checks against its own store).
fn own_nonce_compared(cx: &Checker, left: &Expr, right: &Expr) -> bool {
    let own = |e: &Expr| matches!(e, Expr::Name(n) if assigned_fresh(cx, n.id.as_str()));
    let from_request = |e: &Expr| cx.is_request_derived(e);
    (own(left) && !from_request(right)) || (own(right) && !from_request(left))
}

/// Whether `e` is something handed in from outside the function, which a guesser may choose:
/// request data, a value built from a parameter (`form["code"]`, `kwargs.get("code")`,
/// `decode(signature)`), or a local assigned only such values. Two values the function
/// computed itself (an offline checksum against the metadata it decrypted) are no guess
/// anyone times. At module level nothing can be told apart, so everything counts.
fn is_input(cx: &Checker, e: &Expr) -> bool {
    if cx.is_request_derived(e) {
        return true;
    }
    let Some(f) = cx.enclosing_function() else {
        return true;
    };
    // The receiver is the object's own state, not something a caller hands in.
    let params: Vec<&str> = f
        .parameters
        .iter()
        .map(|p| p.name().as_str())
        .filter(|n| !matches!(*n, "self" | "cls"))
        .collect();
    let mentions_param = |value: &Expr| {
        let mut found = false;
        cx.any_subexpr(value, &mut |_, sub| {
            found |= matches!(sub, Expr::Name(n) if params.contains(&n.id.as_str()));
        });
        found
    };
    if mentions_param(e) {
        return true;
    }
    let Some(root) = root_name(e) else {
        return false;
    };
    if f.parameters.iter().any(|p| p.name().as_str() == root) {
        return false;
    }
    let mut values = Vec::new();
    assignments_to(&f.body, root, &mut values, 0);
    // A name the function never assigns (a global, a closure's variable) cannot be told apart.
    values.is_empty()
        || (matches!(e, Expr::Name(_)) && values.iter().all(|v| v.is_some_and(mentions_param)))
}

/// The name an access chain starts from: `cbc.digest()` → `cbc`, `meta["mac"]` → `meta`.
fn root_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Name(n) => Some(n.id.as_str()),
        Expr::Attribute(a) => root_name(&a.value),
        Expr::Subscript(s) => root_name(&s.value),
        Expr::Call(c) => match &*c.func {
            Expr::Attribute(a) => root_name(&a.value),
            _ => None,
        },
        _ => None,
    }
}

/// Whether every assignment to `name` in the enclosing function (none of whose parameters it
/// is) makes a fresh value, and there is one.
fn assigned_fresh(cx: &Checker, name: &str) -> bool {
    let Some(f) = cx.enclosing_function() else {
        return false;
    };
    if f.parameters.iter().any(|p| p.name().as_str() == name) {
        return false;
    }
    let mut values = Vec::new();
    assignments_to(&f.body, name, &mut values, 0);
    let project = cx.project;
    let fresh_function = |q: &str| project.is_fresh_function(q);
    !values.is_empty()
        && values
            .iter()
            .all(|v| v.is_some_and(|v| fresh::is_fresh(&cx.sem, v, &fresh_function)))
}

/// The values assigned to `name` in `body` (`None` for a binding whose value is unknown: an
/// augmented assignment, a loop or `with` target, a tuple target), not in nested functions.
fn assignments_to<'b>(body: &'b [Stmt], name: &str, out: &mut Vec<Option<&'b Expr>>, depth: usize) {
    if depth > 8 {
        out.push(None);
        return;
    }
    let binds = |t: &Expr| matches!(t, Expr::Name(n) if n.id.as_str() == name);
    let mentions = |t: &Expr| target_binds(t, name);
    for stmt in body {
        match stmt {
            Stmt::Assign(a) => {
                if a.targets.iter().any(binds) {
                    out.push(Some(&a.value));
                } else if a.targets.iter().any(mentions) {
                    out.push(None);
                }
            }
            Stmt::AnnAssign(a) if binds(&a.target) => out.push(a.value.as_deref()),
            Stmt::AugAssign(a) if binds(&a.target) => out.push(None),
            Stmt::For(f) => {
                if mentions(&f.target) {
                    out.push(None);
                }
                assignments_to(&f.body, name, out, depth + 1);
                assignments_to(&f.orelse, name, out, depth + 1);
            }
            Stmt::While(w) => {
                assignments_to(&w.body, name, out, depth + 1);
                assignments_to(&w.orelse, name, out, depth + 1);
            }
            Stmt::If(i) => {
                assignments_to(&i.body, name, out, depth + 1);
                for c in &i.elif_else_clauses {
                    assignments_to(&c.body, name, out, depth + 1);
                }
            }
            Stmt::With(w) => {
                if w.items
                    .iter()
                    .any(|i| i.optional_vars.as_deref().is_some_and(mentions))
                {
                    out.push(None);
                }
                assignments_to(&w.body, name, out, depth + 1);
            }
            Stmt::Try(t) => {
                for b in [&t.body, &t.orelse, &t.finalbody] {
                    assignments_to(b, name, out, depth + 1);
                }
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    assignments_to(&h.body, name, out, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// Whether an assignment target (`a`, `a, b`, `[a, *rest]`) binds `name`.
fn target_binds(t: &Expr, name: &str) -> bool {
    match t {
        Expr::Name(n) => n.id.as_str() == name,
        Expr::Tuple(x) => x.elts.iter().any(|e| target_binds(e, name)),
        Expr::List(x) => x.elts.iter().any(|e| target_binds(e, name)),
        Expr::Starred(x) => target_binds(&x.value, name),
        _ => false,
    }
}

/// A literal, an empty collection, or a name or attribute spelled like a constant
/// (`DEFAULT_KEY`, `ACTION.ADD_TOKEN`).
fn is_constant_like(e: &Expr) -> bool {
    let name = match e {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.as_str(),
        Expr::Dict(d) => return d.items.is_empty(),
        // Empty, or made of constants only: `(TokenType.CONTROL, "*")` is a kind of lexical
        // token a parser looks for, written in the source.
        Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
            return elts.iter().all(is_constant_like)
        }
        _ => return is_constant(e),
    };
    super::helpers::is_constant_style(name)
}

/// `Model.column` (an attribute of a capitalised class name): in SQLAlchemy or Peewee code,
/// `==` on it builds a SQL condition, not a comparison of two strings.
fn is_orm_column(e: &Expr) -> bool {
    let Expr::Attribute(a) = e else { return false };
    let owner = match &*a.value {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(inner) => inner.attr.as_str(),
        _ => return false,
    };
    owner.starts_with(|c: char| c.is_ascii_uppercase())
        && owner.bytes().any(|b| b.is_ascii_lowercase())
}

/// `if new != stored: stored = new`: the comparison detects a changed setting and the branch
/// stores the new value; nothing is authenticated by it.
fn records_change(cx: &Checker, left: &Expr, right: &Expr) -> bool {
    let Some(test) = cx.if_being_tested() else {
        return false;
    };
    let text = |e: &Expr| &cx.file.text[e.range()];
    let sides = [text(left), text(right)];
    test.body.iter().any(|stmt| {
        let Stmt::Assign(a) = stmt else { return false };
        a.targets.iter().any(|t| sides.contains(&text(t)))
    })
}

/// `if supplied != cached: ... cache[k] = supplied`: when they differ the branch (at any depth)
/// saves the compared value itself, so the other side is a copy of what the client sent before
/// (a cached credential to re-validate), not a server secret it must guess. An authentication
/// check never stores the value that failed it.
fn stores_new_value(cx: &Checker, left: &Expr, right: &Expr) -> bool {
    let Some(test) = cx.if_being_tested() else {
        return false;
    };
    let text = |e: &Expr| &cx.file.text[e.range()];
    let sides = [text(left), text(right)];
    body_stores(&test.body, &|value| sides.contains(&text(value)), 0)
}

/// Whether an assignment in `body`, or in a block nested in it, has a value `is_side` accepts.
fn body_stores(body: &[Stmt], is_side: &dyn Fn(&Expr) -> bool, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    body.iter().any(|stmt| match stmt {
        Stmt::Assign(a) => is_side(&a.value),
        Stmt::If(i) => {
            body_stores(&i.body, is_side, depth + 1)
                || i.elif_else_clauses
                    .iter()
                    .any(|c| body_stores(&c.body, is_side, depth + 1))
        }
        Stmt::With(w) => body_stores(&w.body, is_side, depth + 1),
        Stmt::Try(t) => body_stores(&t.body, is_side, depth + 1),
        _ => false,
    })
}

/// `token != session.csrf_token`, `token == users.session_token()`, or any comparison in a
/// `validate_csrf_token` method: an anti-CSRF token is the requester's own session value.
/// Whoever can time the comparison only probes the token of their own session; a forged request
/// comes from the victim's browser, whose timing the attacker never sees.
fn checks_csrf_token(cx: &Checker, left: &Expr, right: &Expr) -> bool {
    const CSRF: &[&[u8]] = &[b"csrf", b"xsrf"];
    // `user_manager.session_token()`: the token of the requester's own session.
    let session_token = |e: &Expr| {
        last_name(e).is_some_and(|n| {
            let w = words(&n);
            w.iter().any(|x| x == "session") && w.last().is_some_and(|x| x == "token")
        })
    };
    [left, right].iter().any(|e| {
        contains_any_ignore_case(cx.file.slice(e.range()), CSRF)
            || session_token(e)
            || matches!(e, Expr::Call(c) if session_token(&c.func))
    }) || cx
        .enclosing_function()
        .is_some_and(|f| f.name.as_str() == "validate_csrf_token")
}

/// `previous_otp`, `used_otp`: a one-time password that was already accepted once can never
/// authenticate again, so leaking it through timing (to detect a replay) gives nothing away.
fn is_spent_one_time_value(name: &str) -> bool {
    let w = words(name);
    w.last().is_some_and(|l| l == "otp")
        && w.iter().any(|p| {
            matches!(
                p.as_str(),
                "previous" | "prev" | "old" | "used" | "spent" | "consumed"
            )
        })
}

fn is_length(e: &Expr) -> bool {
    matches!(e, Expr::Call(c) if matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "len"))
}
