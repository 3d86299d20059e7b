//! nginx configurations (with includes, or `nginx -T` output) and
//! stub_status, and their rules. (To be written.)

use super::{Bundle, Kind, Rule, Stack};
use crate::error::ParseError;
use crate::input::Source;

#[derive(Debug, Clone, Default)]
pub struct NginxConf {}

#[derive(Debug, Clone, Default)]
pub struct StubStatus {}

pub fn sniff(_name: &str, _head: &[u8]) -> Option<Kind> {
    None
}

/// Whether a configuration is a main one (with `events` or `http`), read
/// before the fragments it includes.
pub fn is_main(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("events") || l.starts_with("http ") || l.starts_with("http{")
    })
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
