//! Reporters: they only read findings and notifications.

pub mod commands;
pub mod fingerprint;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod text;
