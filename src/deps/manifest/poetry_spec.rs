//! Poetry version constraints (`^1.2`, `~1.2.3`, `1.2.*`, `>=1 <2`, `a || b`) as PEP 440 ranges.
//!
//! Poetry's syntax is not PEP 440: `^` and bare `~` have their own meaning
//! (python-poetry.org "Dependency specification"), so each clause is rewritten to PEP 440 first.

use std::str::FromStr;

use pep508_rs::pep440_rs::{Version, VersionSpecifiers};
use version_ranges::Ranges;

use crate::deps::dependency::Spec;

/// Translates a Poetry constraint to a [`Spec`]; errors name the clause that failed.
pub fn parse(constraint: &str) -> Result<Spec, String> {
    let constraint = constraint.trim();
    let branches: Vec<&str> = constraint.split("||").map(str::trim).collect();
    if branches.len() == 1 {
        return Spec::parse_pep440(&to_pep440(branches[0])?);
    }
    let mut ranges = Ranges::empty();
    for b in branches {
        let specs = VersionSpecifiers::from_str(&to_pep440(b)?).map_err(|e| e.to_string())?;
        ranges = ranges.union(&Ranges::from(specs));
    }
    Ok(Spec::Range {
        text: constraint.to_string(),
        ranges,
    })
}

/// One `||` branch (clauses joined by commas or spaces) to a PEP 440 specifier string.
fn to_pep440(branch: &str) -> Result<String, String> {
    // Glue an operator written apart from its version (`>= 1.2`) back together.
    let mut clauses: Vec<String> = Vec::new();
    let mut pending = String::new();
    for tok in branch.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
        if tok.chars().all(|c| "<>=!~^".contains(c)) {
            pending.push_str(tok);
            continue;
        }
        clauses.push(format!("{pending}{tok}"));
        pending.clear();
    }
    if !pending.is_empty() {
        return Err(format!("operator `{pending}` without a version"));
    }
    let mut out = Vec::new();
    for c in clauses {
        out.push(clause(&c)?);
    }
    Ok(out
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", "))
}

fn clause(c: &str) -> Result<String, String> {
    if c == "*" {
        return Ok(String::new());
    }
    if let Some(v) = c.strip_prefix('^') {
        let release = release_of(v)?;
        // Bump the first non-zero component; all zeros bump the last one given.
        let i = release
            .iter()
            .position(|&n| n != 0)
            .unwrap_or(release.len() - 1);
        return Ok(format!(">={v}, <{}", bumped(&release, i)));
    }
    if let Some(v) = c.strip_prefix('~').filter(|v| !v.starts_with('=')) {
        let release = release_of(v)?;
        let i = if release.len() >= 2 { 1 } else { 0 };
        return Ok(format!(">={v}, <{}", bumped(&release, i)));
    }
    if c.starts_with(['<', '>', '=', '!', '~']) {
        return Ok(c.to_string());
    }
    // A bare version or wildcard means equality.
    Ok(format!("=={c}"))
}

fn release_of(v: &str) -> Result<Vec<u64>, String> {
    let version = Version::from_str(v).map_err(|_| format!("`{v}` is not a version"))?;
    Ok(version.release().to_vec())
}

/// `release[..=i]` with component `i` incremented, as a dotted version.
fn bumped(release: &[u64], i: usize) -> String {
    let mut parts = release[..=i].to_vec();
    parts[i] += 1;
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(c: &str) -> String {
        to_pep440(c).unwrap()
    }

    #[test]
    fn caret_and_tilde_follow_poetry() {
        assert_eq!(text("^1.2.3"), ">=1.2.3, <2");
        assert_eq!(text("^0.2.3"), ">=0.2.3, <0.3");
        assert_eq!(text("^0.0.3"), ">=0.0.3, <0.0.4");
        assert_eq!(text("^0.0"), ">=0.0, <0.1");
        assert_eq!(text("^0"), ">=0, <1");
        assert_eq!(text("~1.2.3"), ">=1.2.3, <1.3");
        assert_eq!(text("~1"), ">=1, <2");
        assert_eq!(text("~=1.2"), "~=1.2");
        assert_eq!(text(">= 1.2, < 1.5"), ">=1.2, <1.5");
        assert_eq!(text(">=1.2 <1.5"), ">=1.2, <1.5");
        assert_eq!(text("1.2.*"), "==1.2.*");
        assert_eq!(text("*"), "");
    }

    #[test]
    fn pins_ranges_and_unions() {
        let v = |s: &str| Version::from_str(s).unwrap();
        assert_eq!(parse("2.2.0").unwrap().pinned(), Some(&v("2.2.0")));
        let Spec::Range { ranges, .. } = parse("^1.0 || ^3.0").unwrap() else {
            panic!("range expected")
        };
        assert!(ranges.contains(&v("1.5")));
        assert!(!ranges.contains(&v("2.5")));
        assert!(ranges.contains(&v("3.1")));
        assert!(parse("^banana").is_err());
    }
}
