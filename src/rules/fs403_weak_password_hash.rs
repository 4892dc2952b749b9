//! FS403 weak-password-hash.

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

use super::helpers::{argument, is_password_name, last_name, literal_text, lookup_owner, words};
use super::local_flow::{assigned_values, only_a_memo_key, only_sliced};
use super::outbound::{only_sent_out, site_of};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;

pub const RULE: Rule = Rule {
    id: "FS403",
    name: "weak-password-hash",
    severity: Severity::High,
    cwe: &[916],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "A password is hashed with a fast, unsalted hash",
    fix: "Use `werkzeug.security.generate_password_hash(password)` (scrypt/pbkdf2 with salt) or argon2-cffi/bcrypt; never md5/sha1/sha256 of the password.",
    help: "General-purpose hashes are built to be fast: a GPU tries billions of MD5 or SHA-256 guesses per second, and without a salt one precomputed table cracks every user at once. Password hashes must be slow and salted.",
    bad: "hashlib.sha256(password.encode()).hexdigest()",
    good: "generate_password_hash(password)",
};

/// Hash functions that must not hash passwords directly.
pub const FAST_HASHES: &[&str] = &[
    "hashlib.md5",
    "hashlib.sha1",
    "hashlib.sha224",
    "hashlib.sha256",
    "hashlib.sha384",
    "hashlib.sha512",
    "hashlib.sha3_256",
    "hashlib.sha3_512",
    "hashlib.blake2b",
    "hashlib.blake2s",
];

/// Whether the call hashes a password with a fast hash.
pub fn hashes_password(cx: &Checker, call: &ExprCall, callee: &str) -> bool {
    let data = if FAST_HASHES.contains(&callee) {
        call.arguments.args.first()
    } else if callee == "hashlib.new" {
        call.arguments.args.get(1)
    } else {
        None
    };
    data.is_some_and(|d| mentions_password(cx, d))
}

fn mentions_password(cx: &Checker, e: &Expr) -> bool {
    let mut found = false;
    cx.any_subexpr(e, &mut |cx, sub| {
        found |= names_password(sub)
            && !composed_message(cx, sub)
            && !configured(cx, sub, 0)
            && !holds_slow_hash(cx, sub);
    });
    found
}

/// `user.password`, `pw`, `form["passwd"]`, but not `password_hash`.
fn names_password(e: &Expr) -> bool {
    matches!(e, Expr::Name(_) | Expr::Attribute(_) | Expr::Subscript(_))
        && last_name(e).is_some_and(|n| is_password_name(&n) && !names_derived_value(&n))
}

/// `api_pass = api_key + "/item/" + item_id + day`: a local the function itself builds by
/// concatenating values none of which is a password is a message (a request signature, a
/// cache key), whatever its name says; passwords are received, not assembled.
fn composed_message(cx: &Checker, e: &Expr) -> bool {
    let Expr::Name(n) = e else {
        return false;
    };
    let Some(values) = assigned_values(cx, n.id.as_str(), n.start()) else {
        return false;
    };
    values.iter().all(|v| {
        let composed = matches!(v, Expr::BinOp(_) | Expr::FString(_));
        let mut password_part = false;
        cx.any_subexpr(v, &mut |_, part| password_part |= names_password(part));
        composed && !password_part
    })
}

/// `user.password` where every store to a `.password` attribute in the module is the result of a
/// slow password hash (`u.password = User.hash_password(pw)` with bcrypt behind it,
/// `generate_password_hash(pw)`): the attribute holds a hash already, and a digest of it (a
/// signing salt for remember-me tokens) hashes no password anyone could crack from it.
fn holds_slow_hash(cx: &Checker, e: &Expr) -> bool {
    use ruff_python_ast::statement_visitor::{walk_stmt, StatementVisitor};
    let Expr::Attribute(a) = e else {
        return false;
    };
    struct Stores<'n> {
        attr: &'n str,
        slow: usize,
        other: bool,
        depth: usize,
    }
    impl<'x> StatementVisitor<'x> for Stores<'_> {
        fn visit_stmt(&mut self, s: &'x ruff_python_ast::Stmt) {
            if self.depth > 64 {
                return;
            }
            if let ruff_python_ast::Stmt::Assign(assign) = s {
                let stores = assign
                    .targets
                    .iter()
                    .any(|t| matches!(t, Expr::Attribute(t) if t.attr.as_str() == self.attr));
                if stores {
                    if slow_hash_call(&assign.value) {
                        self.slow += 1;
                    } else {
                        self.other = true;
                    }
                }
            }
            self.depth += 1;
            walk_stmt(self, s);
            self.depth -= 1;
        }
    }
    let mut stores = Stores {
        attr: a.attr.as_str(),
        slow: 0,
        other: false,
        depth: 0,
    };
    stores.visit_body(cx.file.body());
    stores.slow > 0 && !stores.other
}

/// `hash_password(pw)`, `generate_password_hash(pw)`, `bcrypt.hashpw(...)`: a call named as a
/// password hash that names no fast digest (`md5_hash`, `sha256_password`).
fn slow_hash_call(e: &Expr) -> bool {
    let Expr::Call(c) = e else { return false };
    last_name(&c.func).is_some_and(|n| {
        let w = words(&n);
        w.iter().any(|w| matches!(w.as_str(), "hash" | "hashpw"))
            && !w
                .iter()
                .any(|w| w.starts_with("md5") || w.starts_with("sha") || w.starts_with("blake"))
    })
}

/// `config["password"]`, `os.environ["API_PASS"]`, `self.config["pass"].as_str()`, or a local
/// assigned only those (also built into a longer string with them): a password the app keeps
/// in its configuration to log in to another service. Its plaintext sits in the settings
/// anyway, so a digest of it (the login token that service demands) stores nothing to crack.
fn configured(cx: &Checker, e: &Expr, depth: usize) -> bool {
    if depth > 4 {
        return false;
    }
    if let Some(owner) = lookup_owner(e) {
        return last_name(owner).is_some_and(|n| {
            matches!(
                n.as_ref(),
                "config" | "settings" | "conf" | "cfg" | "environ"
            )
        });
    }
    match e {
        // `.as_str()`, `.get()`, `.strip()` of a configured value.
        Expr::Call(c) if c.arguments.is_empty() => {
            matches!(&*c.func, Expr::Attribute(a) if configured(cx, &a.value, depth + 1))
        }
        Expr::Name(n) => assigned_values(cx, n.id.as_str(), n.start()).is_some_and(|values| {
            !values.is_empty()
                && values.iter().all(|v| {
                    let mut parts_configured = true;
                    cx.any_subexpr(v, &mut |cx, part| {
                        if names_password(part) && !configured(cx, part, depth + 1) {
                            parts_configured = false;
                        }
                    });
                    configured(cx, v, depth + 1)
                        || (matches!(v, Expr::BinOp(_) | Expr::FString(_)) && parts_configured)
                })
        }),
        _ => false,
    }
}

/// `password_hash`, `passwordDigest`: an already hashed password (mixing it into a signing key
/// hashes no password). `get_random_password(512)`, `generated_password`: a fresh random
/// string the code makes for a reset or confirmation key, which no one chose and no one can
/// guess, so a fast digest of it protects as well as a slow one.
fn names_derived_value(name: &str) -> bool {
    words(name).iter().any(|w| {
        matches!(
            w.as_str(),
            "hash" | "hashed" | "digest" | "salt" | "random" | "generate" | "generated" | "gen"
        )
    })
}

/// Inside a function that takes both a salt and a round count (`crypt(password, salt,
/// rounds=5000)`, `pbkdf(pw, salt, iterations)`): an implementation of a salted, iterated scheme
/// such as sha512-crypt, whose single digest calls are its steps, not a fast hash of a password.
fn in_salted_iterated_scheme(cx: &Checker) -> bool {
    cx.enclosing_function().is_some_and(|f| {
        let names: Vec<String> = f
            .parameters
            .iter()
            .flat_map(|p| words(p.name().as_str()))
            .collect();
        names.iter().any(|w| w == "salt")
            && names.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "rounds" | "round" | "iterations" | "iteration" | "iters"
                )
            })
    })
}

/// Inside a function named as legacy (`create_legacy_password_hash`, `check_legacy`): code kept
/// to verify hashes stored by an older release, which the app upgrades on the next login; the
/// weak scheme is known and deliberate there.
fn in_legacy_function(cx: &Checker) -> bool {
    cx.function_name()
        .is_some_and(|f| words(f).iter().any(|w| w == "legacy"))
}

/// `key = sha3_512(password).hexdigest()` where `key` only indexes an in-memory cache filled in
/// the same function (`if key in checked: ...; checked[key] = ok`): the digest is never stored
/// as a password record, returned or compared, so its speed helps no offline cracking.
fn memo_key(cx: &Checker, call: &ExprCall) -> bool {
    digest_name(cx, call).is_some_and(|name| only_a_memo_key(cx, name))
}

/// `sha = sha1(password.encode()).hexdigest().upper()` used only in pieces (`sha[:5]` sent to a
/// breach-list service, `sha[5:]` looked up in its answer): the k-anonymity lookup of Have I
/// Been Pwned and its kind, which that protocol fixes to SHA-1. A stored password hash is kept
/// and compared whole, never split.
fn only_split(cx: &Checker, call: &ExprCall) -> bool {
    digest_name(cx, call).is_some_and(|name| only_sliced(cx, name))
}

/// The local a digest is assigned to: the hash object itself, or what methods of it return
/// (`.hexdigest()`, `.hexdigest().upper()`).
fn digest_name<'a>(cx: &Checker<'a>, call: &ExprCall) -> Option<&'a str> {
    let (name, value) = cx.assignment_to_name()?;
    let mut link = value;
    loop {
        if link.range() == call.range() {
            return Some(name);
        }
        match link {
            Expr::Call(c) => match &*c.func {
                Expr::Attribute(a) => link = &a.value,
                _ => return None,
            },
            _ => return None,
        }
    }
}

/// `sha1(md5(password).hexdigest())`: the inner digest is one step of the outer hash, which is
/// judged (and reported) as the password hash.
fn rehashed(cx: &Checker, call: &ExprCall) -> bool {
    site_of(cx, call.range()).is_some_and(|site| {
        site.enclosing().any(|e| {
            matches!(e, Expr::Call(outer) if cx.sem.resolve(&outer.func)
                .is_some_and(|callee| hashes_password(cx, outer, &callee)))
        })
    })
}

/// A digest the function only sends to another server (`api_request("login",
/// password=sha256(pw).hexdigest())`, a dict it posts) is the login format that server demands:
/// the client must keep the password itself to log in, and no hash is stored for cracking.
fn only_sent(cx: &Checker, call: &ExprCall) -> bool {
    only_sent_out(cx, call.range())
}

/// Fast hashes of passwords, and `generate_password_hash(method="plain"|"md5"|"sha256")`.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    if hashes_password(cx, call, callee)
        && !in_legacy_function(cx)
        && !in_salted_iterated_scheme(cx)
        && !memo_key(cx, call)
        && !only_split(cx, call)
        && !rehashed(cx, call)
        && !only_sent(cx, call)
    {
        cx.report(&RULE, call.range());
        return;
    }
    if callee != "werkzeug.security.generate_password_hash" {
        return;
    }
    if let Some(method) = argument(call, 1, "method") {
        if let Some(m) = literal_text(method) {
            let strong = ["pbkdf2", "scrypt", "argon2", "bcrypt"]
                .iter()
                .any(|s| m.starts_with(s));
            if !strong {
                cx.report_msg(&RULE, method.range(), format!("`generate_password_hash(method=\"{m}\")` stores passwords with a weak or no hash"));
            }
        }
    }
}
