//! Fuzz target: target expressions (`p95 < 500ms endpoint "GET /" scenario
//! soak`). Parsing may refuse an expression, with a message that says where;
//! an accepted target must survive being written out: the store keeps a
//! project's targets as `Target::to_string()` and reads them back with
//! `parse`, so `parse(display(t))` must give `t` again, exactly.

#![no_main]

use libfuzzer_sys::fuzz_target;
use readiness_core::targets::Target;

fuzz_target!(|data: &[u8]| {
    // Expressions arrive as JSON strings or TOML lines: always UTF-8.
    let Ok(expression) = std::str::from_utf8(data) else {
        return;
    };
    match expression.parse::<Target>() {
        Ok(target) => {
            let shown = target.to_string();
            let again: Target = shown.parse().unwrap_or_else(|err| {
                panic!("{expression:?} parsed, but its display {shown:?} does not: {err}")
            });
            assert_eq!(
                again, target,
                "{expression:?} displays as {shown:?}, which parses to another target"
            );
            // Displaying is stable once the value has gone through it.
            assert_eq!(again.to_string(), shown);
        }
        Err(err) => {
            assert!(err.column >= 1, "a column is 1-based: {err:?}");
            assert!(!err.to_string().trim().is_empty());
            drop(err.pointer());
        }
    }
});
