//! A declared or locked dependency, with the manifest line it came from.

use std::fmt;
use std::str::FromStr;

use pep508_rs::pep440_rs::{Operator, Version, VersionSpecifiers};
use serde::Serialize;
use version_ranges::Ranges;

/// PEP 503 name normalisation: runs of `-`, `_`, `.` become `-`, lowercase.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

/// Which versions a dependency may resolve to.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    /// Exactly one version (`==X`, `===X`, or a lockfile entry).
    Pinned(Version),
    /// A range as written (empty text = any version) and its PEP 440 meaning.
    Range {
        text: String,
        ranges: Ranges<Version>,
    },
}

impl Spec {
    /// Interprets PEP 440 specifiers: a single `==X` (no wildcard) or `===X` is a pin.
    pub fn from_specifiers(specs: &VersionSpecifiers) -> Spec {
        for s in specs.iter() {
            if matches!(s.operator(), Operator::Equal | Operator::ExactEqual) {
                return Spec::Pinned(s.version().clone());
            }
        }
        Spec::Range {
            text: specs.to_string(),
            ranges: Ranges::from(specs.clone()),
        }
    }

    /// Parses a PEP 440 specifier string (empty = any version).
    pub fn parse_pep440(text: &str) -> Result<Spec, String> {
        let specs = VersionSpecifiers::from_str(text).map_err(|e| e.to_string())?;
        Ok(Spec::from_specifiers(&specs))
    }

    /// Any version at all.
    pub fn any() -> Spec {
        Spec::Range {
            text: String::new(),
            ranges: Ranges::full(),
        }
    }

    /// The pinned version, if pinned.
    pub fn pinned(&self) -> Option<&Version> {
        match self {
            Spec::Pinned(v) => Some(v),
            Spec::Range { .. } => None,
        }
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spec::Pinned(v) => write!(f, "=={v}"),
            Spec::Range { text, .. } if text.is_empty() => f.write_str("(any version)"),
            Spec::Range { text, .. } => f.write_str(text),
        }
    }
}

/// Whether a dependency comes from a hand-written manifest or a lockfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Manifest,
    Lockfile,
}

/// One dependency found in a manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Dependency {
    /// PEP 503-normalised name.
    pub name: String,
    #[serde(serialize_with = "serialize_display")]
    pub spec: Spec,
    /// Manifest path relative to the scan root, `/`-separated.
    pub path: String,
    /// 1-based line where the (logical) line starts.
    pub line: u32,
    /// The text of that physical line, for snippets.
    pub line_text: String,
    /// `requirements.txt:4` when it was reached through an include.
    pub via: Option<String>,
    /// The environment marker, when the dependency is conditional.
    pub marker: Option<String>,
    pub origin: Origin,
    /// Extra, dependency group or lockfile group, when not the main one.
    pub group: Option<String>,
    /// The constraint file line that narrowed the spec (`-c constraints.txt`).
    pub constraint: Option<String>,
}

fn serialize_display<S: serde::Serializer>(v: &impl fmt::Display, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

impl Dependency {
    /// A dependency at `path:line` with the defaults of a plain manifest entry.
    pub fn new(name: &str, spec: Spec, path: &str, line: u32, line_text: &str) -> Self {
        Dependency {
            name: normalize_name(name),
            spec,
            path: path.to_string(),
            line,
            line_text: line_text.to_string(),
            via: None,
            marker: None,
            origin: Origin::Manifest,
            group: None,
            constraint: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise_per_pep_503() {
        assert_eq!(normalize_name("Flask_Cors"), "flask-cors");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_name("a-_.B"), "a-b");
    }

    #[test]
    fn pins_and_ranges() {
        let v = |s: &str| Version::from_str(s).unwrap();
        assert_eq!(
            Spec::parse_pep440("==2.2.0").unwrap().pinned(),
            Some(&v("2.2.0"))
        );
        assert_eq!(
            Spec::parse_pep440("===1.2.17").unwrap().pinned(),
            Some(&v("1.2.17"))
        );
        let star = Spec::parse_pep440("==9.5.*").unwrap();
        assert!(star.pinned().is_none());
        match star {
            Spec::Range { ranges, .. } => {
                assert!(ranges.contains(&v("9.5.3")));
                assert!(!ranges.contains(&v("9.6")));
            }
            Spec::Pinned(_) => unreachable!(),
        }
        assert_eq!(Spec::parse_pep440("").unwrap().to_string(), "(any version)");
    }
}
