//! Reporters: they only read findings and notifications.

pub mod fingerprint;
pub mod json;
pub mod sarif;
pub mod text;
pub mod commands;
pub mod markdown;
