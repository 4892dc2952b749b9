//! Mode flags: a parameter the body branches on, whose value a call fixes
//! (`def export(path, from_cli=False): if from_cli: ... else: path = checked(path)`). A call that
//! leaves the flag at its default, or passes a boolean literal, only ever runs one branch, so the
//! callee is summarised for that value: the other branch's flows belong to other callers.
//! - A flag with another literal default (`wiki_name=""`) is fixed when the call leaves it out;
//!   one compared with a literal (`if kind == "json":`) also when a text or number is passed.
//! - A predicate, a function that is one `return` of a test (`return name in ["", "Self"]`), is
//!   summarised for any literal passed, so the caller's branch on its answer is decided too.
//! - A `**kwargs` the body branches on (`if kwargs:`, `if len(kwargs):`) is empty for a call
//!   passing no keyword beyond the named parameters.

use std::sync::Arc;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

use super::constfold::{self, Lit};

/// Flags only the first this many parameters.
const MAX_FLAGS: usize = 16;

/// The mode flags of a function: which parameters (by position) are flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModeFlags {
    /// Parameters with a literal default that the body tests, or a predicate's parameters.
    pub mask: u16,
    /// Of those, the ones with a boolean default: a boolean literal passed fixes them too.
    pub booleans: u16,
    /// Of those, the ones compared with a literal (`if kind == "json":`): a literal passed fixes
    /// them too, deciding the comparison.
    pub compared: u16,
    /// The function is one `return` of a test on its parameters: any literal passed fixes them.
    pub predicate: bool,
    /// The body branches on whether its `**kwargs` holds anything.
    pub extra_keywords: bool,
}

/// A parameter's value fixed by a call: a literal's truth, text or number.
#[derive(Debug, Clone, PartialEq)]
pub struct Fixed {
    pub truth: bool,
    pub text: Option<Arc<str>>,
    pub number: Option<f64>,
}

impl Fixed {
    /// What a call passes, when it is built from literals only.
    pub fn of_value(v: &super::value::Val) -> Option<Self> {
        let truth = v.truth.filter(|_| v.constant && !v.is_tainted())?;
        Some(Self {
            truth,
            text: v.text.clone(),
            number: v.number,
        })
    }

    /// The value of a default written as a literal.
    fn of_literal(e: &Expr) -> Option<Self> {
        let lit = constfold::literal(e)?;
        Some(Self {
            truth: constfold::truth(&lit),
            text: match &lit {
                Lit::Str(s) => Some(s.clone()),
                _ => None,
            },
            number: match lit {
                Lit::Num(n) => Some(n),
                _ => None,
            },
        })
    }
}

/// Flag values known at one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Known {
    /// The fixed parameters, by position.
    pub values: Vec<(usize, Fixed)>,
    /// Whether the call's `**kwargs` holds anything, if the callee branches on it and the call
    /// tells (no `**mapping` passed).
    pub extra_keywords: Option<bool>,
    /// Parameters given a URL of this application or of a configured service (see
    /// [`app_paths`](super::app_paths)), by position, with that URL's kind: what the callee
    /// appends to them cannot change the host.
    pub app_urls: Vec<(usize, Arc<str>)>,
}

impl Known {
    /// The value of parameter `i`, if this call fixes it.
    pub fn get(&self, i: usize) -> Option<&Fixed> {
        self.values.iter().find(|(p, _)| *p == i).map(|(_, f)| f)
    }

    /// Whether the call fixes nothing.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.extra_keywords.is_none()
    }

    /// The name a summary for these values is kept under.
    pub fn memo_key(&self, qualified: &str) -> String {
        let mut key = qualified.to_string();
        for (i, f) in &self.values {
            key.push_str(&format!("#{i}:{}", u8::from(f.truth)));
            if let Some(t) = &f.text {
                key.push_str(&format!("s{}{t}", t.len()));
            }
            if let Some(n) = f.number {
                key.push_str(&format!("n{n}"));
            }
        }
        match self.extra_keywords {
            None => {}
            Some(false) => key.push_str("#k0"),
            Some(true) => key.push_str("#k1"),
        }
        for (i, kind) in &self.app_urls {
            key.push_str(&format!("#u{i}:{kind}"));
        }
        key
    }
}

/// Reads the mode flags of `def` (parameters in declaration order, as the engine numbers them).
pub fn mode_flags(def: &ast::StmtFunctionDef) -> ModeFlags {
    let p = &def.parameters;
    let all = p.posonlyargs.iter().chain(&p.args).chain(&p.kwonlyargs);
    let returned = predicate_test(def);
    let mut tested = IfTests::default();
    match returned {
        Some(test) => NamesRead(&mut tested.names).visit_expr(test),
        None => {
            for s in &def.body {
                tested.visit_stmt(s);
            }
        }
    }
    let is_tested = |name: &str| tested.names.iter().any(|n| n == name);
    let mut out = ModeFlags {
        predicate: returned.is_some(),
        extra_keywords: p.kwarg.as_ref().is_some_and(|k| is_tested(k.name.as_str())),
        ..ModeFlags::default()
    };
    for (i, param) in all.enumerate().take(MAX_FLAGS) {
        let default = param.default.as_deref();
        let literal = default.is_some_and(|d| constfold::literal(d).is_some());
        if !(literal || out.predicate) || !is_tested(param.parameter.name.as_str()) {
            continue;
        }
        out.mask |= 1 << i;
        if matches!(default, Some(Expr::BooleanLiteral(_))) {
            out.booleans |= 1 << i;
        }
        if tested
            .compared
            .iter()
            .any(|n| n == param.parameter.name.as_str())
        {
            out.compared |= 1 << i;
        }
    }
    if out.mask == 0 {
        out.predicate = false;
    }
    out
}

/// The test a predicate returns: its body (after a docstring) is one `return` of a comparison, a
/// negation or a boolean operation.
fn predicate_test(def: &ast::StmtFunctionDef) -> Option<&Expr> {
    let body = match def.body.first() {
        Some(Stmt::Expr(e)) if e.value.is_string_literal_expr() => &def.body[1..],
        _ => &def.body[..],
    };
    match body {
        [Stmt::Return(ast::StmtReturn { value: Some(v), .. })]
            if matches!(&**v, Expr::Compare(_) | Expr::UnaryOp(_) | Expr::BoolOp(_)) =>
        {
            Some(v)
        }
        _ => None,
    }
}

/// What a call fixes of `def`'s `flags`. `passed[i]` is the value of the literal given for
/// parameter `i` (`Some(None)`: not a literal), or nothing when the parameter was not passed: a
/// flag left out takes its literal default; a literal passed fixes a boolean flag or a
/// predicate's parameter. `extra_keywords` is whether keywords beyond the named parameters were
/// passed (`None`: a `**mapping` was, which may hold any).
pub fn at_call(
    def: &ast::StmtFunctionDef,
    flags: ModeFlags,
    passed: &[Option<Option<Fixed>>],
    extra_keywords: Option<bool>,
) -> Known {
    let mut out = Known {
        extra_keywords: extra_keywords.filter(|_| flags.extra_keywords),
        ..Known::default()
    };
    if flags.mask == 0 {
        return out;
    }
    let p = &def.parameters;
    let all = p.posonlyargs.iter().chain(&p.args).chain(&p.kwonlyargs);
    for (i, (param, arg)) in all.zip(passed).enumerate().take(MAX_FLAGS) {
        if flags.mask & (1 << i) == 0 {
            continue;
        }
        let value = match arg {
            None => param.default.as_deref().and_then(Fixed::of_literal),
            Some(Some(f)) if flags.predicate || flags.booleans & (1 << i) != 0 => Some(f.clone()),
            // A text or a number decides the comparison; a container literal is no scalar to
            // compare, and fixing it would drop what it holds.
            Some(Some(f))
                if flags.compared & (1 << i) != 0 && (f.text.is_some() || f.number.is_some()) =>
            {
                Some(f.clone())
            }
            Some(_) => None,
        };
        if let Some(v) = value {
            out.values.push((i, v));
        }
    }
    out
}

/// Names an `if`/`elif` test branches on: tested themselves (`if flag:`, `if not flag and x:`) or
/// handed to a call whose answer is tested (`if is_local(name):`, `if len(kwargs):`).
#[derive(Default)]
struct IfTests {
    names: Vec<String>,
    /// The names among them compared with a literal.
    compared: Vec<String>,
    depth: usize,
}

impl IfTests {
    fn note(&mut self, test: &Expr) {
        match test {
            Expr::Name(n) => self.names.push(n.id.to_string()),
            Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => self.note(&u.operand),
            Expr::BoolOp(b) => b.values.iter().for_each(|v| self.note(v)),
            // `if headers is None:`, `if mode == "json":`: a name compared with a literal.
            Expr::Compare(c) if c.ops.len() == 1 => {
                let (left, right) = (&*c.left, &c.comparators[0]);
                for (name, other) in [(left, right), (right, left)] {
                    if let Expr::Name(n) = name {
                        if constfold::literal(other).is_some() {
                            self.names.push(n.id.to_string());
                            self.compared.push(n.id.to_string());
                        }
                    }
                }
            }
            // `if kwargs:` spelled `if len(kwargs):`, or a predicate on the name.
            Expr::Call(c) => {
                for a in &c.arguments.args {
                    if let Expr::Name(n) = a {
                        self.names.push(n.id.to_string());
                    }
                }
            }
            _ => {}
        }
    }
}

/// Collects the names an expression reads.
struct NamesRead<'n>(&'n mut Vec<String>);

impl<'a> Visitor<'a> for NamesRead<'_> {
    fn visit_expr(&mut self, e: &'a Expr) {
        match e {
            Expr::Name(n) => self.0.push(n.id.to_string()),
            // Their own scopes.
            Expr::Lambda(_)
            | Expr::ListComp(_)
            | Expr::SetComp(_)
            | Expr::DictComp(_)
            | Expr::Generator(_) => {}
            _ => visitor::walk_expr(self, e),
        }
    }
}

impl<'a> Visitor<'a> for IfTests {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.depth > 64 {
            return;
        }
        match stmt {
            Stmt::If(i) => {
                self.note(&i.test);
                for c in &i.elif_else_clauses {
                    if let Some(t) = &c.test {
                        self.note(t);
                    }
                }
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
            _ => {}
        }
        self.depth += 1;
        visitor::walk_stmt(self, stmt);
        self.depth -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    fn def_of(src: &str) -> ast::StmtFunctionDef {
        let parsed = parse_module(src).unwrap();
        match parsed.into_syntax().body.into_iter().next() {
            Some(Stmt::FunctionDef(f)) => f,
            _ => panic!("not a function"),
        }
    }

    fn fixed(truth: bool) -> Fixed {
        Fixed {
            truth,
            text: None,
            number: Some(f64::from(u8::from(truth))),
        }
    }

    #[test]
    fn flags_are_literal_defaults_the_body_branches_on() {
        let def = def_of("def f(path, user=None, from_cli=False, quiet=True):\n    if from_cli:\n        pass\n    return quiet\n");
        let f = mode_flags(&def);
        assert_eq!((f.mask, f.booleans, f.predicate), (0b100, 0b100, false));
        let k = at_call(&def, f, &[Some(None), None, None, None], Some(false));
        assert_eq!(k.get(2), Some(&fixed(false)));
        assert_eq!(k.memo_key("m.f"), "m.f#2:0n0");
        let k = at_call(&def, f, &[Some(None), None, Some(None), None], None);
        assert_eq!((k.get(2), k.memo_key("m.f")), (None, "m.f".to_string()));
        let k = at_call(
            &def,
            f,
            &[Some(None), None, Some(Some(fixed(true))), None],
            None,
        );
        assert_eq!(k.get(2), Some(&fixed(true)));
    }

    #[test]
    fn text_defaults_are_fixed_only_when_left_out() {
        let def = def_of("def f(item, *, wiki=\"\"):\n    if is_local(wiki):\n        pass\n");
        let f = mode_flags(&def);
        assert_eq!((f.mask, f.booleans), (0b10, 0));
        let k = at_call(&def, f, &[Some(None), None], None);
        assert_eq!(
            k.get(1).map(|v| (v.truth, v.text.as_deref())),
            Some((false, Some("")))
        );
        let other = Fixed {
            truth: true,
            text: Some(Arc::from("Remote")),
            number: None,
        };
        let k = at_call(&def, f, &[Some(None), Some(Some(other))], None);
        assert!(k.is_empty());
    }

    #[test]
    fn predicates_are_fixed_by_any_literal() {
        let def = def_of("def is_local(wiki):\n    \"\"\"Doc.\"\"\"\n    return wiki in [\"\", \"Self\", cfg.name]\n");
        let f = mode_flags(&def);
        assert!(f.predicate);
        let empty = Fixed {
            truth: false,
            text: Some(Arc::from("")),
            number: None,
        };
        let k = at_call(&def, f, &[Some(Some(empty.clone()))], None);
        assert_eq!(k.get(0), Some(&empty));
        let not_one = def_of("def g(wiki):\n    log(wiki)\n    return wiki in [\"\"]\n");
        assert_eq!(mode_flags(&not_one).mask, 0);
    }

    #[test]
    fn tested_keyword_mapping_is_a_flag() {
        let def = def_of(
            "def f(data, **kwargs):\n    if len(kwargs):\n        data = kwargs\n    return data\n",
        );
        let f = mode_flags(&def);
        assert!(f.extra_keywords);
        let k = at_call(&def, f, &[Some(None)], Some(false));
        assert_eq!(k.extra_keywords, Some(false));
        assert_eq!(k.memo_key("m.f"), "m.f#k0");
        assert_eq!(at_call(&def, f, &[Some(None)], None).memo_key("m.f"), "m.f");
        let untested = def_of("def f(data, **kwargs):\n    return data\n");
        let f = mode_flags(&untested);
        assert!(!f.extra_keywords);
        assert_eq!(
            at_call(&untested, f, &[Some(None)], Some(true)).extra_keywords,
            None
        );
    }
}
