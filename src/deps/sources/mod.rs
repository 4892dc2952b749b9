//! Where advisories come from: the OSV API, a local export, the cached export, or the embedded snapshot.

pub mod cache;
pub mod local;
pub mod osv_api;
pub mod snapshot;

use std::collections::BTreeSet;
use std::path::Path;

use crate::deps::advisory::db::Database;
use crate::deps::advisory::Advisory;
use crate::deps::dependency::{Dependency, Spec};
use crate::deps::Options;
use crate::finding::{Notification, NotificationLevel};

/// A loaded database and a description of where it came from.
pub struct Loaded {
    pub db: Database,
    /// e.g. "OSV API (https://api.osv.dev)" or "embedded snapshot of 2024-10-10".
    pub source: String,
    pub notifications: Vec<Notification>,
}

fn warning(message: String) -> Notification {
    Notification {
        level: NotificationLevel::Warning,
        path: None,
        line: None,
        message,
    }
}

/// The offline database: `--advisory-db`, else the export `db update` cached, else the embedded snapshot.
pub fn offline(options: &Options) -> Result<Loaded, String> {
    if let Some(path) = &options.advisory_db {
        return from_export(path, &format!("local advisory database {}", path.display()));
    }
    if let Some(dir) = options.cache_dir() {
        let export = cache::export_path(&dir);
        if export.is_file() {
            let when = std::fs::metadata(&export)
                .and_then(|m| m.modified())
                .ok()
                .map(crate::deps::civil_date)
                .unwrap_or_default();
            match from_export(&export, &format!("OSV export downloaded {when}")) {
                Ok(loaded) => return Ok(loaded),
                Err(e) => {
                    let mut loaded = embedded()?;
                    loaded.notifications.push(warning(format!(
                        "cached OSV export unusable ({e}); using the {}",
                        loaded.source
                    )));
                    return Ok(loaded);
                }
            }
        }
    }
    embedded()
}

/// The snapshot compiled into the binary.
pub fn embedded() -> Result<Loaded, String> {
    let snap = snapshot::embedded()?;
    Ok(Loaded {
        db: Database::new(snap.advisories),
        source: format!("embedded snapshot of {}", snap.date),
        notifications: Vec::new(),
    })
}

fn from_export(path: &Path, source: &str) -> Result<Loaded, String> {
    let export = local::load(path)?;
    let mut notifications = Vec::new();
    if let Some((name, err)) = export.errors.first() {
        notifications.push(warning(format!(
            "{} record(s) of {} could not be read (first: {name}: {err})",
            export.errors.len(),
            path.display()
        )));
    }
    if export.advisories.is_empty() {
        return Err(format!("{} holds no OSV record", path.display()));
    }
    Ok(Loaded {
        db: Database::new(export.advisories),
        source: source.to_string(),
        notifications,
    })
}

/// The online database: only the records OSV reports for these dependencies.
pub fn online(options: &Options, deps: &[Dependency]) -> Result<Loaded, String> {
    let client = osv_api::Client::new(options.client_config());
    let cache_dir = options.cache_dir();
    // Pinned: ask for that version; ranges: ask for every vulnerability of the package.
    let queries: Vec<osv_api::Query> = deps
        .iter()
        .map(|d| osv_api::Query {
            name: d.name.clone(),
            version: match &d.spec {
                Spec::Pinned(v) => Some(v.to_string()),
                Spec::Range { .. } => None,
            },
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let key = |q: &osv_api::Query| format!("{}@{}", q.name, q.version.as_deref().unwrap_or("*"));
    let mut answers: Vec<Option<Vec<(String, String)>>> = queries
        .iter()
        .map(|q| {
            cache_dir
                .as_ref()
                .and_then(|dir| cache::get_query(dir, &key(q), options.cache_ttl))
                .map(|e| e.vulns)
        })
        .collect();
    let missing: Vec<usize> = (0..queries.len())
        .filter(|&i| answers[i].is_none())
        .collect();
    if !missing.is_empty() {
        let to_send: Vec<_> = missing.iter().map(|&i| queries[i].clone()).collect();
        let fetched = client.query_batch(&to_send)?;
        for (&i, vulns) in missing.iter().zip(fetched) {
            if let Some(dir) = &cache_dir {
                let entry = cache::QueryEntry {
                    fetched_at: cache::now_secs(),
                    vulns: vulns.clone(),
                };
                cache::put_query(dir, &key(&queries[i]), &entry);
            }
            answers[i] = Some(vulns);
        }
    }
    let wanted: BTreeSet<(String, String)> = answers.into_iter().flatten().flatten().collect();
    let mut records = Vec::new();
    let mut notifications = Vec::new();
    let mut seen = BTreeSet::new();
    for (id, modified) in wanted {
        if !seen.insert(id.clone()) {
            continue;
        }
        let cached = cache_dir
            .as_ref()
            .and_then(|dir| cache::get_vuln(dir, &id))
            .and_then(|t| Advisory::from_osv_json(&t).ok())
            .filter(|a| a.modified >= modified);
        let advisory = match cached {
            Some(a) => a,
            None => match client.vuln(&id)? {
                Some(json) => match Advisory::from_osv_json(&json) {
                    Ok(a) => {
                        if let Some(dir) = &cache_dir {
                            cache::put_vuln(dir, &id, &json);
                        }
                        a
                    }
                    Err(e) => {
                        notifications.push(warning(format!("OSV record {id} is invalid: {e}")));
                        continue;
                    }
                },
                None => {
                    notifications.push(warning(format!(
                        "OSV reported {id} but has no record for it"
                    )));
                    continue;
                }
            },
        };
        records.push(advisory);
    }
    Ok(Loaded {
        db: Database::new(records),
        source: format!("OSV API ({})", options.osv_url),
        notifications,
    })
}
