//! The OSV evaluation algorithm for PyPI, compiled to PEP 440 version ranges.
//!
//! Each ECOSYSTEM range becomes a `Ranges<Version>` by sweeping its events in PEP 440 order (the
//! data has unsorted events, so file order is wrong). A range with an unparsable event is kept as
//! "unevaluable" instead of being dropped: dropping a `fixed` would turn "< X" into "everything".

use std::ops::Bound;
use std::str::FromStr;

use pep508_rs::pep440_rs::Version;
use version_ranges::Ranges;

use super::{Affected, Event};

/// One compiled ECOSYSTEM range.
#[derive(Debug, Clone)]
pub enum CompiledRange {
    /// The versions the range covers, and its `fixed` versions (for upgrade advice).
    Ok {
        affected: Ranges<Version>,
        fixed: Vec<Version>,
    },
    /// An event version did not parse; the range's extent is unknown.
    Unevaluable { bad_version: String },
}

/// One `affected[]` entry ready for matching.
#[derive(Debug, Clone)]
pub struct CompiledAffected {
    pub package: String,
    pub ranges: Vec<CompiledRange>,
    /// The `versions[]` list, parsed; entries that do not parse are skipped (they match nothing).
    pub versions: Vec<Version>,
}

/// What the matcher says about one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Affected,
    NotAffected,
    /// Not listed and not in any evaluable range, but some range could not be evaluated.
    Unknown {
        bad_version: String,
    },
}

/// Parses an OSV event version; `"0"` means "before everything" and is returned as `None`.
fn event_version(s: &str) -> Result<Option<Version>, String> {
    if s == "0" {
        return Ok(None);
    }
    Version::from_str(s).map(Some).map_err(|_| s.to_string())
}

/// Compiles one range's events (OSV §Evaluation: sorted sweep; `limit` caps the range).
pub fn compile_range(events: &[Event]) -> CompiledRange {
    let mut points: Vec<(Option<Version>, &Event)> = Vec::with_capacity(events.len());
    let mut limit: Option<Ranges<Version>> = None;
    for e in events {
        if let Event::Limit(v) = e {
            if v == "*" {
                continue;
            }
            match event_version(v) {
                // A version is inside the limits when it is below any limit: a union.
                Ok(Some(lv)) => {
                    let below = Ranges::strictly_lower_than(lv);
                    limit = Some(limit.map_or(below.clone(), |l| l.union(&below)));
                }
                Ok(None) => limit = Some(limit.unwrap_or_else(Ranges::empty)),
                Err(bad) => return CompiledRange::Unevaluable { bad_version: bad },
            }
            continue;
        }
        match event_version(e.version()) {
            Ok(v) => points.push((v, e)),
            Err(bad) => return CompiledRange::Unevaluable { bad_version: bad },
        }
    }
    // Stable sort: equal versions keep file order, as the reference implementation does.
    points.sort_by(|a, b| a.0.cmp(&b.0));

    let mut affected = Ranges::empty();
    let mut fixed = Vec::new();
    let mut start: Option<Bound<Version>> = None;
    for (v, e) in points {
        let lower = || v.clone().map_or(Bound::Unbounded, Bound::Included);
        match e {
            Event::Introduced(_) => {
                if start.is_none() {
                    start = Some(lower());
                }
            }
            Event::Fixed(_) => {
                if let Some(v) = &v {
                    fixed.push(v.clone());
                }
                if let Some(s) = start.take() {
                    let end = v
                        .clone()
                        .map_or(Bound::Excluded(MIN.clone()), Bound::Excluded);
                    affected = affected.union(&Ranges::from_range_bounds((s, end)));
                }
            }
            Event::LastAffected(_) => {
                if let Some(s) = start.take() {
                    let end = v
                        .clone()
                        .map_or(Bound::Excluded(MIN.clone()), Bound::Included);
                    affected = affected.union(&Ranges::from_range_bounds((s, end)));
                }
            }
            Event::Limit(_) => {}
        }
    }
    if let Some(s) = start {
        affected = affected.union(&Ranges::from_range_bounds((s, Bound::Unbounded)));
    }
    if let Some(limit) = limit {
        affected = affected.intersection(&limit);
    }
    CompiledRange::Ok { affected, fixed }
}

static MIN: std::sync::LazyLock<Version> =
    std::sync::LazyLock::new(|| pep508_rs::pep440_rs::MIN_VERSION.clone());

impl CompiledAffected {
    /// Compiles an `affected[]` entry.
    pub fn new(a: &Affected) -> Self {
        CompiledAffected {
            package: a.package.clone(),
            ranges: a.ranges.iter().map(|r| compile_range(r)).collect(),
            versions: a
                .versions
                .iter()
                .filter_map(|v| Version::from_str(v).ok())
                .collect(),
        }
    }

    /// Whether `version` is affected (listed, or inside any evaluable range).
    pub fn verdict(&self, version: &Version) -> Verdict {
        if self.versions.iter().any(|v| v == version) {
            return Verdict::Affected;
        }
        let mut unknown = None;
        for r in &self.ranges {
            match r {
                CompiledRange::Ok { affected, .. } if affected.contains(version) => {
                    return Verdict::Affected
                }
                CompiledRange::Ok { .. } => {}
                CompiledRange::Unevaluable { bad_version } => {
                    unknown.get_or_insert_with(|| bad_version.clone());
                }
            }
        }
        match unknown {
            Some(bad_version) => Verdict::Unknown { bad_version },
            None => Verdict::NotAffected,
        }
    }

    /// Every affected version as one range: evaluable ranges plus the listed versions.
    pub fn affected_ranges(&self) -> Ranges<Version> {
        let mut all = Ranges::empty();
        for r in &self.ranges {
            if let CompiledRange::Ok { affected, .. } = r {
                all = all.union(affected);
            }
        }
        for v in &self.versions {
            all = all.union(&Ranges::singleton(v.clone()));
        }
        all
    }

    /// The first unparsable event version, if any range could not be evaluated.
    pub fn unevaluable(&self) -> Option<&str> {
        self.ranges.iter().find_map(|r| match r {
            CompiledRange::Unevaluable { bad_version } => Some(bad_version.as_str()),
            CompiledRange::Ok { .. } => None,
        })
    }

    /// Every `fixed` version of the evaluable ranges, sorted and deduplicated.
    pub fn fixed_versions(&self) -> Vec<Version> {
        let mut out: Vec<Version> = self
            .ranges
            .iter()
            .filter_map(|r| match r {
                CompiledRange::Ok { fixed, .. } => Some(fixed.iter().cloned()),
                CompiledRange::Unevaluable { .. } => None,
            })
            .flatten()
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::from_str(s).unwrap()
    }

    fn affected(events: Vec<Event>, versions: &[&str]) -> CompiledAffected {
        CompiledAffected::new(&Affected {
            package: "p".into(),
            ranges: vec![events],
            versions: versions.iter().map(|s| s.to_string()).collect(),
        })
    }

    use Event::*;

    #[test]
    fn unsorted_events_are_sorted_before_the_sweep() {
        // PYSEC-2023-192 (urllib3) lists the 2.x interval first.
        let a = affected(
            vec![
                Introduced("2.0.0".into()),
                Fixed("2.0.6".into()),
                Introduced("0".into()),
                Fixed("1.26.17".into()),
            ],
            &[],
        );
        assert_eq!(a.verdict(&v("2.0.5")), Verdict::Affected);
        assert_eq!(a.verdict(&v("1.26.16")), Verdict::Affected);
        assert_eq!(a.verdict(&v("1.26.17")), Verdict::NotAffected);
        assert_eq!(a.verdict(&v("2.0.6")), Verdict::NotAffected);
        assert_eq!(a.fixed_versions(), vec![v("1.26.17"), v("2.0.6")]);
    }

    #[test]
    fn last_affected_is_inclusive_and_prereleases_order() {
        let a = affected(
            vec![Introduced("0".into()), LastAffected("1.11.0".into())],
            &[],
        );
        assert_eq!(a.verdict(&v("1.11.0")), Verdict::Affected);
        assert_eq!(a.verdict(&v("1.11.1")), Verdict::NotAffected);
        let b = affected(vec![Introduced("0".into()), Fixed("5.2b1".into())], &[]);
        assert_eq!(b.verdict(&v("5.2a1")), Verdict::Affected);
        assert_eq!(b.verdict(&v("5.2b1")), Verdict::NotAffected);
        assert_eq!(b.verdict(&v("0.1.dev0")), Verdict::Affected);
    }

    #[test]
    fn listed_versions_compare_as_versions() {
        let a = affected(vec![], &["1.0", "3.0.0b3-"]);
        assert_eq!(a.verdict(&v("1.0.0")), Verdict::Affected);
        assert_eq!(a.verdict(&v("1.1")), Verdict::NotAffected);
    }

    #[test]
    fn an_unparsable_fixed_makes_the_range_unevaluable_not_everything() {
        let a = affected(
            vec![Introduced("0".into()), Fixed("2019-09-12".into())],
            &["0.1"],
        );
        assert_eq!(a.verdict(&v("0.1")), Verdict::Affected);
        assert_eq!(
            a.verdict(&v("9.0")),
            Verdict::Unknown {
                bad_version: "2019-09-12".into()
            }
        );
    }

    #[test]
    fn limit_caps_an_open_range() {
        let a = affected(vec![Introduced("1.0".into()), Limit("2.0".into())], &[]);
        assert_eq!(a.verdict(&v("1.5")), Verdict::Affected);
        assert_eq!(a.verdict(&v("2.0")), Verdict::NotAffected);
        let b = affected(vec![Introduced("1.0".into()), Limit("*".into())], &[]);
        assert_eq!(b.verdict(&v("99")), Verdict::Affected);
    }
}
