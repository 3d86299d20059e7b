//! Fuzz target for the k6 end-of-test summary parser, in each of its three shapes (`handleSummary`
//! JSON, the legacy `--summary-export` and the machine-readable summary).
//!
//! The input is one file, read with the format forced. Any input may be
//! refused, with a message, but none may make the parser panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use readiness_core::formats::{Format, IngestError, parse_run};
use readiness_core::run::Run;

fuzz_target!(|data: &[u8]| {
    for format in [
        Format::K6Summary,
        Format::K6SummaryLegacy,
        Format::K6SummaryMachine,
    ] {
        check(parse_run("summary.json", data, Some(format)));
    }
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
