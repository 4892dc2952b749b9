//! Project functions whose answer passes through a path check of their own: `def exists(self,
//! f): return os.path.exists(self._abspath(f))`, where `_abspath` raises unless the resolved
//! path stays inside the repository (and `exists` may turn that into `return False`). A caller
//! whose condition `if storage.exists(name)` held has a `name` that check confined.

use ruff_python_ast::{Expr, Stmt};

use super::index::{FuncInfo, Global};

/// The positions (among all parameters, `self` first for methods) of the parameters whose path
/// `f` checks through a confining project function before answering: every `return` either
/// says no (`False`, `None`) or is computed from such a call given the parameter.
pub fn confined(g: &Global, f: &FuncInfo) -> Vec<usize> {
    let names: Vec<&str> = super::engine::params(f.def)
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let Some(fc) = g.files.get(f.file as usize) else {
        return Vec::new();
    };
    let mut out: Vec<usize> = Vec::new();
    let mut answers = 0;
    let mut every_answer_checked = true;
    crate::python::locals::each_statement(&f.def.body, &mut |s| {
        let Stmt::Return(r) = s else { return };
        let Some(value) = r.value.as_deref() else {
            return;
        };
        let says_no = match value {
            Expr::NoneLiteral(_) => true,
            Expr::BooleanLiteral(b) => !b.value,
            _ => false,
        };
        if says_no {
            return;
        }
        answers += 1;
        let mut checked: Vec<usize> = Vec::new();
        crate::python::each_subexpr(value, &mut |e| {
            let Expr::Call(c) = e else { return };
            let Some(callee) = g.callee_in(fc, f, &c.func) else {
                return;
            };
            if !callee.traits().checked_path {
                return;
            }
            let args = c.arguments.args.iter();
            for arg in args.chain(c.arguments.keywords.iter().map(|k| &k.value)) {
                for k in super::guards::path_keys(arg) {
                    checked.extend(names.iter().position(|n| *n == k));
                }
            }
        });
        if checked.is_empty() {
            every_answer_checked = false;
        }
        out.extend(checked);
    });
    if answers == 0 || !every_answer_checked {
        return Vec::new();
    }
    out.sort_unstable();
    out.dedup();
    out
}
