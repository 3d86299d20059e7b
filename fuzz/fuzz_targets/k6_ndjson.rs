//! Fuzz target for the k6 `--out json` parser (one JSON record a line).
//!
//! The input is one file, read with the format forced. Any input may be
//! refused, with a message, but none may make the parser panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use readiness_core::formats::{Format, IngestError, parse_run};
use readiness_core::run::Run;

fuzz_target!(|data: &[u8]| {
    check(parse_run("k6.ndjson", data, Some(Format::K6Ndjson)));
});

/// An accepted run is serialized, which reads every figure; a refusal must
/// say why.
fn check(outcome: Result<Run, IngestError>) {
    match outcome {
        Ok(run) => drop(serde_json::to_string(&run)),
        Err(err) => assert!(
            !err.to_string().trim().is_empty(),
            "an empty error: {err:?}"
        ),
    }
}
