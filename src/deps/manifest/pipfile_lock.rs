//! `Pipfile.lock`: JSON sections `default` and `develop` with `"version": "==x"`.
//!
//! serde_json keeps no positions, so each package's line is found by scanning the text for its
//! key inside its section.

use std::str::FromStr;

use pep508_rs::pep440_rs::Version;

use super::{Lines, Parsed};
use crate::deps::dependency::{Dependency, Origin, Spec};

/// Reads the `default` and `develop` sections.
pub fn parse(path: &str, text: &str, out: &mut Parsed) {
    let lines = Lines::new(text);
    let json: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            out.warn(path, Some(e.line() as u32), format!("invalid JSON: {e}"));
            return;
        }
    };
    for section in ["default", "develop"] {
        let Some(entries) = json.get(section).and_then(|s| s.as_object()) else {
            continue;
        };
        let section_start = text.find(&format!("\"{section}\"")).unwrap_or(0);
        for (name, entry) in entries {
            let offset = text[section_start..]
                .find(&format!("\"{name}\""))
                .map_or(section_start, |o| section_start + o);
            let line = lines.line_of(offset);
            let Some(version) = entry.get("version").and_then(|v| v.as_str()) else {
                out.note(
                    path,
                    Some(line),
                    format!("`{name}` has no version (VCS or path entry); skipped"),
                );
                continue;
            };
            let Some(parsed) = version
                .strip_prefix("==")
                .and_then(|v| Version::from_str(v.trim()).ok())
            else {
                out.warn(
                    path,
                    Some(line),
                    format!("`{name}` has an unexpected version `{version}`"),
                );
                continue;
            };
            let mut dep = Dependency::new(name, Spec::Pinned(parsed), path, line, lines.line(line));
            dep.origin = Origin::Lockfile;
            dep.group = (section == "develop").then(|| "develop".to_string());
            dep.marker = entry
                .get("markers")
                .and_then(|m| m.as_str())
                .map(str::to_string);
            out.dependencies.push(dep);
        }
    }
}
