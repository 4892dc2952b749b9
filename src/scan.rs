//! The scan pipeline: discover files, analyse them, and collect one sorted report.

use std::path::PathBuf;

use crate::finding::{Finding, Notification};

/// Counts shown in summaries.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ScanStats {
    pub python_files: usize,
    pub template_files: usize,
    pub manifest_files: usize,
    pub other_files: usize,
    pub lines: usize,
    pub duration_ms: u128,
}

/// Everything one scan produced, sorted deterministically.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// The directory paths in findings are relative to.
    pub root: PathBuf,
    pub findings: Vec<Finding>,
    pub notifications: Vec<Notification>,
    pub stats: ScanStats,
}
