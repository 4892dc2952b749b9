//! Fresh values: what a random or UUID generator makes anew at each call (`uuid.uuid4()`,
//! `secrets.token_hex()`, `str(uuid.uuid4())`, a project helper `def new_id(): return
//! uuid.uuid4()`). A value the code made itself a moment ago is no secret an attacker can probe
//! over repeated requests: each call makes another one.

use ruff_python_ast::{Expr, Stmt};

use super::semantic::Semantic;

/// Library calls that make a new unguessable (or at least new) value at each call.
const GENERATORS: &[&str] = &[
    "uuid.uuid4",
    "uuid.uuid1",
    "secrets.token_hex",
    "secrets.token_urlsafe",
    "secrets.token_bytes",
    "os.urandom",
];

/// Text forms of a value that keep it what it was (`str(u)`, `u.hex`, `u.hex()`).
const TEXT_FORMS: &[&str] = &["hex", "urn", "decode"];

/// Whether `e` makes a fresh value: a generator call (of the library, or a project function
/// `is_fresh_function` accepts), or its text form.
pub fn is_fresh(sem: &Semantic, e: &Expr, is_fresh_function: &dyn Fn(&str) -> bool) -> bool {
    fresh_within(sem, e, is_fresh_function, 4)
}

fn fresh_within(
    sem: &Semantic,
    e: &Expr,
    is_fresh_function: &dyn Fn(&str) -> bool,
    depth: usize,
) -> bool {
    if depth == 0 {
        return false;
    }
    let inner = |x: &Expr| fresh_within(sem, x, is_fresh_function, depth - 1);
    match e {
        Expr::Attribute(a) => TEXT_FORMS.contains(&a.attr.as_str()) && inner(&a.value),
        Expr::Call(c) => match &*c.func {
            // `u.hex()`, `token.decode()`
            Expr::Attribute(a) if TEXT_FORMS.contains(&a.attr.as_str()) => inner(&a.value),
            // `str(uuid.uuid4())`
            Expr::Name(n) if n.id.as_str() == "str" => {
                c.arguments.args.len() == 1 && inner(&c.arguments.args[0])
            }
            func => sem
                .resolve(func)
                .is_some_and(|q| GENERATORS.contains(&q.as_str()) || is_fresh_function(&q)),
        },
        _ => false,
    }
}

/// Whether a function body only returns a fresh value made by a library generator
/// (`"""doc"""; return uuid.uuid4()`).
pub fn returns_fresh(sem: &Semantic, body: &[Stmt]) -> bool {
    let body = match body {
        [Stmt::Expr(doc), rest @ ..] if doc.value.is_string_literal_expr() => rest,
        other => other,
    };
    matches!(body, [Stmt::Return(r)]
        if r.value.as_deref().is_some_and(|v| is_fresh(sem, v, &|_| false)))
}

/// Whether a file's text can hold a generator call (cheap test before parsing its functions).
pub fn mentions_generator(text: &str) -> bool {
    super::words::mentions_any(text, &["uuid", "secrets", "urandom"])
}
