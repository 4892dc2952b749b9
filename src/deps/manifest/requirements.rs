//! pip requirements files, following `-r` includes and applying `-c` constraints.
//!
//! Follows pip's "Requirements File Format": continuations are joined before comments are
//! stripped, `#` starts a comment only at line start or after whitespace, per-requirement options
//! (`--hash`) are cut before the PEP 508 parser sees the line (it rejects them).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::pep440_rs::Version;
use pep508_rs::{Requirement, VerbatimUrl, VersionOrUrl};

use super::{Parsed, Root};
use crate::deps::dependency::{normalize_name, Dependency, Origin, Spec};

/// Includes nested deeper than this are not followed (real projects use two or three levels).
const MAX_INCLUDE_DEPTH: usize = 16;

/// How the lines of a file count.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Requirements,
    Constraints,
}

struct Walker<'a> {
    root: &'a Root,
    out: Parsed,
    /// Canonical paths of the files being read, for cycle detection.
    stack: Vec<PathBuf>,
    /// Per file on the stack: whether a compiler wrote it (see [`is_compiled`]).
    compiled: Vec<bool>,
    constraints: Vec<(String, Spec, String)>,
}

/// Parses the requirements file at `rel` and every file it includes.
pub fn parse_tree(root: &Root, rel: &Path) -> Parsed {
    let mut w = Walker {
        root,
        out: Parsed::default(),
        stack: Vec::new(),
        compiled: Vec::new(),
        constraints: Vec::new(),
    };
    w.file(&root.path().join(rel), None, Mode::Requirements);
    let constraints = std::mem::take(&mut w.constraints);
    for dep in &mut w.out.dependencies {
        for (name, spec, at) in &constraints {
            if *name == dep.name {
                apply_constraint(dep, spec, at);
            }
        }
    }
    w.out
}

/// Narrows a dependency by a constraint (pip: constraints restrict, they never add packages).
fn apply_constraint(dep: &mut Dependency, constraint: &Spec, at: &str) {
    let Spec::Range { text, ranges } = &dep.spec else {
        return;
    };
    match constraint {
        Spec::Pinned(v) if ranges.contains(v) => dep.spec = Spec::Pinned(v.clone()),
        Spec::Pinned(_) => return,
        Spec::Range {
            text: ctext,
            ranges: cranges,
        } => {
            let joined = [text.as_str(), ctext.as_str()]
                .iter()
                .filter(|t| !t.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            dep.spec = Spec::Range {
                text: joined,
                ranges: ranges.intersection(cranges),
            };
        }
    }
    dep.constraint = Some(at.to_string());
}

/// Where an include was written, for messages: `requirements.txt:4`.
struct Via {
    path: String,
    line: u32,
}

impl Walker<'_> {
    fn file(&mut self, abs: &Path, via: Option<Via>, mode: Mode) {
        let (at_path, at_line) = match &via {
            Some(v) => (v.path.clone(), Some(v.line)),
            None => (
                super::rel_string(abs.strip_prefix(self.root.path()).unwrap_or(abs)),
                None,
            ),
        };
        let (rel, text) = match self.root.read(abs) {
            Ok(r) => r,
            Err(e) => {
                let what = if via.is_some() {
                    format!("included file {}: {e}", abs.display())
                } else {
                    e
                };
                self.out.warn(&at_path, at_line, what);
                return;
            }
        };
        let canonical = self.root.path().join(&rel);
        if let Some(pos) = self.stack.iter().position(|p| *p == canonical) {
            let cycle: Vec<String> = self.stack[pos..]
                .iter()
                .chain(std::iter::once(&canonical))
                .map(|p| super::rel_string(p.strip_prefix(self.root.path()).unwrap_or(p)))
                .collect();
            self.out.warn(
                &at_path,
                at_line,
                format!("include cycle {}; not followed again", cycle.join(" -> ")),
            );
            return;
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            self.out.warn(
                &at_path,
                at_line,
                format!("includes nested deeper than {MAX_INCLUDE_DEPTH} levels; not followed"),
            );
            return;
        }
        self.stack.push(canonical.clone());
        self.compiled.push(is_compiled(&text));
        let via_text = via.map(|v| format!("{}:{}", v.path, v.line));
        let lines = super::Lines::new(&text);
        for (line, logical) in logical_lines(&text) {
            let physical = lines.line(line);
            self.line(
                &canonical,
                &rel,
                line,
                physical,
                &logical,
                via_text.as_deref(),
                mode,
            );
        }
        self.stack.pop();
        self.compiled.pop();
    }

    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        abs: &Path,
        rel: &str,
        line: u32,
        physical: &str,
        logical: &str,
        via: Option<&str>,
        mode: Mode,
    ) {
        let content = strip_comment(logical).trim();
        if content.is_empty() {
            return;
        }
        if content.starts_with('-') {
            let (opt, arg) = split_option(content);
            match opt {
                "-r" | "--requirement" | "-c" | "--constraint" => {
                    let include_mode = if matches!(opt, "-c" | "--constraint") {
                        Mode::Constraints
                    } else {
                        mode
                    };
                    if arg.is_empty() {
                        self.out
                            .warn(rel, Some(line), format!("`{opt}` without a file"));
                    } else if arg.contains("://") {
                        self.out.note(
                            rel,
                            Some(line),
                            format!("remote include `{arg}` is not fetched"),
                        );
                    } else {
                        let target = abs.parent().unwrap_or(Path::new("")).join(arg);
                        let via = Via {
                            path: rel.to_string(),
                            line,
                        };
                        self.file(&target, Some(via), include_mode);
                    }
                }
                "-e" | "--editable" => self.out.note(
                    rel,
                    Some(line),
                    format!("editable requirement `{arg}` has no PyPI version; skipped"),
                ),
                // Global options (--index-url, --find-links, --pre...) name no package.
                _ => {}
            }
            return;
        }
        if let Some(start) = content.find("${") {
            let var = content[start..].split('}').next().unwrap_or("");
            self.out.note(
                rel,
                Some(line),
                format!("`{content}` uses the environment variable {var}}}, unknown to a static scan; skipped"),
            );
            return;
        }
        let spec_text = cut_options(content);
        if looks_like_path_or_url(spec_text) {
            self.path_or_url(rel, line, physical, spec_text, via, mode);
            return;
        }
        if let Some(why) = too_nested(spec_text).or_else(|| pep508_panics(spec_text)) {
            self.out.warn(rel, Some(line), why);
            return;
        }
        let dir = abs.parent().unwrap_or(Path::new(""));
        let req = match Requirement::<VerbatimUrl>::parse(spec_text, dir) {
            Ok(r) => r,
            Err(e) => {
                let msg = e.message.to_string();
                self.out.warn(
                    rel,
                    Some(line),
                    format!(
                        "cannot parse requirement `{}`: {msg}",
                        crate::redact::excerpt(spec_text)
                    ),
                );
                return;
            }
        };
        let spec = match &req.version_or_url {
            None => Spec::any(),
            Some(VersionOrUrl::VersionSpecifier(s)) => Spec::from_specifiers(s),
            Some(VersionOrUrl::Url(_)) => {
                self.out.note(
                    rel,
                    Some(line),
                    format!(
                        "`{}` is a URL requirement: its version is unknown; skipped",
                        req.name
                    ),
                );
                return;
            }
        };
        if mode == Mode::Constraints {
            self.constraints
                .push((req.name.to_string(), spec, format!("{rel}:{line}")));
            return;
        }
        let mut dep = Dependency::new(req.name.as_ref(), spec, rel, line, physical);
        dep.via = via.map(str::to_string);
        if self.compiled.last() == Some(&true) {
            dep.origin = Origin::Lockfile;
        }
        if !req.marker.is_true() {
            dep.marker = req.marker.try_to_string();
        }
        self.out.dependencies.push(dep);
    }

    /// Bare URLs, local paths and archives: only a wheel's file name tells name and version.
    fn path_or_url(
        &mut self,
        rel: &str,
        line: u32,
        physical: &str,
        spec: &str,
        via: Option<&str>,
        mode: Mode,
    ) {
        let file = spec.rsplit(['/', '\\']).next().unwrap_or(spec);
        if let Some((name, version)) = wheel_name_version(file) {
            if mode == Mode::Requirements {
                let mut dep = Dependency::new(&name, Spec::Pinned(version), rel, line, physical);
                dep.via = via.map(str::to_string);
                self.out.dependencies.push(dep);
            }
            return;
        }
        let kind = if spec.contains("://") {
            "URL requirement"
        } else {
            "local path or archive"
        };
        self.out.note(
            rel,
            Some(line),
            format!("`{spec}` is a {kind} with no PyPI version; skipped"),
        );
    }
}

/// Joins `\` continuations; yields (first physical line, logical text).
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut current: Option<(u32, String)> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let line_no = i as u32 + 1;
        let (start, mut acc) = current.take().unwrap_or((line_no, String::new()));
        // A comment line ends a logical line even if it ends with a backslash (pip).
        let is_comment = raw.trim_start().starts_with('#');
        if let Some(body) = raw.strip_suffix('\\').filter(|_| !is_comment) {
            acc.push_str(body);
            current = Some((start, acc));
        } else {
            acc.push_str(raw);
            out.push((start, acc));
        }
    }
    if let Some(last) = current {
        out.push(last);
    }
    out
}

/// Drops a `#` comment that starts the line or follows whitespace (`url#egg=x` is not a comment).
fn strip_comment(line: &str) -> &str {
    let mut prev_ws = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_ws {
            return &line[..i];
        }
        prev_ws = c.is_whitespace();
    }
    line
}

/// Splits `-r file`, `-rfile`, `--requirement=file`, `--requirement file` into (option, argument).
fn split_option(content: &str) -> (&str, &str) {
    if let Some(long) = content.strip_prefix("--") {
        let end = long
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(long.len());
        let opt = &content[..end + 2];
        let rest = content[end + 2..].trim_start_matches('=').trim();
        (opt, rest)
    } else {
        let opt = content.get(..2).unwrap_or(content);
        (opt, content.get(2..).unwrap_or("").trim())
    }
}

/// Cuts per-requirement options (`--hash=...`, `--config-settings`, `-C`) off a requirement.
fn cut_options(content: &str) -> &str {
    let mut end = content.len();
    for pat in [" --", "\t--", " -C", "\t-C"] {
        if let Some(i) = content.find(pat) {
            end = end.min(i);
        }
    }
    content[..end].trim()
}

fn looks_like_path_or_url(spec: &str) -> bool {
    let first = spec.split_whitespace().next().unwrap_or("");
    if first.contains('@') || spec.contains(" @") {
        // PEP 508 `name @ url`; the parser tells it apart.
        return false;
    }
    first.starts_with(['.', '/', '~', '\\'])
        || first.contains("://")
        || first.starts_with("file:")
        || ["git+", "hg+", "svn+", "bzr+"]
            .iter()
            .any(|p| first.starts_with(p))
        || [".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2"]
            .iter()
            .any(|ext| first.ends_with(ext))
}

/// `blinker-1.6.2-py3-none-any.whl` → (`blinker`, 1.6.2), per the wheel file name convention.
fn wheel_name_version(file: &str) -> Option<(String, Version)> {
    let stem = file.strip_suffix(".whl")?;
    let mut parts = stem.split('-');
    let name = parts.next()?;
    let version = Version::from_str(parts.next()?).ok()?;
    (!name.is_empty()).then(|| (normalize_name(name), version))
}

/// Whether a requirements file was compiled from looser ranges (`pip-compile`, `uv pip compile`
/// write so in their header): it pins the whole environment like a lockfile.
fn is_compiled(text: &str) -> bool {
    text.lines()
        .take(12)
        .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        .any(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("autogenerated by pip-compile") || l.contains("uv pip compile")
        })
}

/// Real markers nest a few parentheses deep; the PEP 508 parser recurses once per level, so a
/// hostile line with thousands would overflow the stack and lose the whole report.
const MAX_MARKER_NESTING: usize = 32;

/// Why a requirement is not handed to the parser, when it nests too deep.
fn too_nested(text: &str) -> Option<String> {
    crate::nesting::deeper_than(text, MAX_MARKER_NESTING).map(|deepest| {
        format!(
            "requirement nests parentheses {deepest} deep (at most {MAX_MARKER_NESTING} are read); not parsed"
        )
    })
}

/// Why a requirement is not handed to the parser, when it has a shape pep508_rs 0.9 panics on
/// instead of failing: a package or extra name ending with `-`, `_` or `.` (`flask-==1.0`,
/// `flask[x-]`), or a character outside ASCII (its error paths slice inside a character).
fn pep508_panics(text: &str) -> Option<String> {
    if !text.is_ascii() {
        return Some(format!(
            "cannot parse requirement `{}`: it has characters outside ASCII",
            crate::redact::excerpt(text)
        ));
    }
    let is_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let ends_badly = |s: &str| {
        let name = &s[..s.find(|c| !is_name(c)).unwrap_or(s.len())];
        name.starts_with(|c: char| c.is_ascii_alphanumeric()) && name.ends_with(['-', '_', '.'])
    };
    let text = text.trim_start();
    let name_len = text.find(|c| !is_name(c)).unwrap_or(text.len());
    let extras = text[name_len..].trim_start().strip_prefix('[');
    let bad = ends_badly(text)
        || extras.is_some_and(|e| {
            e.split(']')
                .next()
                .unwrap_or("")
                .split(',')
                .any(|x| ends_badly(x.trim_start()))
        });
    bad.then(|| {
        format!(
            "cannot parse requirement `{}`: a package or extra name must end with a letter or digit",
            crate::redact::excerpt(text)
        )
    })
}

/// Exposed for the pyproject/setup.cfg parsers: a PEP 508 string to a dependency.
pub(crate) fn pep508_dependency(
    text: &str,
    path: &str,
    line: u32,
    line_text: &str,
    out: &mut Parsed,
) -> Option<Dependency> {
    if let Some(why) = too_nested(text).or_else(|| pep508_panics(text)) {
        out.warn(path, Some(line), why);
        return None;
    }
    match Requirement::<VerbatimUrl>::from_str(text.trim()) {
        Ok(req) => {
            let spec = match &req.version_or_url {
                None => Spec::any(),
                Some(VersionOrUrl::VersionSpecifier(s)) => Spec::from_specifiers(s),
                Some(VersionOrUrl::Url(_)) => {
                    out.note(
                        path,
                        Some(line),
                        format!(
                            "`{}` is a URL requirement: its version is unknown; skipped",
                            req.name
                        ),
                    );
                    return None;
                }
            };
            let mut dep = Dependency::new(req.name.as_ref(), spec, path, line, line_text);
            if !req.marker.is_true() {
                dep.marker = req.marker.try_to_string();
            }
            Some(dep)
        }
        Err(e) => {
            out.warn(
                path,
                Some(line),
                format!(
                    "cannot parse requirement `{}`: {}",
                    crate::redact::excerpt(text),
                    e.message
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_join_before_comments() {
        let lines = logical_lines("a \\\n  --hash=x\n# c \\\nb # note\r\nc\\");
        assert_eq!(lines[0], (1, "a   --hash=x".to_string()));
        assert_eq!(lines[1].0, 3);
        assert_eq!(lines[2], (4, "b # note".to_string()));
        assert_eq!(lines[3], (5, "c".to_string()));
        assert_eq!(strip_comment("b # note"), "b ");
        assert_eq!(strip_comment("git+https://x#egg=y"), "git+https://x#egg=y");
    }

    #[test]
    fn options_and_paths() {
        assert_eq!(split_option("-r base.txt"), ("-r", "base.txt"));
        assert_eq!(split_option("-rbase.txt"), ("-r", "base.txt"));
        assert_eq!(
            split_option("--requirement=base.txt"),
            ("--requirement", "base.txt")
        );
        assert_eq!(
            split_option("--index-url https://x"),
            ("--index-url", "https://x")
        );
        assert_eq!(
            cut_options("requests==2.31.0   --hash=sha256:ab"),
            "requests==2.31.0"
        );
        assert!(looks_like_path_or_url("./vendor/x-1.0-py3-none-any.whl"));
        assert!(looks_like_path_or_url("https://x/y.zip"));
        assert!(!looks_like_path_or_url("urllib3 @ https://x/y.zip"));
        assert!(!looks_like_path_or_url("flask>=2"));
        let (n, v) = wheel_name_version("Blinker-1.6.2-py3-none-any.whl").unwrap();
        assert_eq!((n.as_str(), v.to_string().as_str()), ("blinker", "1.6.2"));
    }
}
