//! Publishing to GitHub from inside Actions: code scanning, annotations, the PR comment, the job
//! summary and step outputs. The contract is in `docs/github-action.md`.

pub mod action;
pub mod alert;
pub mod checks;
pub mod client;
pub mod code_scanning;
pub mod comment;
pub mod context;
pub mod diff;
pub mod merge;
pub mod routes;
pub mod suggestions;
pub mod summary;

pub use action::{run_action, ScanOutput, ScanRequest, Scanner};
pub use context::ActionEnv;
pub use merge::merge_sarif_files;
