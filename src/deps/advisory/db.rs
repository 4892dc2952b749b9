//! An in-memory advisory database indexed by package, with alias merging.

use std::collections::HashMap;

use pep508_rs::pep440_rs::Version;
use version_ranges::Ranges;

use super::eval::{CompiledAffected, Verdict};
use super::Advisory;

/// Advisories compiled for matching and indexed by PEP 503 package name.
#[derive(Debug, Default)]
pub struct Database {
    advisories: Vec<Advisory>,
    /// (advisory index, compiled affected entry) per package.
    by_package: HashMap<String, Vec<(usize, CompiledAffected)>>,
    withdrawn: usize,
}

/// The advisories of one vulnerability (records linked by aliases) matching one dependency.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    /// The matching records, sorted by id.
    pub records: Vec<&'a Advisory>,
    /// Every id and alias of the records, primary first, then sorted.
    pub ids: Vec<String>,
    /// `fixed` versions of the matching ranges for this package, sorted.
    pub fixed: Vec<Version>,
    /// The union of the affected versions of this package over the records.
    pub affected: Ranges<Version>,
}

impl<'a> Group<'a> {
    /// The id used in messages and fingerprints: PYSEC first, then GHSA, then CVE, then others.
    pub fn primary(&self) -> &str {
        &self.ids[0]
    }
}

/// Orders ids the way pip-audit and uv pick a "best id": PYSEC > GHSA > CVE > others.
fn id_rank(id: &str) -> (u8, &str) {
    let rank = if id.starts_with("PYSEC-") {
        0
    } else if id.starts_with("GHSA-") {
        1
    } else if id.starts_with("CVE-") {
        2
    } else {
        3
    };
    (rank, id)
}

impl Database {
    /// Builds a database; of two records with one id the later `modified` wins, withdrawn ones are dropped.
    pub fn new(records: impl IntoIterator<Item = Advisory>) -> Self {
        let mut by_id: HashMap<String, Advisory> = HashMap::new();
        for a in records {
            match by_id.get(&a.id) {
                Some(old) if old.modified >= a.modified => {}
                _ => {
                    by_id.insert(a.id.clone(), a);
                }
            }
        }
        let mut all: Vec<Advisory> = by_id.into_values().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        let mut db = Database::default();
        for a in all {
            if a.withdrawn.is_some() {
                db.withdrawn += 1;
                continue;
            }
            let idx = db.advisories.len();
            for aff in &a.affected {
                db.by_package
                    .entry(aff.package.clone())
                    .or_default()
                    .push((idx, CompiledAffected::new(aff)));
            }
            db.advisories.push(a);
        }
        db
    }

    /// Number of (non-withdrawn) advisories.
    pub fn len(&self) -> usize {
        self.advisories.len()
    }

    /// Whether the database holds no advisory.
    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    /// How many withdrawn records were skipped.
    pub fn withdrawn(&self) -> usize {
        self.withdrawn
    }

    /// Looks an advisory up by its own id.
    pub fn get(&self, id: &str) -> Option<&Advisory> {
        self.advisories
            .binary_search_by(|a| a.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.advisories[i])
    }

    /// The compiled entries of a package (`name` must be PEP 503-normalised).
    pub fn entries(&self, name: &str) -> impl Iterator<Item = (&Advisory, &CompiledAffected)> {
        self.by_package
            .get(name)
            .into_iter()
            .flatten()
            .map(|(i, c)| (&self.advisories[*i], c))
    }

    /// Advisories affecting `name` at `version`, merged by alias; plus advisories whose range
    /// could not be evaluated for it (id and bad version), so the caller can say so.
    pub fn affecting_version(
        &self,
        name: &str,
        version: &Version,
    ) -> (Vec<Group<'_>>, Vec<(String, String)>) {
        let mut hit_ids: Vec<&str> = Vec::new();
        let mut unknown = Vec::new();
        for (a, c) in self.entries(name) {
            match c.verdict(version) {
                Verdict::Affected => hit_ids.push(&a.id),
                Verdict::NotAffected => {}
                Verdict::Unknown { bad_version } => unknown.push((a.id.clone(), bad_version)),
            }
        }
        // A record affected through one entry is not "unknown" through another.
        unknown.retain(|(id, _)| !hit_ids.contains(&id.as_str()));
        unknown.dedup();
        (merge(self.with_entries(name, hit_ids)), unknown)
    }

    /// Advisories with affected versions inside `range`, merged by alias; each group's
    /// `affected` is narrowed to the intersection.
    pub fn affecting_range(&self, name: &str, range: &Ranges<Version>) -> Vec<Group<'_>> {
        let hit_ids: Vec<&str> = self
            .entries(name)
            .filter(|(_, c)| !c.affected_ranges().is_disjoint(range))
            .map(|(a, _)| a.id.as_str())
            .collect();
        let mut groups = merge(self.with_entries(name, hit_ids));
        for g in &mut groups {
            g.affected = g.affected.intersection(range);
        }
        groups
    }
}

impl Database {
    /// Each hit advisory with all its entries for `name` (one record may list a package twice).
    fn with_entries<'a>(
        &'a self,
        name: &str,
        mut ids: Vec<&str>,
    ) -> Vec<(&'a Advisory, Vec<&'a CompiledAffected>)> {
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .filter_map(|id| {
                let entries: Vec<_> = self
                    .entries(name)
                    .filter(|(a, _)| a.id == id)
                    .map(|(_, c)| c)
                    .collect();
                Some((self.get(id)?, entries))
            })
            .collect()
    }
}

/// Merges matching records whose id sets overlap (aliases are symmetric and transitive).
fn merge<'a>(hits: Vec<(&'a Advisory, Vec<&'a CompiledAffected>)>) -> Vec<Group<'a>> {
    // Union-find over hit indices, linked through any shared id or alias.
    let mut parent: Vec<usize> = (0..hits.len()).collect();
    fn find(p: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while p[r] != r {
            r = p[r];
        }
        p[i] = r;
        r
    }
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, (a, _)) in hits.iter().enumerate() {
        for id in a.all_ids() {
            if let Some(&j) = owner.get(id) {
                let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                parent[ri] = rj;
            } else {
                owner.insert(id, i);
            }
        }
    }
    let mut by_root: Vec<(usize, Vec<usize>)> = Vec::new();
    for i in 0..hits.len() {
        let r = find(&mut parent, i);
        match by_root.iter_mut().find(|(root, _)| *root == r) {
            Some((_, members)) => members.push(i),
            None => by_root.push((r, vec![i])),
        }
    }
    let mut groups: Vec<Group<'a>> = by_root
        .into_iter()
        .map(|(_, members)| {
            let mut records: Vec<&Advisory> = Vec::new();
            let mut ids: Vec<String> = Vec::new();
            let mut fixed = Vec::new();
            let mut affected = Ranges::empty();
            for i in members {
                let (a, entries) = &hits[i];
                records.push(*a);
                ids.extend(a.all_ids().map(str::to_string));
                for c in entries {
                    fixed.extend(c.fixed_versions());
                    affected = affected.union(&c.affected_ranges());
                }
            }
            records.sort_by(|a, b| a.id.cmp(&b.id));
            ids.sort_by(|a, b| id_rank(a).cmp(&id_rank(b)));
            ids.dedup();
            fixed.sort();
            fixed.dedup();
            Group {
                records,
                ids,
                fixed,
                affected,
            }
        })
        .collect();
    groups.sort_by(|a, b| a.primary().cmp(b.primary()));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deps::advisory::{Affected, Event};
    use std::str::FromStr;

    fn adv(id: &str, aliases: &[&str], fixed: &str) -> Advisory {
        Advisory {
            id: id.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            modified: "2024-01-01T00:00:00Z".into(),
            affected: vec![Affected {
                package: "flask".into(),
                ranges: vec![vec![
                    Event::Introduced("0".into()),
                    Event::Fixed(fixed.into()),
                ]],
                versions: vec![],
            }],
            ..Default::default()
        }
    }

    #[test]
    fn aliases_merge_transitively_and_pysec_is_primary() {
        let db = Database::new([
            adv("GHSA-aaaa", &["CVE-1"], "2.0"),
            adv("PYSEC-1", &["CVE-1"], "2.0"),
            adv("GHSA-bbbb", &[], "1.0"),
        ]);
        let (groups, unknown) = db.affecting_version("flask", &Version::from_str("0.5").unwrap());
        assert!(unknown.is_empty());
        assert_eq!(groups.len(), 2);
        let merged = groups.iter().find(|g| g.records.len() == 2).unwrap();
        assert_eq!(merged.primary(), "PYSEC-1");
        assert_eq!(merged.ids, vec!["PYSEC-1", "GHSA-aaaa", "CVE-1"]);
    }

    #[test]
    fn later_modified_wins_and_withdrawn_is_skipped() {
        let mut newer = adv("PYSEC-1", &[], "3.0");
        newer.modified = "2025-01-01T00:00:00Z".into();
        let mut gone = adv("PYSEC-2", &[], "9.0");
        gone.withdrawn = Some("2024-02-02T00:00:00Z".into());
        let db = Database::new([adv("PYSEC-1", &[], "2.0"), newer, gone]);
        assert_eq!(db.len(), 1);
        assert_eq!(db.withdrawn(), 1);
        let (groups, _) = db.affecting_version("flask", &Version::from_str("2.5").unwrap());
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].fixed, vec![Version::from_str("3.0").unwrap()]);
    }
}
