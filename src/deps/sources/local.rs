//! Local OSV exports: a directory of OSV JSON files or an ecosystem `all.zip`.

use std::io::Read;
use std::path::Path;

use crate::deps::advisory::Advisory;

/// Bounds on what a local export may hold, so a wrong path cannot exhaust memory.
const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;
const MAX_RECORDS: usize = 1_000_000;
const MAX_DEPTH: usize = 8;

/// Records read from an export, plus the records that could not be read (name, error).
#[derive(Debug, Default)]
pub struct Export {
    pub advisories: Vec<Advisory>,
    pub errors: Vec<(String, String)>,
}

/// Reads a directory (recursively), a `.zip` or a single `.json` file.
pub fn load(path: &Path) -> Result<Export, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut export = Export::default();
    if meta.is_dir() {
        load_dir(path, 0, &mut export)?;
    } else if !meta.is_file() {
        return Err(format!("{}: not a regular file or folder", path.display()));
    } else if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
    {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        load_zip(file, &mut export).map_err(|e| format!("{}: {e}", path.display()))?;
    } else {
        let text = crate::workspace::read_named_text(path, MAX_RECORD_BYTES)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        record(&path.display().to_string(), &text, &mut export);
    }
    Ok(export)
}

/// Reads every `.json` entry of a zip archive (the layout of OSV's `<ECOSYSTEM>/all.zip`).
pub fn load_zip(reader: impl Read + std::io::Seek, export: &mut Export) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| format!("not a zip archive: {e}"))?;
    for i in 0..zip.len().min(MAX_RECORDS) {
        let mut entry = zip.by_index(i).map_err(|e| e.to_string())?;
        let name = entry.name().to_string();
        if !entry.is_file() || !name.ends_with(".json") {
            continue;
        }
        if entry.size() > MAX_RECORD_BYTES {
            export.errors.push((name, "record too large".into()));
            continue;
        }
        let mut text = String::new();
        match entry
            .by_ref()
            .take(MAX_RECORD_BYTES)
            .read_to_string(&mut text)
        {
            Ok(_) => record(&name, &text, export),
            Err(e) => export.errors.push((name, e.to_string())),
        }
    }
    Ok(())
}

fn load_dir(dir: &Path, depth: usize, export: &mut Export) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        // Symlinks are not followed: an export is plain files.
        if kind.is_dir() {
            load_dir(&path, depth + 1, export)?;
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "json") {
            if export.advisories.len() >= MAX_RECORDS {
                break;
            }
            match std::fs::read_to_string(&path) {
                Ok(text) => record(&path.display().to_string(), &text, export),
                Err(e) => export
                    .errors
                    .push((path.display().to_string(), e.to_string())),
            }
        }
    }
    Ok(())
}

fn record(name: &str, text: &str, export: &mut Export) {
    match Advisory::from_osv_json(text) {
        Ok(a) => export.advisories.push(a),
        Err(e) => export.errors.push((name.to_string(), e)),
    }
}
