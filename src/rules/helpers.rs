//! Small predicates over expressions that many rules share.

use std::borrow::Cow;

use ruff_python_ast::{Expr, ExprCall, Number, Stmt, UnaryOp};

use crate::python::checker::Checker;
use crate::python::locals::module_values;
use crate::python::semantic::Semantic;

/// `True`, a non-zero number, or a string like `"1"`/`"true"`/`"yes"`.
pub fn is_truthy_literal(expr: &Expr) -> bool {
    match expr {
        Expr::BooleanLiteral(b) => b.value,
        Expr::NumberLiteral(n) => matches!(&n.value, Number::Int(i) if i.as_u64() != Some(0)),
        Expr::StringLiteral(s) => matches!(
            s.value.to_str().trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        ),
        _ => false,
    }
}

/// `False`, `0`, or a string like `"0"`/`"false"`/`"no"`.
pub fn is_falsy_literal(expr: &Expr) -> bool {
    match expr {
        Expr::BooleanLiteral(b) => !b.value,
        Expr::NumberLiteral(n) => matches!(&n.value, Number::Int(i) if i.as_u64() == Some(0)),
        Expr::StringLiteral(s) => matches!(
            s.value.to_str().trim().to_ascii_lowercase().as_str(),
            "0" | "false" | "no" | "off"
        ),
        Expr::UnaryOp(u) if u.op == UnaryOp::Not => is_truthy_literal(&u.operand),
        _ => false,
    }
}

/// `None` or the string `"None"` (how `samesite` is switched off).
pub fn is_none_value(expr: &Expr) -> bool {
    match expr {
        Expr::NoneLiteral(_) => true,
        Expr::StringLiteral(s) => s.value.to_str().eq_ignore_ascii_case("none"),
        _ => false,
    }
}

/// The text of a string or bytes literal (bytes decoded lossily).
pub fn literal_text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        Expr::BytesLiteral(b) => {
            let bytes: Vec<u8> = b.value.bytes().collect();
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        _ => None,
    }
}

/// The value of keyword `name` in a call.
/// The value of a literal key in a dict display: `{"autoescape": True}` → `True`.
pub fn dict_value<'a>(d: &'a ruff_python_ast::ExprDict, key: &str) -> Option<&'a Expr> {
    d.items
        .iter()
        .find(|i| i.key.as_ref().and_then(literal_text).as_deref() == Some(key))
        .map(|i| &i.value)
}

pub fn keyword<'a>(call: &'a ExprCall, name: &str) -> Option<&'a Expr> {
    call.arguments.find_keyword(name).map(|k| &k.value)
}

/// Positional argument `index`, or keyword `name`.
pub fn argument<'a>(call: &'a ExprCall, index: usize, name: &str) -> Option<&'a Expr> {
    call.arguments
        .args
        .get(index)
        .filter(|a| !a.is_starred_expr())
        .or_else(|| keyword(call, name))
}

/// Whether `expr` reads the environment: `os.environ[...]`, `os.environ.get(...)`, `os.getenv(...)`.
pub fn is_env_read(sem: &Semantic, expr: &Expr) -> bool {
    match expr {
        Expr::Subscript(s) => sem.is(&s.value, "os.environ"),
        Expr::Call(c) => matches!(
            sem.resolve(&c.func).as_deref(),
            Some("os.environ.get" | "os.getenv" | "os.environ.setdefault")
        ),
        _ => false,
    }
}

/// The fallback of an environment read: `os.environ.get("K", fallback)`, `os.getenv("K") or fallback`.
pub fn env_fallback<'a>(sem: &Semantic, expr: &'a Expr) -> Option<&'a Expr> {
    match expr {
        Expr::Call(c) if is_env_read(sem, expr) => argument(c, 1, "default"),
        Expr::BoolOp(b) if b.values.first().is_some_and(|v| is_env_read(sem, v)) => b.values.get(1),
        _ => None,
    }
}

/// The mapping a lookup reads: `m` of `m["k"]` or `m.get("k")`.
pub fn lookup_owner(expr: &Expr) -> Option<&Expr> {
    match expr {
        Expr::Subscript(s) => Some(&s.value),
        Expr::Call(c) => match &*c.func {
            Expr::Attribute(a) if a.attr.as_str() == "get" => Some(&a.value),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `expr` reads Flask configuration: `app.config["K"]`, `current_app.config.get("K")`.
pub fn is_config_read(expr: &Expr) -> bool {
    lookup_owner(expr)
        .is_some_and(|owner| matches!(owner, Expr::Attribute(a) if a.attr.as_str() == "config"))
}

/// Whether `expr` reads a value the operator sets at start-up: the environment or Flask config.
pub fn is_operator_setting(sem: &Semantic, expr: &Expr) -> bool {
    is_env_read(sem, expr) || is_config_read(expr)
}

/// Whether `expr` only falls back on something when the operator left a setting unset:
/// `os.getenv("K") or fallback`, `os.environ.get("K", fallback)`, `app.config.get("K") or
/// fallback`, `app.config.get("K", fallback)`.
pub fn is_operator_fallback(sem: &Semantic, expr: &Expr) -> bool {
    match expr {
        Expr::Call(c) => is_operator_setting(sem, expr) && argument(c, 1, "default").is_some(),
        Expr::BoolOp(b) => {
            b.op == ruff_python_ast::BoolOp::Or
                && b.values.len() > 1
                && is_operator_setting(sem, &b.values[0])
        }
        _ => false,
    }
}

/// Whether `name` contains one of `stems` (lowercase ASCII), ignoring ASCII case: a cheap
/// refusal before splitting an identifier into words, which allocates.
pub fn contains_any_ignore_case(name: &str, stems: &[&[u8]]) -> bool {
    let bytes = name.as_bytes();
    stems.iter().any(|stem| {
        bytes
            .windows(stem.len())
            .any(|w| w.eq_ignore_ascii_case(stem))
    })
}

/// Splitting names into words lives with the front end, which judges names too (view bodies).
pub use crate::python::words::words;

/// The last name of an expression: `user.password` → `password`, `row["pw"]` → `pw`.
pub fn last_name(expr: &Expr) -> Option<Cow<'_, str>> {
    // Borrowed wherever the tree holds the text: this runs on both sides of every comparison.
    fn key(e: &Expr) -> Option<Cow<'_, str>> {
        match e {
            Expr::StringLiteral(s) => Some(Cow::Borrowed(s.value.to_str())),
            other => literal_text(other).map(Cow::Owned),
        }
    }
    match expr {
        Expr::Name(n) => Some(Cow::Borrowed(n.id.as_str())),
        Expr::Attribute(a) => Some(Cow::Borrowed(a.attr.as_str())),
        Expr::Subscript(s) => key(&s.slice),
        Expr::Call(c) => {
            // `request.form.get("password")` names its key.
            if let Expr::Attribute(a) = &*c.func {
                if a.attr.as_str() == "get" {
                    return c.arguments.args.first().and_then(key);
                }
            }
            None
        }
        _ => None,
    }
}

/// Whether `name` is about passwords (`password`, `passwd`, `pwd`, `user_pass`).
pub fn is_password_name(name: &str) -> bool {
    if !contains_any_ignore_case(name, &[b"pass", b"pwd"]) {
        return false;
    }
    words(name).iter().any(|w| {
        w.starts_with("password")
            || w.starts_with("passwd")
            || w == "pwd"
            || w == "pass"
            || w == "passphrase"
    })
}

/// How an assignment sets Flask's template autoescaping, when it does.
pub enum AutoescapeSetting<'a> {
    /// `app.jinja_env.autoescape = value`
    Env(&'a Expr),
    /// `app.jinja_options = {"autoescape": value, ...}`
    Options(&'a Expr),
}

/// The autoescape value `stmt` assigns, through `jinja_env.autoescape` or `jinja_options`.
pub fn autoescape_setting(stmt: &Stmt) -> Option<AutoescapeSetting<'_>> {
    let Stmt::Assign(a) = stmt else { return None };
    a.targets.iter().find_map(|t| {
        let Expr::Attribute(attr) = t else { return None };
        match attr.attr.as_str() {
            "autoescape"
                if matches!(&*attr.value, Expr::Attribute(e) if e.attr.as_str() == "jinja_env") =>
            {
                Some(AutoescapeSetting::Env(&a.value))
            }
            "jinja_options" => match &*a.value {
                Expr::Dict(d) => dict_value(d, "autoescape").map(AutoescapeSetting::Options),
                _ => None,
            },
            _ => None,
        }
    })
}

/// A name spelled like a module constant (`DEFAULT_KEY`, `SQL_QUERY`): upper case, more than one
/// character.
pub fn is_constant_style(name: &str) -> bool {
    name.len() > 1
        && name.bytes().any(|b| b.is_ascii_uppercase())
        && !name.bytes().any(|b| b.is_ascii_lowercase())
}

/// A literal (string, number, bool, None) that cannot carry a secret comparison.
pub fn is_constant(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
            | Expr::EllipsisLiteral(_)
    )
}

/// Whether the enclosing function is a command of a command-line group (`@click.command()`,
/// `@cli.command("create-app")`, `@app.cli.command()`), even in a module that also serves the
/// web: it answers no request, so what it renders goes to files and the terminal, and the forms
/// it fills come from its own arguments.
pub fn in_cli_command(cx: &Checker) -> bool {
    cx.enclosing_function().is_some_and(|f| {
        f.decorator_list.iter().any(|d| {
            let e = match &d.expression {
                Expr::Call(c) => &*c.func,
                other => other,
            };
            last_name(e).is_some_and(|n| n == "command")
        })
    })
}

/// A module-level name whose every assignment is a string literal (`CALLBACK_TOKEN = "x"`,
/// `DEFAULTS = """..."""`), not a local of the enclosing function: text written in the
/// source, which no client chooses.
pub fn is_module_literal(cx: &Checker, e: &Expr) -> bool {
    let Expr::Name(name) = e else { return false };
    module_values(cx, name.id.as_str()).is_some_and(|values| {
        values
            .iter()
            .all(|v| matches!(v, Expr::StringLiteral(_) | Expr::BytesLiteral(_)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_identifiers() {
        assert_eq!(words("apiKey_value"), vec!["api", "key", "value"]);
        assert_eq!(words("SECRET_KEY"), vec!["secret", "key"]);
        assert!(is_password_name("user_password"));
        assert!(!is_password_name("passenger"));
        assert!(!is_password_name("bypass"));
    }
}
