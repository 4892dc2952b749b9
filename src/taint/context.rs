//! Mode flags: a parameter with a boolean default that the body branches on
//! (`def export(path, from_cli=False): if from_cli: ... else: path = checked(path)`). A call that
//! leaves the flag at its default, or passes a literal, only ever runs one branch, so the callee
//! is summarised for that value: the other branch's flows belong to other callers. A `**kwargs`
//! the body branches on (`if kwargs:`, `if len(kwargs):`) is such a flag too: a call passing no
//! keyword beyond the named parameters leaves it empty.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt, UnaryOp};

/// Flags only the first this many parameters.
const MAX_FLAGS: usize = 16;

/// The mode flags of a function: which parameters (by position) are flags, and their defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModeFlags {
    pub mask: u16,
    pub defaults: u16,
    /// The body branches on whether its `**kwargs` holds anything.
    pub extra_keywords: bool,
}

/// Flag values known at one call: `mask` says which flags are known, `values` their truth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Known {
    pub mask: u16,
    pub values: u16,
    /// Whether the call's `**kwargs` holds anything, if the callee branches on it and the call
    /// tells (no `**mapping` passed).
    pub extra_keywords: Option<bool>,
}

impl Known {
    /// The value of parameter `i`, if this call fixes it.
    pub fn get(self, i: usize) -> Option<bool> {
        (i < MAX_FLAGS && self.mask & (1 << i) != 0).then(|| self.values & (1 << i) != 0)
    }

    /// The name a summary for these values is kept under.
    pub fn memo_key(self, qualified: &str) -> String {
        let extra = match self.extra_keywords {
            None => "",
            Some(false) => "#k0",
            Some(true) => "#k1",
        };
        if self.mask == 0 {
            format!("{qualified}{extra}")
        } else {
            format!(
                "{qualified}#{:x}:{:x}{extra}",
                self.mask,
                self.values & self.mask
            )
        }
    }
}

/// Reads the mode flags of `def` (parameters in declaration order, as the engine numbers them).
pub fn mode_flags(def: &ast::StmtFunctionDef) -> ModeFlags {
    let p = &def.parameters;
    let all = p.posonlyargs.iter().chain(&p.args).chain(&p.kwonlyargs);
    let mut tested = IfTests::default();
    for s in &def.body {
        tested.visit_stmt(s);
    }
    let mut out = ModeFlags {
        extra_keywords: p
            .kwarg
            .as_ref()
            .is_some_and(|k| tested.names.iter().any(|n| n == k.name.as_str())),
        ..ModeFlags::default()
    };
    for (i, param) in all.enumerate().take(MAX_FLAGS) {
        let Some(Expr::BooleanLiteral(b)) = param.default.as_deref() else {
            continue;
        };
        if tested
            .names
            .iter()
            .any(|n| n == param.parameter.name.as_str())
        {
            out.mask |= 1 << i;
            if b.value {
                out.defaults |= 1 << i;
            }
        }
    }
    out
}

/// What a call fixes of `flags`: a flag left out takes its default, a literal passed its truth.
/// `passed[i]` is the truth of the argument given for parameter `i` (`None`: not literal), or
/// nothing when the parameter was not passed; `extra_keywords` whether keywords beyond the named
/// parameters were passed (`None`: a `**mapping` was, which may hold any).
pub fn at_call(
    flags: ModeFlags,
    passed: &[Option<Option<bool>>],
    extra_keywords: Option<bool>,
) -> Known {
    let mut out = Known {
        extra_keywords: extra_keywords.filter(|_| flags.extra_keywords),
        ..Known::default()
    };
    for (i, arg) in passed.iter().enumerate().take(MAX_FLAGS) {
        if flags.mask & (1 << i) == 0 {
            continue;
        }
        let value = match *arg {
            None => flags.defaults & (1 << i) != 0,
            Some(Some(b)) => b,
            Some(None) => continue,
        };
        out.mask |= 1 << i;
        if value {
            out.values |= 1 << i;
        }
    }
    out
}

/// Names tested directly by an `if`/`elif` (`if flag:`, `if not flag:`).
#[derive(Default)]
struct IfTests {
    names: Vec<String>,
    depth: usize,
}

impl IfTests {
    fn note(&mut self, test: &Expr) {
        match test {
            Expr::Name(n) => self.names.push(n.id.to_string()),
            Expr::UnaryOp(u) if u.op == UnaryOp::Not => self.note(&u.operand),
            // `if len(kwargs):` tests its emptiness like `if kwargs:`.
            Expr::Call(c)
                if c.arguments.args.len() == 1
                    && c.arguments.keywords.is_empty()
                    && matches!(&*c.func, Expr::Name(f) if f.id.as_str() == "len") =>
            {
                self.note(&c.arguments.args[0]);
            }
            _ => {}
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

    fn flags_of(src: &str) -> ModeFlags {
        let parsed = parse_module(src).unwrap();
        let module = parsed.into_syntax();
        match &module.body[0] {
            Stmt::FunctionDef(f) => mode_flags(f),
            _ => panic!("not a function"),
        }
    }

    #[test]
    fn flags_are_boolean_defaults_the_body_branches_on() {
        let f = flags_of("def f(path, user=None, from_cli=False, quiet=True):\n    if from_cli:\n        pass\n    return quiet\n");
        assert_eq!(
            f,
            ModeFlags {
                mask: 0b100,
                defaults: 0,
                extra_keywords: false,
            }
        );
        let k = at_call(f, &[Some(None), None, None, None], Some(false));
        assert_eq!(k.get(2), Some(false));
        assert_eq!(k.memo_key("m.f"), "m.f#4:0");
        let k = at_call(f, &[Some(None), None, Some(None), None], None);
        assert_eq!((k.get(2), k.memo_key("m.f")), (None, "m.f".to_string()));
        let k = at_call(f, &[Some(None), None, Some(Some(true)), None], None);
        assert_eq!(k.get(2), Some(true));
    }

    #[test]
    fn tested_keyword_mapping_is_a_flag() {
        let f = flags_of(
            "def f(data, **kwargs):\n    if len(kwargs):\n        data = kwargs\n    return data\n",
        );
        assert!(f.extra_keywords);
        let k = at_call(f, &[Some(None)], Some(false));
        assert_eq!(k.extra_keywords, Some(false));
        assert_eq!(k.memo_key("m.f"), "m.f#k0");
        assert_eq!(at_call(f, &[Some(None)], None).memo_key("m.f"), "m.f");
        let untested = flags_of("def f(data, **kwargs):\n    return data\n");
        assert!(!untested.extra_keywords);
        assert_eq!(
            at_call(untested, &[Some(None)], Some(true)).extra_keywords,
            None
        );
    }
}
