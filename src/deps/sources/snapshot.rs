//! The compact advisory snapshot: built from an OSV export, embedded in the binary.
//!
//! Format: gzip of one JSON object `{format, source, date, advisories}` where each advisory is
//! our [`Advisory`] model — facts only, no summary or details prose. `versions[]` entries already
//! covered by an evaluable range are dropped (they cannot change a verdict), which keeps the
//! PyPA data small without changing any answer.

use std::io::{Read, Write};
use std::path::Path;

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};

use super::local;
use crate::deps::advisory::eval::{CompiledAffected, CompiledRange, Verdict};
use crate::deps::advisory::Advisory;

/// Bumped when the snapshot layout changes incompatibly.
const FORMAT: u32 = 1;

/// The snapshot compiled into the binary (see `data/README.md` for its source and licence).
static EMBEDDED: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/advisories.json.gz"
));

/// A decoded snapshot.
#[derive(Debug, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: u32,
    /// Where the facts come from, e.g. "PyPA advisory-database via OSV".
    pub source: String,
    /// The newest `modified` date of the records, `YYYY-MM-DD`.
    pub date: String,
    pub advisories: Vec<Advisory>,
}

/// What `db build` did.
#[derive(Debug)]
pub struct BuildReport {
    pub advisories: usize,
    pub withdrawn_dropped: usize,
    pub unreadable: Vec<(String, String)>,
    pub bytes: usize,
    pub date: String,
}

/// Decodes the embedded snapshot.
pub fn embedded() -> Result<Snapshot, String> {
    decode(EMBEDDED)
}

/// Decodes snapshot bytes.
pub fn decode(bytes: &[u8]) -> Result<Snapshot, String> {
    let mut json = Vec::new();
    GzDecoder::new(bytes)
        .take(256 * 1024 * 1024)
        .read_to_end(&mut json)
        .map_err(|e| format!("snapshot is not gzip: {e}"))?;
    let snap: Snapshot =
        serde_json::from_slice(&json).map_err(|e| format!("snapshot is invalid: {e}"))?;
    if snap.format != FORMAT {
        return Err(format!("snapshot format {} is not {FORMAT}", snap.format));
    }
    Ok(snap)
}

/// Builds a snapshot from OSV exports (a dir or `all.zip` each; later records win on equal ids
/// only when newer) and writes it to `out`.
pub fn build(inputs: &[&Path], source: &str, out: &Path) -> Result<BuildReport, String> {
    let mut records: Vec<Advisory> = Vec::new();
    let mut unreadable = Vec::new();
    for input in inputs {
        let export = local::load(input)?;
        records.extend(export.advisories);
        unreadable.extend(export.errors);
    }
    // Same rule as the database: of two records with one id, the later `modified` wins.
    records.sort_by(|a, b| a.id.cmp(&b.id).then(b.modified.cmp(&a.modified)));
    records.dedup_by(|later, earlier| later.id == earlier.id);
    let before = records.len();
    records.retain(|a| a.withdrawn.is_none() && !a.affected.is_empty());
    let withdrawn_dropped = before - records.len();
    for a in &mut records {
        compact(a);
    }
    let date = records
        .iter()
        .map(|a| a.modified.get(..10).unwrap_or(""))
        .max()
        .unwrap_or("")
        .to_string();
    let snap = Snapshot {
        format: FORMAT,
        source: source.to_string(),
        date: date.clone(),
        advisories: records,
    };
    let bytes = encode(&snap)?;
    write_atomic(out, &bytes)?;
    Ok(BuildReport {
        advisories: snap.advisories.len(),
        withdrawn_dropped,
        unreadable,
        bytes: bytes.len(),
        date,
    })
}

/// Gzip-compressed JSON of a snapshot.
pub fn encode(snap: &Snapshot) -> Result<Vec<u8>, String> {
    let json = serde_json::to_vec(snap).map_err(|e| e.to_string())?;
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&json).map_err(|e| e.to_string())?;
    gz.finish().map_err(|e| e.to_string())
}

/// Drops listed versions that no verdict can need: unparsable ones (they never match) and ones
/// an evaluable range already covers. Kept whole when a range is unevaluable.
fn compact(a: &mut Advisory) {
    for aff in &mut a.affected {
        let compiled = CompiledAffected::new(&crate::deps::advisory::Affected {
            package: aff.package.clone(),
            ranges: aff.ranges.clone(),
            versions: Vec::new(),
        });
        if compiled
            .ranges
            .iter()
            .any(|r| matches!(r, CompiledRange::Unevaluable { .. }))
        {
            continue;
        }
        aff.versions.retain(|v| {
            v.parse::<pep508_rs::pep440_rs::Version>()
                .is_ok_and(|parsed| compiled.verdict(&parsed) != Verdict::Affected)
        });
    }
}

/// Writes through a temporary file and a rename, so readers never see half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_snapshot_decodes_and_has_no_prose() {
        let snap = embedded().unwrap();
        assert!(snap.advisories.len() > 2000, "{}", snap.advisories.len());
        assert!(!snap.date.is_empty());
        let json = serde_json::to_string(&snap.advisories[0]).unwrap();
        assert!(!json.contains("\"details\"") && !json.contains("\"summary\""));
        assert!(EMBEDDED.len() < 3 * 1024 * 1024);
    }

    #[test]
    fn compaction_keeps_only_versions_ranges_do_not_cover() {
        use crate::deps::advisory::{Affected, Event};
        let mut a = Advisory {
            id: "X".into(),
            affected: vec![Affected {
                package: "p".into(),
                ranges: vec![vec![
                    Event::Introduced("1.0".into()),
                    Event::Fixed("2.0".into()),
                ]],
                versions: vec!["1.5".into(), "0.9".into(), "bad-".into()],
            }],
            ..Default::default()
        };
        compact(&mut a);
        assert_eq!(a.affected[0].versions, vec!["0.9"]);
    }
}
