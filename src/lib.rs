//! flaskscan: a security scanner for Flask applications.
//!
//! Data flows one way: discover ([`workspace`]) → parse ([`python`]) → rules ([`rules`]) →
//! findings ([`finding`]) → reports ([`report`]).

pub mod cli;
pub mod config;
pub mod deps;
pub mod envfile;
pub mod finding;
pub mod fix;
pub mod github;
pub mod nesting;
pub mod python;
pub mod redact;
pub mod report;
pub mod routes;
pub mod rules;
pub mod scan;
pub mod taint;
pub mod templates;
pub mod workspace;
