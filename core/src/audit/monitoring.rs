//! Grafana dashboards and Prometheus rule files, and the coverage of the
//! signals the targets need. (To be written.)

use super::{Bundle, Kind, Rule, Stack};
use crate::error::ParseError;
use crate::input::Source;

#[derive(Debug, Clone, Default)]
pub struct Inventory {}

pub fn sniff(_name: &str, _head: &[u8]) -> Option<Kind> {
    None
}

pub fn load(
    kind: Kind,
    source: &dyn Source,
    _bundle: &Bundle<'_>,
    _stack: &mut Stack,
) -> Result<Vec<String>, ParseError> {
    Err(
        ParseError::new(format!("a supported {kind}"), "a kind not supported yet")
            .in_file(source.name()),
    )
}

pub fn rules() -> Vec<Rule> {
    Vec::new()
}
