//! Readiness domain: the normalized run, the evidence formats that produce it,
//! and the targets it is judged against.
//!
//! Invariant: this crate does no I/O and depends on no runtime, database, web
//! or UI framework, so the browser bundle and the server share it unchanged.

pub mod access;
pub mod assess;
pub mod audit;
pub mod certificate;
pub mod chart;
pub mod claims;
pub mod compare;
pub mod error;
pub mod formats;
pub mod input;
pub mod model;
pub mod run;
pub mod samples;
pub mod scenarios;
pub mod stats;
pub mod targets;
pub mod time;

pub use error::ParseError;
pub use run::Run;
