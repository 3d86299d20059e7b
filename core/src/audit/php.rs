//! php.ini and php-fpm configurations, OPcache and FPM status dumps, and
//! their rules. (To be written: the types below are placeholders so the
//! rest of the audit compiles.)

use super::{Bundle, Kind, Rule, Stack};
use crate::error::ParseError;
use crate::input::Source;

#[derive(Debug, Clone, Default)]
pub struct PhpIni {}

#[derive(Debug, Clone, Default)]
pub struct FpmConfig {}

#[derive(Debug, Clone, Default)]
pub struct OpcacheStatus {}

#[derive(Debug, Clone, Default)]
pub struct FpmStatus {}

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
