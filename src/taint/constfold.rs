//! Constant folding for branch conditions: `if 1 + 1 == 3:`, `x = 5; if x > 10:`, `LIMIT = 3`
//! at module level then `if LIMIT >= 4:`. A branch a constant condition rules out is dead code:
//! a sink there is never reached, and the branch taken is the only one that is.

use std::sync::Arc;

use ruff_python_ast::{self as ast, CmpOp, Expr, Operator};

/// A literal a condition can be decided on. Booleans are the numbers 0 and 1, as in Python.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Num(f64),
    Str(Arc<str>),
    None,
}

/// The value of a number, boolean or `None` literal.
pub fn literal(e: &Expr) -> Option<Lit> {
    match e {
        Expr::NumberLiteral(n) => number(&n.value).map(Lit::Num),
        Expr::BooleanLiteral(b) => Some(Lit::Num(f64::from(u8::from(b.value)))),
        Expr::NoneLiteral(_) => Some(Lit::None),
        Expr::StringLiteral(s) => Some(Lit::Str(Arc::from(s.value.to_str()))),
        _ => None,
    }
}

/// A number literal as a float (exact for the integers conditions use; complex numbers and
/// integers too large for 64 bits are left undecided).
pub fn number(n: &ast::Number) -> Option<f64> {
    match n {
        ast::Number::Int(i) => i.as_i64().map(|i| i as f64),
        ast::Number::Float(f) => Some(*f),
        ast::Number::Complex { .. } => None,
    }
}

/// `l op r` on two numbers, for the operators whose result Python computes the same way.
pub fn arith(op: Operator, l: f64, r: f64) -> Option<f64> {
    let v = match op {
        Operator::Add => l + r,
        Operator::Sub => l - r,
        Operator::Mult => l * r,
        Operator::Div if r != 0.0 => l / r,
        Operator::FloorDiv if r != 0.0 => (l / r).floor(),
        Operator::Mod if r != 0.0 => l - r * (l / r).floor(),
        Operator::Pow => l.powf(r),
        _ => return None,
    };
    v.is_finite().then_some(v)
}

/// `l op r` for one comparison of a (possibly chained) test; `None` when Python would compare
/// things this does not model (containment, identity of non-`None` values, mixed types).
pub fn compare(op: CmpOp, l: &Lit, r: &Lit) -> Option<bool> {
    if matches!(op, CmpOp::Is | CmpOp::IsNot) {
        // Identity is decided against `None` only (of equal numbers or strings it is CPython's
        // choice).
        let same = match (l, r) {
            (Lit::None, Lit::None) => true,
            (Lit::None, _) | (_, Lit::None) => false,
            _ => return None,
        };
        return Some(same == (op == CmpOp::Is));
    }
    let order = match (l, r) {
        (Lit::Num(a), Lit::Num(b)) => a.partial_cmp(b)?,
        (Lit::Str(a), Lit::Str(b)) => a.cmp(b),
        // Equality across types is false (`1 == "1"`, `0 == None`); ordering raises.
        _ => {
            let equal = matches!((l, r), (Lit::None, Lit::None));
            return match op {
                CmpOp::Eq => Some(equal),
                CmpOp::NotEq => Some(!equal),
                _ => None,
            };
        }
    };
    match op {
        CmpOp::Eq => Some(order.is_eq()),
        CmpOp::NotEq => Some(order.is_ne()),
        CmpOp::Lt => Some(order.is_lt()),
        CmpOp::LtE => Some(order.is_le()),
        CmpOp::Gt => Some(order.is_gt()),
        CmpOp::GtE => Some(order.is_ge()),
        _ => None,
    }
}

/// A chained comparison `a < b < c` from the literal of each operand: false as soon as one link
/// is, true when every link is.
pub fn chain(ops: &[CmpOp], operands: &[Option<Lit>]) -> Option<bool> {
    let mut all = Some(true);
    for (i, op) in ops.iter().enumerate() {
        let link = match (&operands[i], &operands[i + 1]) {
            (Some(l), Some(r)) => compare(*op, l, r),
            _ => None,
        };
        match link {
            Some(false) => return Some(false),
            Some(true) => {}
            None => all = None,
        }
    }
    all
}

/// Whether a `case` pattern matches a subject of known value (`None` when unknown): a capture
/// or `_` always does, a literal or singleton pattern when equal, an or-pattern when one does.
pub fn case_matches(
    pattern: &ast::Pattern,
    subject: Option<&Lit>,
    value_of: &dyn Fn(&Expr) -> Option<Lit>,
) -> Option<bool> {
    match pattern {
        ast::Pattern::MatchAs(p) => match &p.pattern {
            None => Some(true),
            Some(inner) => case_matches(inner, subject, value_of),
        },
        ast::Pattern::MatchValue(p) => compare(CmpOp::Eq, subject?, &value_of(&p.value)?),
        // `case True:` matches by identity, which a number literal does not decide.
        ast::Pattern::MatchSingleton(p) => match p.value {
            ast::Singleton::None => compare(CmpOp::Eq, subject?, &Lit::None),
            ast::Singleton::True | ast::Singleton::False => None,
        },
        ast::Pattern::MatchOr(p) => {
            let each: Vec<Option<bool>> = p
                .patterns
                .iter()
                .map(|x| case_matches(x, subject, value_of))
                .collect();
            if each.contains(&Some(true)) {
                Some(true)
            } else if each.iter().all(|x| *x == Some(false)) {
                Some(false)
            } else {
                None
            }
        }
        // Sequence, mapping and class patterns (`case str():`) are left undecided.
        _ => None,
    }
}

/// The truthiness of a literal.
pub fn truth(l: &Lit) -> bool {
    match l {
        Lit::Num(n) => *n != 0.0,
        Lit::Str(s) => !s.is_empty(),
        Lit::None => false,
    }
}

/// Whether `value` is among `items` (`x in [a, b]`), each a literal or unknown (`None`): found
/// when it equals a literal item whatever the others are, absent only when every item is a
/// literal.
pub fn contains(value: &Lit, items: &[Option<Lit>]) -> Option<bool> {
    let equal = |i: &Option<Lit>| i.as_ref().map(|i| compare(CmpOp::Eq, value, i));
    if items.iter().any(|i| equal(i) == Some(Some(true))) {
        Some(true)
    } else if items.iter().all(|i| equal(i) == Some(Some(false))) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_in_partly_known_lists() {
        let empty = Lit::Str("".into());
        let items = [
            Some(Lit::Str("".into())),
            Some(Lit::Str("Self".into())),
            None,
        ];
        assert_eq!(contains(&empty, &items), Some(true));
        assert_eq!(contains(&Lit::Str("x".into()), &items), None);
        assert_eq!(contains(&Lit::Num(1.0), &[Some(Lit::Num(1.0))]), Some(true));
        assert_eq!(
            contains(&Lit::Num(1.0), &[Some(Lit::Str("1".into()))]),
            Some(false)
        );
    }

    #[test]
    fn arithmetic_and_comparisons() {
        assert_eq!(arith(Operator::Add, 1.0, 1.0), Some(2.0));
        assert_eq!(arith(Operator::Div, 1.0, 0.0), None);
        assert_eq!(arith(Operator::Mod, -7.0, 3.0), Some(2.0));
        let n = |x: f64| Some(Lit::Num(x));
        assert_eq!(chain(&[CmpOp::Eq], &[n(2.0), n(3.0)]), Some(false));
        assert_eq!(
            chain(&[CmpOp::Lt, CmpOp::Lt], &[n(1.0), n(2.0), n(3.0)]),
            Some(true)
        );
        assert_eq!(
            chain(&[CmpOp::Lt, CmpOp::Lt], &[n(1.0), None, n(0.0)]),
            None
        );
        assert_eq!(
            chain(&[CmpOp::Gt, CmpOp::Lt], &[n(1.0), n(2.0), None]),
            Some(false)
        );
        let s = Some(Lit::Str(Arc::from("a")));
        assert_eq!(chain(&[CmpOp::Eq], &[s.clone(), n(1.0)]), Some(false));
        assert_eq!(chain(&[CmpOp::Lt], &[s, n(1.0)]), None);
        assert_eq!(
            chain(&[CmpOp::Is], &[Some(Lit::None), Some(Lit::None)]),
            Some(true)
        );
    }
}
