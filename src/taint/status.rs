//! Status tuples: `return False, 503, str(err)` on failure and `return True, 200, message` on
//! success. A caller that unpacks `ok, code, text = send(...)` and leaves on `if ok is False:`
//! only goes on with what the success returns hold; joined over every return, the failure's
//! details would follow the success path too.

use ruff_python_ast::{CmpOp, Expr};

use std::sync::Arc;

use super::value::{Origin, Shape, Val, ALL};

/// The literal `True`/`False` a returned tuple starts with (`return False, 503, text`).
pub fn flag_of(returned: Option<&Expr>) -> Option<bool> {
    match returned? {
        Expr::Tuple(t) => match t.elts.first()? {
            Expr::BooleanLiteral(b) => Some(b.value),
            _ => None,
        },
        _ => None,
    }
}

/// The returns of a function, as far as they are status tuples.
#[derive(Default)]
pub struct StatusReturns {
    /// A return that is not a status tuple was seen: nothing is known.
    mixed: bool,
    /// What the returns flagged `True` may hold.
    ok: Option<Val>,
}

impl StatusReturns {
    /// Records a `return` of `v`, flagged `flag` when it is a status tuple.
    pub fn record(&mut self, flag: Option<bool>, v: &Val) {
        match flag {
            None => self.mixed = true,
            Some(false) => {}
            Some(true) => {
                self.ok = Some(match self.ok.take() {
                    Some(prev) => prev.join(v),
                    None => v.clone(),
                });
            }
        }
    }

    /// What the function returns when its flag is `True`, if every return is a status tuple.
    pub fn success(self) -> Option<Val> {
        if self.mixed {
            None
        } else {
            self.ok
        }
    }
}

/// What a call's success returns hold for the caller: each position keeps the callee's own data
/// and the data of the parameters the caller passed data to (`tainted_param`).
pub fn at_call(success: &Val, tainted_param: impl Fn(u16) -> bool) -> Val {
    let Shape::Seq(items) = &success.shape else {
        return success.clone();
    };
    let items: Vec<Val> = items
        .iter()
        .map(|v| {
            let kept = v
                .all_taints()
                .into_iter()
                .filter(|t| match t.origin {
                    Origin::Param(p) => tainted_param(p),
                    _ => true,
                })
                .collect();
            Val::from_taints(kept)
        })
        .collect();
    Val {
        shape: Shape::Seq(Arc::new(items)),
        ..Val::default()
    }
}

/// `(name, ALL)` for each unpacked name whose position holds no data in any success return:
/// what the flag being true proves.
pub fn clean_on_success(names: &[Option<String>], success: &Val) -> Vec<(String, u32)> {
    let Shape::Seq(items) = &success.shape else {
        return Vec::new();
    };
    if items.len() != names.len() {
        return Vec::new();
    }
    names
        .iter()
        .zip(items.iter())
        .skip(1)
        .filter_map(|(n, v)| {
            n.as_ref()
                .filter(|_| !v.is_tainted())
                .map(|n| (n.clone(), ALL))
        })
        .collect()
}

/// The truth a comparison of a flag with a boolean literal proves for `flag` on `branch`:
/// `ok is False` false (or `ok == True` true) leaves `ok` true.
pub fn compared_flag(op: CmpOp, right: &Expr, branch: bool) -> Option<bool> {
    let Expr::BooleanLiteral(b) = right else {
        return None;
    };
    let holds = match op {
        CmpOp::Is | CmpOp::Eq => branch,
        CmpOp::IsNot | CmpOp::NotEq => !branch,
        _ => return None,
    };
    Some(if holds { b.value } else { !b.value })
}
