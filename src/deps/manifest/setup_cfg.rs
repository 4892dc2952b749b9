//! `setup.cfg`: `[options] install_requires` and `[options.extras_require]` (configparser syntax).

use super::requirements::pep508_dependency;
use super::Parsed;

/// Reads the dangling-list values of `install_requires` and of every extra.
pub fn parse(path: &str, text: &str, out: &mut Parsed) {
    let mut section = String::new();
    // The key whose dangling list we are inside, if it is a dependency key.
    let mut current: Option<Option<String>> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u32 + 1;
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            section = trimmed[1..trimmed.len() - 1].trim().to_string();
            current = None;
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        let continuation = line.starts_with([' ', '\t']);
        let value = if continuation {
            if current.is_none() {
                continue;
            }
            trimmed
        } else {
            let Some((key, value)) = trimmed.split_once(['=', ':']) else {
                current = None;
                continue;
            };
            let key = key.trim();
            current = match section.as_str() {
                "options" if key == "install_requires" => Some(None),
                "options.extras_require" => Some(Some(key.to_string())),
                _ => None,
            };
            value.trim()
        };
        let Some(group) = current.clone() else {
            continue;
        };
        // `;` is not a comment here: it starts an environment marker.
        let value = value.split(" #").next().unwrap_or("").trim();
        // One requirement per line of the dangling list (a comma belongs to the specifier).
        if value.is_empty() {
            continue;
        }
        if let Some(mut dep) = pep508_dependency(value, path, line_no, line, out) {
            dep.group = group;
            out.dependencies.push(dep);
        }
    }
}
