//! Project functions that raise unless an argument passes an allow-list check
//! (`if not _REVISION_RE.match(rev): raise NotFound(rev)`), directly or through a function of
//! their own that does (`def diff(self, a, b): self._validate(a); self._validate(b); ...`).
//! A caller that goes on after calling one (as a statement or for its result) holds a value
//! made only of the allowed characters or words, whatever the sink.
//!
//! Only checks before any `return` count: they run on every call that does not raise, so the
//! answer cannot be a `False` the caller ignores.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, CmpOp, Expr, Stmt, UnaryOp};

use super::index::{FuncInfo, Global};

/// How many calls deep a check is followed (`diff` → `_validate_revision`).
const MAX_LEVELS: usize = 3;

/// The positions (among all parameters, `self` first for methods) of the parameters `f` checks
/// by raising, directly or through the functions it calls first.
pub fn validated(g: &Global, f: &FuncInfo) -> Vec<usize> {
    validated_at(g, f, 0)
}

fn validated_at(g: &Global, f: &FuncInfo, level: usize) -> Vec<usize> {
    let names: Vec<&str> = super::engine::params(f.def)
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let position = |e: &Expr| match checked_name(e) {
        Some(n) => names.iter().position(|p| *p == n),
        None => None,
    };
    let mut out = Vec::new();
    for stmt in &f.def.body {
        if returns(stmt) {
            break;
        }
        match stmt {
            Stmt::If(i) if i.elif_else_clauses.is_empty() && fails(&i.body) => {
                let mut checked = Vec::new();
                checked_when_false(&i.test, &mut checked);
                out.extend(checked.into_iter().filter_map(position));
            }
            Stmt::Expr(x) if level < MAX_LEVELS => {
                let Expr::Call(c) = &*x.value else { continue };
                let Some(callee) = g
                    .files
                    .get(f.file as usize)
                    .and_then(|fc| g.callee_in(fc, f, &c.func))
                else {
                    continue;
                };
                for p in validated_at(g, callee, level + 1) {
                    if let Some(arg) = argument(callee, c, p) {
                        out.extend(position(arg));
                    }
                }
            }
            _ => {}
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The argument a call passes for the parameter at `position` of `callee`.
pub fn argument<'c>(
    callee: &FuncInfo,
    call: &'c ast::ExprCall,
    position: usize,
) -> Option<&'c Expr> {
    let params = super::engine::params(callee.def);
    let name = params.get(position)?.name.as_str();
    if let Some(k) = call
        .arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
    {
        return Some(&k.value);
    }
    let index = position.checked_sub(callee.offset)?;
    call.arguments
        .args
        .get(index)
        .filter(|a| !a.is_starred_expr())
}

/// The names a condition, being false, shows to be allowed: each operand of an `or` is false,
/// and `not check(x)` false is `check(x)` true.
fn checked_when_false<'e>(test: &'e Expr, out: &mut Vec<&'e Expr>) {
    match test {
        Expr::BoolOp(b) if b.op == ast::BoolOp::Or => {
            for v in &b.values {
                checked_when_false(v, out);
            }
        }
        Expr::UnaryOp(u) if u.op == UnaryOp::Not => checked_when_true(&u.operand, out),
        // `x not in ALLOWED`, with the allowed values written in the code.
        Expr::Compare(c)
            if c.ops.len() == 1
                && c.ops[0] == CmpOp::NotIn
                && is_fixed_collection(&c.comparators[0]) =>
        {
            out.push(&c.left);
        }
        _ => {}
    }
}

/// The names a condition, being true, shows to be allowed: a full match of a pattern, a
/// character-class test, membership in fixed values; each operand of an `and`.
fn checked_when_true<'e>(test: &'e Expr, out: &mut Vec<&'e Expr>) {
    match test {
        Expr::BoolOp(b) if b.op == ast::BoolOp::And => {
            for v in &b.values {
                checked_when_true(v, out);
            }
        }
        Expr::Compare(c)
            if c.ops.len() == 1
                && c.ops[0] == CmpOp::In
                && is_fixed_collection(&c.comparators[0]) =>
        {
            out.push(&c.left);
        }
        Expr::Call(c) => {
            let Expr::Attribute(a) = &*c.func else { return };
            let module_re = matches!(&*a.value, Expr::Name(n) if n.id.as_str() == "re");
            match a.attr.as_str() {
                "isdigit" | "isdecimal" | "isnumeric" | "isalnum" | "isalpha" | "isidentifier"
                    if c.arguments.is_empty() =>
                {
                    out.push(&a.value)
                }
                // `PATTERN.fullmatch(x)`, `PATTERN.match(x)`: a compiled allow-list pattern.
                "fullmatch" | "match" if !module_re => out.extend(c.arguments.args.first()),
                "fullmatch" if module_re => out.extend(c.arguments.args.get(1)),
                "match" if module_re && anchored_at_end(c.arguments.args.first()) => {
                    out.extend(c.arguments.args.get(1))
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// `r"^[a-z]+$"`, `r"\A...\Z"`: a literal pattern that must reach the end of the text.
fn anchored_at_end(pattern: Option<&Expr>) -> bool {
    matches!(pattern, Some(Expr::StringLiteral(s))
        if s.value.to_str().ends_with('$') || s.value.to_str().ends_with("\\Z"))
}

/// A literal collection of literals, or a name spelled like a constant (`ALLOWED_MODES`).
fn is_fixed_collection(e: &Expr) -> bool {
    match e {
        Expr::List(ast::ExprList { elts, .. })
        | Expr::Tuple(ast::ExprTuple { elts, .. })
        | Expr::Set(ast::ExprSet { elts, .. }) => elts.iter().all(Expr::is_literal_expr),
        Expr::Name(n) => crate::rules::helpers::is_constant_style(n.id.as_str()),
        _ => false,
    }
}

/// The parameter name a check is about: `x`, or `str(x)`.
fn checked_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Name(n) => Some(n.id.as_str()),
        Expr::Call(c)
            if matches!(&*c.func, Expr::Name(f) if f.id.as_str() == "str")
                && c.arguments.len() == 1 =>
        {
            c.arguments.args.first().and_then(checked_name)
        }
        _ => None,
    }
}

/// Whether a block ends by raising or aborting.
fn fails(body: &[Stmt]) -> bool {
    match body.last() {
        Some(Stmt::Raise(_)) => true,
        Some(Stmt::Expr(x)) => matches!(&*x.value, Expr::Call(c)
            if matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "abort")),
        _ => false,
    }
}

/// Whether a statement holds a `return` (outside nested functions and classes).
fn returns(stmt: &Stmt) -> bool {
    struct Finder {
        found: bool,
    }
    impl<'a> Visitor<'a> for Finder {
        fn visit_stmt(&mut self, s: &'a Stmt) {
            match s {
                Stmt::Return(_) => self.found = true,
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                _ if !self.found => visitor::walk_stmt(self, s),
                _ => {}
            }
        }
        fn visit_expr(&mut self, _: &'a Expr) {}
    }
    let mut f = Finder { found: false };
    f.visit_stmt(stmt);
    f.found
}
