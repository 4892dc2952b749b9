//! flaskscan: a security scanner for Flask applications.
//!
//! Data flows one way: discover ([`workspace`]) → parse ([`python`]) → rules ([`rules`]) →
//! findings ([`finding`]) → reports ([`report`]).

pub mod deps;
pub mod finding;
pub mod python;
pub mod rules;
pub mod scan;
