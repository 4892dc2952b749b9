//! FS502 path-traversal (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS502",
    name: "path-traversal",
    severity: Severity::High,
    cwe: &[22, 73],
    kind: RuleKind::Taint,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Request data reaches a file system path",
    fix: "Use `send_from_directory`, `werkzeug.utils.secure_filename` or `safe_join`, or check the resolved path stays inside the base directory.",
    help: "`../` in a file name, or an absolute path, reads or overwrites any file the server can reach (source, keys, `/etc/passwd`).",
    bad: "return send_file(os.path.join(UPLOADS, request.args[\"name\"]))",
    good: "return send_from_directory(UPLOADS, request.args[\"name\"])",
};
