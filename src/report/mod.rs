//! Reporters: turn a scan report into what people and tools read.

pub mod commands;
