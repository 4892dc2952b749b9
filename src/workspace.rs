//! Discovery: walk the checkout, honour .gitignore and excludes, classify files, refuse symlinks
//! that leave the root and files over the size limit.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::WalkBuilder;

use crate::finding::Notification;

/// Reads a file the user named (a config, a SARIF log, an advisory export): a regular file of at
/// most `max_bytes`, so `/dev/zero` or a FIFO is refused instead of read forever.
pub fn read_named_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > max_bytes {
        return Err(format!(
            "{} bytes; at most {max_bytes} are read",
            meta.len()
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max_bytes + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > max_bytes {
        return Err(format!("larger than {max_bytes} bytes"));
    }
    Ok(bytes)
}

/// [`read_named_file`] for UTF-8 text.
pub fn read_named_text(path: &Path, max_bytes: u64) -> Result<String, String> {
    String::from_utf8(read_named_file(path, max_bytes)?).map_err(|_| "not UTF-8 text".into())
}

/// Folders never worth scanning: virtualenvs, dependencies, caches, VCS metadata.
pub const DEFAULT_SKIPS: &[&str] = &[
    ".venv",
    "venv",
    "env",
    ".env",
    "node_modules",
    "site-packages",
    // Copies of other projects' code, which their maintainers fix, not this project's.
    "vendor",
    "_vendor",
    "vendored",
    "third_party",
    "__pycache__",
    ".git",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "dist",
    "build",
    ".eggs",
];

/// What a file is, for the analyser that reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Python,
    Template,
    /// `.flaskenv` / `.env`.
    EnvFile,
    /// A dependency manifest or lockfile.
    Manifest,
}

/// A file to analyse.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourcePath {
    pub kind: FileKind,
    /// Absolute (or root-joined) path to read.
    pub path: PathBuf,
    /// Path relative to the scan root, `/`-separated, as reports show it.
    pub relative: String,
    pub size: u64,
}

/// How to walk.
#[derive(Debug, Clone, Default)]
pub struct DiscoverOptions {
    /// Glob patterns (relative to the root) of files and folders to leave out.
    pub exclude: Vec<String>,
    /// Larger files are reported, not read.
    pub max_file_size: u64,
}

/// Files found, and what was refused on the way.
#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<SourcePath>,
    pub notifications: Vec<Notification>,
}

/// Decides a file's kind from its relative path.
pub fn classify(relative: &str) -> Option<FileKind> {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".py") || lower.ends_with(".pyw") {
        return Some(FileKind::Python);
    }
    if lower == ".flaskenv" || lower == ".env" {
        return Some(FileKind::EnvFile);
    }
    if crate::deps::is_manifest(Path::new(relative)) {
        return Some(FileKind::Manifest);
    }
    let in_templates = relative.split('/').any(|part| part == "templates");
    let template_ext = [
        ".html", ".htm", ".jinja", ".jinja2", ".j2", ".xml", ".svg", ".txt",
    ]
    .iter()
    .any(|e| lower.ends_with(e));
    if (in_templates && template_ext)
        || [".jinja", ".jinja2", ".j2", ".html", ".htm"]
            .iter()
            .any(|e| lower.ends_with(e))
    {
        return Some(FileKind::Template);
    }
    None
}

/// Walks every path in `inputs` (files or folders) and returns the files to analyse.
///
/// `root` is what reported paths are relative to; a symlink whose target leaves `root` is refused.
pub fn discover(root: &Path, inputs: &[PathBuf], options: &DiscoverOptions) -> Discovery {
    let mut out = Discovery::default();
    let canonical_root = match root.canonicalize() {
        Ok(r) => r,
        Err(e) => {
            out.notifications.push(Notification {
                level: crate::finding::NotificationLevel::Error,
                path: None,
                line: None,
                message: format!("cannot read {}: {e}", root.display()),
            });
            return out;
        }
    };
    let excludes = build_globs(&options.exclude);
    for input in inputs {
        // A link the user names is their choice: follow it (never the links inside it).
        let input = match std::fs::symlink_metadata(input) {
            Ok(m) if m.file_type().is_symlink() => input.canonicalize().unwrap_or(input.clone()),
            _ => input.clone(),
        };
        let mut walk = WalkBuilder::new(&input);
        walk.follow_links(false)
            .hidden(false)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .require_git(false)
            .parents(true)
            .sort_by_file_path(|a, b| a.cmp(b));
        let root_for_filter = canonical_root.clone();
        let ex = excludes.clone();
        walk.filter_entry(move |entry| {
            let name = entry.file_name().to_string_lossy();
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if is_dir && entry.depth() > 0 && DEFAULT_SKIPS.contains(&name.as_ref()) {
                return false;
            }
            match relative_to(&root_for_filter, entry.path()) {
                Some(rel) => !ex.is_match(&rel) && !ex.is_match(format!("{rel}/")),
                None => true,
            }
        });
        for entry in walk.build() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    out.notifications.push(Notification {
                        level: crate::finding::NotificationLevel::Warning,
                        path: None,
                        line: None,
                        message: format!("skipped while walking: {e}"),
                    });
                    continue;
                }
            };
            let Some(file_type) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            let real = if file_type.is_symlink() {
                match path.canonicalize() {
                    Ok(target) if target.starts_with(&canonical_root) && target.is_file() => target,
                    Ok(target) if target.starts_with(&canonical_root) => continue,
                    _ => {
                        let rel = relative_to(&canonical_root, path)
                            .unwrap_or_else(|| path.display().to_string());
                        if classify(&rel).is_some() {
                            out.notifications.push(Notification::file_warning(
                                &rel,
                                None,
                                "symbolic link leaves the scanned folder: not followed",
                            ));
                        }
                        continue;
                    }
                }
            } else if file_type.is_file() {
                path.to_path_buf()
            } else {
                continue;
            };
            // An in-tree link is reported at its target: GitHub cannot show symlinked paths, and
            // the target is then scanned once (duplicates are dropped below).
            let Some(relative) = relative_to(&canonical_root, &real) else {
                continue;
            };
            let Some(kind) = classify(&relative) else {
                continue;
            };
            let size = std::fs::metadata(&real).map(|m| m.len()).unwrap_or(0);
            if size > options.max_file_size {
                out.notifications.push(Notification::file_warning(
                    &relative,
                    None,
                    format!(
                        "file is {} bytes, over the {}-byte limit (max-file-size): not scanned",
                        size, options.max_file_size
                    ),
                ));
                continue;
            }
            out.files.push(SourcePath {
                kind,
                path: real,
                relative,
                size,
            });
        }
    }
    out.files.sort();
    out.files.dedup_by(|a, b| a.relative == b.relative);
    out
}

/// `path` relative to `root`, `/`-separated, when it lies inside it.
pub fn relative_to(root: &Path, path: &Path) -> Option<String> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let abs = normalize(&abs);
    let rel = abs.strip_prefix(root).ok()?;
    let s = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    Some(s)
}

/// Removes `.` and `..` components without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn build_globs(patterns: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let p = p.trim_start_matches("./").trim_end_matches('/');
        // A bare name excludes it at any depth, like .gitignore.
        let variants = if p.contains('/') {
            vec![p.to_string(), format!("{p}/**")]
        } else {
            vec![format!("**/{p}"), format!("**/{p}/**"), p.to_string()]
        };
        for v in variants {
            if let Ok(g) = Glob::new(&v) {
                b.add(g);
            }
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// Checks exclude patterns, returning the first invalid one with its error.
pub fn validate_globs(patterns: &[String]) -> Result<(), String> {
    for p in patterns {
        Glob::new(p).map_err(|e| {
            let p = crate::redact::excerpt(p);
            format!("invalid exclude pattern `{p}`: {}", e.kind())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn in_tree_links_are_reported_at_their_target_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.py"), "x = 1\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("app.py"), dir.path().join("link.py")).unwrap();
        let found = discover(
            dir.path(),
            &[dir.path().to_path_buf()],
            &DiscoverOptions {
                exclude: Vec::new(),
                max_file_size: 1 << 20,
            },
        );
        let names: Vec<&str> = found.files.iter().map(|f| f.relative.as_str()).collect();
        assert_eq!(names, vec!["app.py"]);
        assert!(found.notifications.is_empty());
    }

    #[test]
    fn classifies_files() {
        assert_eq!(classify("app/views.py"), Some(FileKind::Python));
        assert_eq!(
            classify("app/templates/base.html"),
            Some(FileKind::Template)
        );
        assert_eq!(classify("app/templates/mail.txt"), Some(FileKind::Template));
        assert_eq!(classify("notes.txt"), None);
        assert_eq!(classify(".flaskenv"), Some(FileKind::EnvFile));
        assert_eq!(classify("requirements-dev.txt"), Some(FileKind::Manifest));
        assert_eq!(classify("poetry.lock"), Some(FileKind::Manifest));
    }
}
