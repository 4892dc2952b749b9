//! The Python front end: parsed files, suppressions, name resolution and the Flask model.

pub mod access;
pub mod checker;
pub mod config_choice;
pub mod credentials;
pub mod flask;
pub mod fresh;
pub mod inventory;
pub mod project;
pub mod render;
pub mod semantic;
pub mod source;
pub mod suppression;
pub mod test_support;
pub mod view_body;
pub mod view_classes;
pub mod words;

pub use source::SourceFile;

/// How deep the walk follows nested statements and expressions; deeper code is reported, not
/// analysed, so hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 200;
