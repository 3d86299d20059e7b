//! Fuzz target: detection. `parse_run` with no format tries every
//! family's sniffer, then parses with the one that matches.
//!
//! Detection also reads the file's name (`.jtl`, `assertions.json`,
//! Locust's `_stats.csv`, `.gz`), so the name is drawn from the input's
//! length: every seed keeps all of its bytes, and the fuzzer still tries
//! each name.

#![no_main]

use libfuzzer_sys::fuzz_target;
use readiness_core::formats::parse_run;

const NAMES: [&str; 8] = [
    "upload",
    "results.jtl",
    "summary.json",
    "run_stats.csv",
    "js/assertions.json",
    "simulation.log",
    "out.json.gz",
    "wrk.txt",
];

fuzz_target!(|data: &[u8]| {
    let name = NAMES[data.len() % NAMES.len()];
    match parse_run(name, data, None) {
        Ok(run) => drop(serde_json::to_string(&run)),
        Err(err) => assert!(
            !err.to_string().trim().is_empty(),
            "an empty error: {err:?}"
        ),
    }
});
