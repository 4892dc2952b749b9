//! Decorators the project declares as authentication (`[tool.flaskscan] auth-decorators`) or
//! as role checks (`role-decorators`): ones flaskscan cannot follow, defined in a package
//! outside the scanned tree or built too dynamically to read.

use super::Verdict;

/// The declared decorators, by qualified name (or a dotted tail of one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclaredAuth {
    /// Decorators that reject unauthenticated requests.
    auth: Vec<String>,
    /// Decorators that also demand the roles given as their arguments.
    roles: Vec<String>,
}

impl DeclaredAuth {
    /// From the configured names (validated by the configuration as dotted Python names).
    pub fn new(auth: &[String], roles: &[String]) -> Self {
        Self {
            auth: auth.to_vec(),
            roles: roles.to_vec(),
        }
    }

    /// Whether nothing is declared.
    pub fn is_empty(&self) -> bool {
        self.auth.is_empty() && self.roles.is_empty()
    }

    /// The declared name `qualified` matches, and what it does: role decorators take their
    /// roles from each use's arguments.
    pub fn verdict<'a>(&'a self, qualified: &str) -> Option<(&'a str, Verdict)> {
        let found = |list: &'a [String]| {
            list.iter()
                .find(|name| tail_matches(qualified, name))
                .map(String::as_str)
        };
        if let Some(name) = found(&self.roles) {
            return Some((
                name,
                Verdict::Authenticates {
                    roles: Vec::new(),
                    roles_from_args: true,
                },
            ));
        }
        found(&self.auth).map(|name| {
            (
                name,
                Verdict::Authenticates {
                    roles: Vec::new(),
                    roles_from_args: false,
                },
            )
        })
    }
}

/// Whether `declared` is `qualified` or a whole dotted tail of it (`auth.staff_only` matches
/// `myapp.auth.staff_only`, never `myapp.oauth.staff_only`): module names depend on the folder
/// the scan starts from.
pub fn tail_matches(qualified: &str, declared: &str) -> bool {
    qualified
        .strip_suffix(declared)
        .is_some_and(|head| head.is_empty() || head.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_dotted_tails_match() {
        let d = DeclaredAuth::new(&["auth.staff_only".into()], &["perms.requires".into()]);
        assert!(d.verdict("myapp.auth.staff_only").is_some());
        assert!(d.verdict("auth.staff_only").is_some());
        assert!(d.verdict("myapp.oauth.staff_only").is_none());
        assert!(d.verdict("myapp.auth.staff_only_not").is_none());
        let (name, verdict) = d.verdict("lib.perms.requires").unwrap();
        assert_eq!(name, "perms.requires");
        assert!(matches!(
            verdict,
            Verdict::Authenticates {
                roles_from_args: true,
                ..
            }
        ));
    }
}
