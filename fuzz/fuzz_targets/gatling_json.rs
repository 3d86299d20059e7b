//! Fuzz target for Gatling's HTML report files (`js/stats.json`, `js/global_stats.json`,
//! `js/assertions.json`), read together, with a text `simulation.log` beside
//! them when a part is one.
//!
//! The input is split at NUL bytes (which these text formats never hold)
//! into up to 4 files, named as the tool names them, and read as one
//! run, by detection and with the format forced. bench/fuzz.sh seeds the
//! corpus with each fixture alone and with each fixture set joined by NUL.

#![no_main]

use libfuzzer_sys::fuzz_target;
use readiness_core::formats::{Format, IngestError, ingest};
use readiness_core::input::{MemorySource, Source};
use readiness_core::run::Run;

/// The names the parts get, in order; parts past these get numbered names.
const NAMES: [&str; 4] = [
    "js/stats.json",
    "js/global_stats.json",
    "js/assertions.json",
    "simulation.log",
];

fuzz_target!(|data: &[u8]| {
    let sources: Vec<MemorySource> = data
        .split(|b| *b == 0)
        .enumerate()
        .map(|(i, part)| {
            let name = NAMES
                .get(i)
                .map_or_else(|| format!("part{i}.csv"), |n| (*n).to_owned());
            MemorySource::new(name, part)
        })
        .collect();
    let refs: Vec<&dyn Source> = sources.iter().map(|s| s as &dyn Source).collect();
    check(ingest(&refs, None));
    check(ingest(&refs, Some(Format::GatlingJson)));
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
