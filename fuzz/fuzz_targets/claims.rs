//! Fuzz target: readiness documents in Markdown, as teams write them. Any
//! text is read without panicking; every claim found names a real line of
//! the document and carries a target that survives being written out (the
//! store keeps imported targets as text), and every unmatched line is a real
//! line too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use readiness_core::claims::parse;
use readiness_core::targets::Target;

fuzz_target!(|data: &[u8]| {
    // Uploads are read as UTF-8, with bad sequences replaced.
    let markdown = String::from_utf8_lossy(data);
    let doc = parse("fuzz.md", &markdown);
    // Lines end at \n, \r\n or a lone \r, as the parser counts them.
    let lines = markdown.replace("\r\n", "\n").replace('\r', "\n").split('\n').count();
    for claim in &doc.claims {
        assert!(
            claim.line >= 1 && claim.line <= lines,
            "claim on line {} of a {lines}-line document",
            claim.line
        );
        let shown = claim.target.to_string();
        let again: Target = shown
            .parse()
            .unwrap_or_else(|e| panic!("claimed target {shown:?} does not parse again: {e}"));
        assert_eq!(again, claim.target, "{shown:?}");
    }
    for unmatched in &doc.unmatched {
        assert!(unmatched.line >= 1 && unmatched.line <= lines, "{unmatched:?}");
    }
    // The targets a maintainer may import are the claims' own.
    assert!(doc.targets().len() <= doc.claims.len());
});
