//! The advisory model: the facts flaskscan keeps from an OSV record, and how to read OSV JSON.
//!
//! We keep our own tolerant structs instead of a full OSV schema crate: the PyPI data has `null`s,
//! unknown ecosystems and prose we do not need, and the embedded snapshot stores exactly this model.

pub mod cvss;
pub mod db;
pub mod eval;

use serde::{Deserialize, Deserializer, Serialize};

use crate::deps::dependency::normalize_name;

/// The OSV ecosystem string for PyPI (case-sensitive in the API and the data).
pub const ECOSYSTEM: &str = "PyPI";

/// One vulnerability record, reduced to the facts the matcher and the reports use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// RFC 3339 timestamp; the later one wins when two records share an id.
    #[serde(default)]
    pub modified: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Set when the record was retracted; such records never match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    /// Severity vectors of the record (top-level or per package), e.g. `CVSS:3.1/AV:N/...`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<SeverityVector>,
    /// The database's own label (GHSA's `database_specific.severity`, e.g. `MODERATE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_severity: Option<String>,
    /// PyPI packages only, names PEP 503-normalised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<Affected>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

/// A severity entry as OSV writes it: the scoring system and a vector string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeverityVector {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

/// One `affected[]` entry of a PyPI package.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// PEP 503-normalised package name.
    pub package: String,
    /// ECOSYSTEM ranges only (GIT ranges need a commit graph; SEMVER does not occur for PyPI).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Vec<Event>>,
    /// Explicitly listed affected versions, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

/// One OSV range event; serialises exactly like OSV (`{"introduced": "0"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl Event {
    /// The version string the event carries.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

impl Advisory {
    /// Every id this vulnerability is known by: its own id first, then its aliases.
    pub fn all_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// Parses one OSV JSON record, keeping only PyPI packages. Errors name what was wrong.
    pub fn from_osv_json(text: &str) -> Result<Advisory, String> {
        let raw: RawOsv = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(raw.into_advisory())
    }

    /// Like [`Advisory::from_osv_json`] for an already parsed JSON value.
    pub fn from_osv_value(value: serde_json::Value) -> Result<Advisory, String> {
        let raw: RawOsv = serde_json::from_value(value).map_err(|e| e.to_string())?;
        Ok(raw.into_advisory())
    }
}

/// `null` and a missing field both mean "empty" in real OSV data.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct RawOsv {
    id: String,
    #[serde(default, deserialize_with = "nullable")]
    modified: String,
    #[serde(default, deserialize_with = "nullable")]
    published: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    withdrawn: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    aliases: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    severity: Vec<SeverityVector>,
    #[serde(default, deserialize_with = "nullable")]
    affected: Vec<RawAffected>,
    #[serde(default, deserialize_with = "nullable")]
    references: Vec<RawReference>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawAffected {
    #[serde(default)]
    package: Option<RawPackage>,
    #[serde(default, deserialize_with = "nullable")]
    ranges: Vec<RawRange>,
    #[serde(default, deserialize_with = "nullable")]
    versions: Vec<serde_json::Value>,
    #[serde(default, deserialize_with = "nullable")]
    severity: Vec<SeverityVector>,
}

#[derive(Deserialize)]
struct RawPackage {
    #[serde(default, deserialize_with = "nullable")]
    ecosystem: String,
    #[serde(default, deserialize_with = "nullable")]
    name: String,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    kind: String,
    #[serde(default, deserialize_with = "nullable")]
    events: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawReference {
    #[serde(default, deserialize_with = "nullable")]
    url: String,
}

impl RawOsv {
    fn into_advisory(self) -> Advisory {
        let mut severity = self.severity;
        let mut affected = Vec::new();
        for a in self.affected {
            let Some(pkg) = a.package else { continue };
            if pkg.ecosystem != ECOSYSTEM || pkg.name.is_empty() {
                continue;
            }
            for s in a.severity {
                if !severity.contains(&s) {
                    severity.push(s);
                }
            }
            let ranges = a
                .ranges
                .into_iter()
                .filter(|r| r.kind == "ECOSYSTEM")
                .map(|r| r.events.iter().filter_map(parse_event).collect())
                .collect();
            let versions = a
                .versions
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            affected.push(Affected {
                package: normalize_name(&pkg.name),
                ranges,
                versions,
            });
        }
        let db_severity = self
            .database_specific
            .as_ref()
            .and_then(|d| d.get("severity"))
            .and_then(|s| s.as_str())
            .map(str::to_string);
        Advisory {
            id: self.id,
            aliases: self.aliases,
            modified: self.modified,
            published: self.published,
            withdrawn: self.withdrawn,
            severity,
            db_severity,
            affected,
            references: self
                .references
                .into_iter()
                .map(|r| r.url)
                .filter(|u| !u.is_empty())
                .collect(),
        }
    }
}

fn parse_event(value: &serde_json::Value) -> Option<Event> {
    let obj = value.as_object()?;
    let (key, v) = obj.iter().next()?;
    let v = v.as_str()?.to_string();
    Some(match key.as_str() {
        "introduced" => Event::Introduced(v),
        "fixed" => Event::Fixed(v),
        "last_affected" => Event::LastAffected(v),
        "limit" => Event::Limit(v),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_osv_with_nulls_git_ranges_and_display_names() {
        let json = r#"{
          "id": "GHSA-xxxx", "modified": "2024-01-01T00:00:00Z", "aliases": null,
          "database_specific": {"severity": "MODERATE", "nvd_published_at": null},
          "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
          "affected": [
            {"package": {"ecosystem": "PyPI", "name": "Flask_Cors"},
             "ranges": [{"type": "GIT", "repo": "x", "events": [{"introduced": "0"}]},
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}],
             "versions": ["0.9", 3]},
            {"package": {"ecosystem": "npm", "name": "flask"}}
          ],
          "references": [{"type": "WEB", "url": "https://example.invalid/a"}]
        }"#;
        let a = Advisory::from_osv_json(json).unwrap();
        assert_eq!(a.aliases, Vec::<String>::new());
        assert_eq!(a.db_severity.as_deref(), Some("MODERATE"));
        assert_eq!(a.affected.len(), 1);
        assert_eq!(a.affected[0].package, "flask-cors");
        assert_eq!(a.affected[0].ranges.len(), 1);
        assert_eq!(a.affected[0].versions, vec!["0.9"]);
        assert_eq!(a.references, vec!["https://example.invalid/a"]);
    }

    #[test]
    fn events_serialise_like_osv() {
        let e = Event::LastAffected("1.11.0".into());
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"last_affected":"1.11.0"}"#
        );
    }
}
