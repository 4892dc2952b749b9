//! The Python front end: parsed files, suppressions, name resolution and the Flask model.

pub mod source;
pub mod suppression;

pub use source::SourceFile;
