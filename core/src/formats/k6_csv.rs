//! Not implemented yet: detection never matches, and a forced format says so.

use crate::error::ParseError;
use crate::formats::{IngestError, Input, Sniffed};
use crate::input::Source;
use crate::run::Run;

pub fn sniff(_source: &dyn Source, _head: &[u8]) -> Sniffed {
    Err("not supported yet".to_owned())
}

pub fn parse(inputs: &[Input<'_>]) -> Result<Run, IngestError> {
    let file = inputs.first().map(|i| i.source.name()).unwrap_or("input");
    Err(
        ParseError::new("a supported format", "k6_csv, which is not supported yet")
            .in_file(file)
            .into(),
    )
}
