//! Dependencies + advisories → FS601/FS602/FS603 findings.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};

use pep508_rs::pep440_rs::Version;
use sha2::{Digest, Sha256};
use version_ranges::Ranges;

use super::advisory::cvss;
use super::advisory::db::{Database, Group};
use super::dependency::{Dependency, Origin, Spec};
use super::manifest::{self, Root};
use super::sources::{self, cache::hex, Loaded};
use super::{deprecated, AdvisoryMode, IgnoreVuln, Options, Outcome};
use crate::finding::{
    Finding, Location, Notification, NotificationLevel, PackageFacts, Position, Severity,
};
use crate::rules::fs603_deprecated_package as fs603;
use crate::rules::{fs601_vulnerable_dependency as fs601, fs602_unpinned_dependency as fs602};

/// The whole audit: parse, load advisories per the mode, judge.
pub fn run(root: &Path, manifests: &[PathBuf], options: &Options) -> Outcome {
    let mut outcome = Outcome::default();
    let root = match Root::new(root) {
        Ok(r) => r,
        Err(e) => {
            let why = format!(
                "dependency audit: cannot open the scan root {}: {e}",
                root.display()
            );
            outcome
                .notifications
                .push(global(NotificationLevel::Error, why.clone()));
            outcome.failure = Some(why);
            return outcome;
        }
    };
    let (deps, notes) = collect(&root, manifests);
    outcome.notifications = notes;
    outcome.dependencies = deps;
    if outcome.dependencies.is_empty() {
        outcome.source = "none needed (no dependencies found)".into();
        return outcome;
    }
    let db = match load(options, &outcome.dependencies) {
        Ok(loaded) => {
            outcome.source = loaded.source;
            outcome.notifications.extend(loaded.notifications);
            loaded.db
        }
        Err(e) => {
            let why = format!("dependency audit: no advisory data: {e}");
            outcome
                .notifications
                .push(global(NotificationLevel::Error, why.clone()));
            outcome.failure = Some(why);
            outcome.source = "unavailable".into();
            // Deprecated packages and unpinned ranges are still worth reporting.
            Database::default()
        }
    };
    outcome.findings = judge(
        &db,
        &outcome.dependencies,
        options,
        &mut outcome.notifications,
    );
    outcome
}

fn global(level: NotificationLevel, message: String) -> Notification {
    Notification {
        level,
        path: None,
        line: None,
        message,
    }
}

/// Parses every manifest (a requirements file others include is read through each includer as
/// well as on its own); a dependency reached both directly and through an include is kept
/// once, with its "via".
pub fn collect(root: &Root, manifests: &[PathBuf]) -> (Vec<Dependency>, Vec<Notification>) {
    let mut all: Vec<Dependency> = Vec::new();
    let mut notes: Vec<Notification> = Vec::new();
    for rel in manifests {
        let parsed = manifest::parse(root, rel);
        all.extend(parsed.dependencies);
        notes.extend(parsed.notifications);
    }
    let mut by_site: BTreeMap<(String, u32, String), Dependency> = BTreeMap::new();
    for dep in all {
        let key = (dep.path.clone(), dep.line, dep.name.clone());
        match by_site.get(&key) {
            Some(existing) if existing.via.is_some() || dep.via.is_none() => {}
            _ => {
                by_site.insert(key, dep);
            }
        }
    }
    let mut seen = HashSet::new();
    notes.retain(|n| seen.insert((n.path.clone(), n.line, n.message.clone())));
    (by_site.into_values().collect(), notes)
}

fn load(options: &Options, deps: &[Dependency]) -> Result<Loaded, String> {
    // A given export is the whole database for the run.
    if options.advisory_db.is_some() || options.mode == AdvisoryMode::Offline {
        return sources::offline(options);
    }
    match sources::online(options, deps) {
        Ok(l) => Ok(l),
        Err(e) if options.mode == AdvisoryMode::Auto => {
            let mut l = sources::offline(options)?;
            l.notifications.push(global(
                NotificationLevel::Warning,
                format!("OSV API unreachable ({e}); fell back to the {}", l.source),
            ));
            l.source = format!("{} (OSV API unreachable)", l.source);
            Ok(l)
        }
        Err(e) => Err(e),
    }
}

/// Turns dependencies into findings against `db`.
pub fn judge(
    db: &Database,
    deps: &[Dependency],
    options: &Options,
    notes: &mut Vec<Notification>,
) -> Vec<Finding> {
    let today = options.today();
    let ignores = Ignores::new(&options.ignore_vulns, &today, notes);
    // Packages pinned by a lockfile, per directory: ranges next to them are not "unpinned".
    let locked: HashSet<(String, String)> = deps
        .iter()
        .filter(|d| d.origin == Origin::Lockfile)
        .map(|d| (dir_of(&d.path), d.name.clone()))
        .collect();
    let sites = pinned_sites(deps);
    let mut findings = Vec::new();
    let mut deprecated_sites = BTreeSet::new();
    for dep in deps {
        match &dep.spec {
            Spec::Pinned(version) => {
                // One finding per package version, at the site that decides what is installed.
                let same = &sites[&(dep.name.as_str(), version)];
                if !std::ptr::eq(same[0], dep) {
                    continue;
                }
                let (groups, unknown) = db.affecting_version(&dep.name, version);
                for (id, bad) in unknown {
                    notes.push(Notification::file_warning(
                        &dep.path,
                        Some(dep.line),
                        format!(
                            "advisory {id} for {} has a range that cannot be evaluated (version `{bad}` does not parse); whether {} {version} is affected is unknown",
                            dep.name, dep.name
                        ),
                    ));
                }
                for g in groups {
                    if ignores.ignored(&g, dep, notes) {
                        continue;
                    }
                    findings.push(vulnerable(dep, version, &g, &same[1..]));
                }
            }
            Spec::Range { ranges, .. } => {
                if !locked.contains(&(dir_of(&dep.path), dep.name.clone())) {
                    let groups: Vec<Group> = db
                        .affecting_range(&dep.name, ranges)
                        .into_iter()
                        .filter(|g| !ignores.ignored(g, dep, notes))
                        .collect();
                    findings.push(unpinned(dep, &groups));
                }
            }
        }
        if let Some(d) = deprecated::lookup(&dep.name) {
            if deprecated_sites.insert((dep.path.clone(), dep.line, dep.name.clone())) {
                findings.push(deprecated_finding(dep, d));
            }
        }
    }
    findings.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then(a.message.cmp(&b.message))
    });
    findings
}

/// Every site pinning each (package, version): lockfiles first (they decide what is installed),
/// then in path and line order.
fn pinned_sites(deps: &[Dependency]) -> BTreeMap<(&str, &Version), Vec<&Dependency>> {
    let mut sites: BTreeMap<(&str, &Version), Vec<&Dependency>> = BTreeMap::new();
    for dep in deps {
        if let Spec::Pinned(v) = &dep.spec {
            sites.entry((dep.name.as_str(), v)).or_default().push(dep);
        }
    }
    for list in sites.values_mut() {
        list.sort_by_key(|d| (d.origin != Origin::Lockfile, d.path.clone(), d.line));
    }
    sites
}

fn dir_of(path: &str) -> String {
    path.rsplit_once('/').map_or("", |(d, _)| d).to_string()
}

/// Ignore entries, checked against today's date once.
struct Ignores<'a> {
    active: Vec<&'a IgnoreVuln>,
    expired: Vec<&'a IgnoreVuln>,
}

impl<'a> Ignores<'a> {
    fn new(list: &'a [IgnoreVuln], today: &str, notes: &mut Vec<Notification>) -> Self {
        let mut active = Vec::new();
        let mut expired = Vec::new();
        for ig in list {
            match ig.until.as_deref() {
                None => active.push(ig),
                Some(until) if !is_date(until) => {
                    notes.push(global(
                        NotificationLevel::Warning,
                        format!("ignore-vulns entry {}: `until = \"{until}\"` is not a YYYY-MM-DD date; the ignore is not applied", ig.id),
                    ));
                    expired.push(ig);
                }
                // ISO dates compare correctly as strings; the ignore holds through `until`.
                Some(until) if until >= today => active.push(ig),
                Some(_) => expired.push(ig),
            }
        }
        Ignores { active, expired }
    }

    /// Whether the group is ignored; notes the ignore (or its expiry) at the dependency.
    fn ignored(&self, g: &Group, dep: &Dependency, notes: &mut Vec<Notification>) -> bool {
        let matches = |ig: &&&IgnoreVuln| g.ids.iter().any(|id| id.eq_ignore_ascii_case(&ig.id));
        if let Some(ig) = self.active.iter().find(matches) {
            notes.push(Notification {
                level: NotificationLevel::Note,
                path: Some(dep.path.clone()),
                line: Some(dep.line),
                message: format!(
                    "{} for {} ignored by configuration: {}",
                    g.primary(),
                    dep.name,
                    ig.reason
                ),
            });
            return true;
        }
        if let Some(ig) = self.expired.iter().find(matches) {
            notes.push(Notification::file_warning(
                &dep.path,
                Some(dep.line),
                format!(
                    "the ignore of {} expired on {}; reported again",
                    ig.id,
                    ig.until.as_deref().unwrap_or("?")
                ),
            ));
        }
        false
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// The severity of a group: the highest CVSS v2/v3 score, else the database label, else medium.
pub fn group_severity(g: &Group) -> Severity {
    let scored = g
        .records
        .iter()
        .flat_map(|a| a.severity.iter())
        .filter_map(|s| cvss::base_score(&s.score))
        .map(cvss::severity_of_score)
        .max();
    if let Some(s) = scored {
        return s;
    }
    let labelled = g
        .records
        .iter()
        .filter_map(|a| a.db_severity.as_deref())
        .filter_map(|l| match l.to_ascii_uppercase().as_str() {
            "LOW" => Some(Severity::Low),
            "MODERATE" | "MEDIUM" => Some(Severity::Medium),
            "HIGH" => Some(Severity::High),
            "CRITICAL" => Some(Severity::Critical),
            _ => None,
        })
        .max();
    labelled.unwrap_or(Severity::Medium)
}

/// " (only when ...)" and " (via ...)" suffixes shared by every message.
fn context(dep: &Dependency) -> String {
    let mut s = String::new();
    if let Some(m) = &dep.marker {
        s.push_str(&format!(" (conditional: only when {m})"));
    }
    if let Some(c) = &dep.constraint {
        s.push_str(&format!(" (constrained by {c})"));
    }
    if let Some(v) = &dep.via {
        s.push_str(&format!(" (via {v})"));
    }
    s
}

fn ids_text(g: &Group) -> String {
    let rest: Vec<&str> = g.ids.iter().skip(1).map(String::as_str).collect();
    if rest.is_empty() {
        g.primary().to_string()
    } else {
        format!("{} ({})", g.primary(), rest.join(", "))
    }
}

fn vulnerable(dep: &Dependency, version: &Version, g: &Group, also: &[&Dependency]) -> Finding {
    let nearest = g.fixed.iter().find(|f| *f > version);
    let (fix_text, fix) = match nearest {
        Some(f) => (
            format!("fixed in {f}"),
            format!("Upgrade {} to {f} or later (the nearest fixed release).", dep.name),
        ),
        None => (
            "no fixed release is known".to_string(),
            format!(
                "No fixed release is known: replace or remove {}, or ignore {} with a reason in `[[tool.flaskscan.ignore-vulns]]`.",
                dep.name,
                g.primary()
            ),
        ),
    };
    let elsewhere = if also.is_empty() {
        String::new()
    } else {
        let at: Vec<String> = also
            .iter()
            .map(|d| format!("{}:{}", d.path, d.line))
            .collect();
        format!(" (also pinned at {})", at.join(", "))
    };
    let message = format!(
        "{} {version} has a known vulnerability: {}; {fix_text}{}{elsewhere}",
        dep.name,
        ids_text(g),
        context(dep)
    );
    let mut finding = finding(
        &fs601::RULE,
        group_severity(g),
        dep,
        message,
        fix,
        g.primary(),
    );
    finding.package = Some(Box::new(PackageFacts {
        name: dep.name.clone(),
        version: version.to_string(),
        advisory: g.primary().to_string(),
        fixed: nearest.map(ToString::to_string),
    }));
    finding
}

fn unpinned(dep: &Dependency, groups: &[Group]) -> Finding {
    let spec = dep.spec.to_string();
    if groups.is_empty() {
        let message = format!(
            "{} {spec} is not pinned to an exact version: installs are not reproducible and may pick up a vulnerable release later{}",
            dep.name,
            context(dep)
        );
        let fix = fs602::RULE.fix.to_string();
        return finding(&fs602::RULE, Severity::Low, dep, message, fix, "unpinned");
    }
    let mut admitted = Ranges::empty();
    let parts: Vec<String> = groups
        .iter()
        .map(|g| {
            admitted = admitted.union(&g.affected);
            format!("{} ({})", g.primary(), g.affected)
        })
        .collect();
    let floor = match admitted.iter().last().map(|(_, upper)| upper) {
        Some(Bound::Excluded(v)) => Some(format!(">={v}")),
        Some(Bound::Included(v)) => Some(format!(">{v}")),
        _ => None,
    };
    let fix = match &floor {
        Some(f) => format!(
            "Raise the floor to `{}{f}` (the lowest bound outside every affected range) and pin exact versions with a lockfile.",
            dep.name
        ),
        None => format!(
            "The newest versions in the range are affected and no fix is known: replace {} or ignore the advisories with a reason.",
            dep.name
        ),
    };
    let message = format!(
        "{} {spec} is not pinned and admits versions with known vulnerabilities: {}{}{}",
        dep.name,
        parts.join("; "),
        floor
            .map(|f| format!("; safe floor {f}"))
            .unwrap_or_default(),
        context(dep)
    );
    finding(
        &fs602::RULE,
        Severity::Medium,
        dep,
        message,
        fix,
        "unpinned",
    )
}

fn deprecated_finding(dep: &Dependency, d: &deprecated::Deprecated) -> Finding {
    let message = format!(
        "{} is deprecated: {} (use {} instead; {}){}",
        dep.name,
        d.reason,
        d.replacement,
        d.source,
        context(dep)
    );
    let fix = format!("Replace {} with {}.", dep.name, d.replacement);
    finding(
        &fs603::RULE,
        fs603::RULE.severity,
        dep,
        message,
        fix,
        "deprecated",
    )
}

/// A finding at the dependency's line; the fingerprint ignores the line so it survives moves.
fn finding(
    rule: &'static crate::rules::Rule,
    severity: Severity,
    dep: &Dependency,
    message: String,
    fix: String,
    vuln: &str,
) -> Finding {
    let text = dep.line_text.as_str();
    let end = Position {
        line: dep.line,
        column: text.chars().count() as u32 + 1,
        column_utf16: text.encode_utf16().count() as u32 + 1,
    };
    let start = Position {
        line: dep.line,
        column: 1,
        column_utf16: 1,
    };
    Finding {
        rule,
        severity,
        message,
        location: Location {
            path: dep.path.clone(),
            start,
            end,
        },
        fix,
        snippet: text.to_string(),
        flow: Vec::new(),
        related: Vec::new(),
        fingerprint: fingerprint(&dep.name, vuln, &dep.path),
        line_hash: None,
        suppressed: None,
        audit: false,
        package: None,
        autofix: None,
    }
}

/// sha256-hex of package, vulnerability (or finding kind) and manifest path.
pub fn fingerprint(package: &str, vuln: &str, path: &str) -> String {
    let mut h = Sha256::new();
    for part in [package, vuln, path] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex(&h.finalize())
}
