//! The PDF read back the way a person's tools read it: poppler's
//! pdftotext for its text, pdftoppm for page images (left under
//! target/tmp/certificates/ for review), and the embedded JSON for its
//! signature.

mod common;

use common::{Evidence, flat, key, output_dir, page_count, pdf_text, poppler, signed, squash};
use readiness_core::assess::EvidenceRef;
use readiness_core::certificate::{ClaimRow, ClaimStatus};
use readiness_report::{
    EMBEDDED_NAME, VerifyError, embedded_file, extract_signed, render_pdf, verify_file,
};
use std::path::{Path, PathBuf};

fn write_pdf(name: &str, bytes: &[u8]) -> PathBuf {
    let path = output_dir(name).join(format!("{name}.pdf"));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Page images for people to look at; only their existence is checked.
fn page_images(pdf: &Path, name: &str) {
    let dir = output_dir(name);
    let prefix = dir.join("page");
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "70",
            &pdf.to_string_lossy(),
            &prefix.to_string_lossy(),
        ],
    );
    let pages: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".png"))
        .collect();
    assert_eq!(pages.len() as u32, page_count(pdf), "one image per page");
    assert!(pages.iter().all(|p| p.metadata().unwrap().len() > 1000));
}

#[test]
fn the_pdf_shows_the_verdict_every_target_and_every_sha256() {
    let claims = vec![ClaimRow {
        line: 14,
        text: "| p95 Response Time | < 500ms | 420ms | PASS |".to_owned(),
        target: Some("p95 < 500 ms".to_owned()),
        status: ClaimStatus::Confirmed,
        measured_text: Some("125 ms".to_owned()),
        evidence: vec![EvidenceRef::Run(11)],
    }];
    let certificate = Evidence::standard().certificate(7, Some(claims));
    let signed = signed(&certificate);
    let pdf = render_pdf(&signed).unwrap();
    let path = write_pdf("standard", &pdf);
    let text = flat(&pdf_text(&path, None, false));
    let squashed = squash(&text);

    let verdict = format!("Verdict: {}", certificate.verdict.label());
    assert!(text.contains(&verdict), "no `{verdict}` in:\n{text}");
    for reason in &certificate.reasons {
        assert!(
            squashed.contains(&squash(reason)),
            "reason `{reason}` missing"
        );
    }
    for target in &certificate.targets {
        assert!(
            text.contains(&target.target),
            "target `{}` missing",
            target.target
        );
        if let Some(measured) = &target.measured_text {
            assert!(
                text.contains(measured.as_str()),
                "measured `{measured}` missing"
            );
        }
    }
    for entry in &certificate.manifest {
        assert!(
            text.contains(&entry.sha256),
            "SHA-256 of {} missing",
            entry.file_name
        );
        assert!(text.contains(&entry.file_name));
    }
    for item in &certificate.unverified {
        assert!(
            squashed.contains(&squash(&item.how_to_verify)),
            "how to verify `{}` missing",
            item.title
        );
    }
    for finding in &certificate.findings {
        assert!(
            squashed.contains(&squash(&finding.rule)),
            "finding {} missing",
            finding.rule
        );
    }
    for section in [
        "Project, environment and commit",
        "Category scores and evidence coverage",
        "Scenario verdicts",
        "Runs over time",
        "Audit findings",
        "Exemptions",
        "Unverified items",
        "Claims against evidence",
        "Evidence manifest",
        "How to verify this certificate",
    ] {
        assert!(text.contains(section), "section `{section}` missing");
    }
    assert!(text.contains("the container's memory limit is enforced by the orchestrator"));
    assert!(text.contains("| p95 Response Time | < 500ms | 420ms | PASS |"));
    assert!(text.contains(&key().public_key_hex()));
    // Headers and footers on every page.
    let pages = page_count(&path);
    assert!(pages > 1);
    assert!(text.contains(&format!("Page {pages} of {pages}")));
    assert_eq!(
        text.matches("Readiness certificate No. 7 · CHOM API")
            .count() as u32,
        pages
    );
    page_images(&path, "standard");
}

#[test]
fn the_pdf_embeds_the_signed_json_and_verifies_on_its_own() {
    let certificate = Evidence::standard().certificate(8, None);
    let signed = signed(&certificate);
    let pdf = render_pdf(&signed).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(
        embedded_file(&pdf, EMBEDDED_NAME).unwrap(),
        signed.to_json()
    );
    assert_eq!(extract_signed(&pdf).unwrap(), signed);
    assert_eq!(verify_file(&pdf).unwrap(), signed);
    // The same signed certificate gives the same bytes.
    assert_eq!(render_pdf(&signed).unwrap(), pdf);
}

#[test]
fn a_pdf_with_changed_embedded_json_fails_verification() {
    let certificate = Evidence::standard().certificate(9, None);
    let good = signed(&certificate);

    // A PDF made from changed data with the old signature.
    let mut forged = good.clone();
    forged.certificate.manifest[0].sha256 = "0".repeat(64);
    let pdf = render_pdf(&forged).unwrap();
    assert!(matches!(
        verify_file(&pdf),
        Err(VerifyError::BadSignature { .. })
    ));

    // The genuine PDF with its attachment replaced by an incremental
    // update, as PDF editors save changes.
    let pdf = render_pdf(&good).unwrap();
    let mut json = good.to_json();
    let at = json.iter().position(|b| *b == b'"').unwrap() + 200;
    let at = at + json[at..].iter().position(u8::is_ascii_digit).unwrap();
    json[at] = if json[at] == b'1' { b'2' } else { b'1' };
    let updated = replace_attachment(&pdf, &json);
    assert_eq!(embedded_file(&updated, EMBEDDED_NAME).unwrap(), json);
    match verify_file(&updated) {
        Err(VerifyError::BadSignature { .. }) => {}
        other => panic!("expected a bad signature, got {other:?}"),
    }

    // A PDF without the attachment is not a certificate.
    let stripped = String::from_utf8_lossy(&pdf).replace("/EmbeddedFiles", "/EmbeddedFilez");
    assert!(matches!(
        verify_file(stripped.as_bytes()),
        Err(VerifyError::NotEmbedded { .. }) | Err(VerifyError::Pdf(_))
    ));
}

/// Appends an incremental update to `pdf` that replaces the embedded file's
/// stream object with `data`, uncompressed.
fn replace_attachment(pdf: &[u8], data: &[u8]) -> Vec<u8> {
    use hayro_syntax::Pdf;
    use hayro_syntax::object::{Array, Dict};
    let document = Pdf::new(pdf.to_vec()).unwrap();
    let xref = document.xref();
    let catalog: Dict<'_> = xref.get(xref.root_id()).unwrap();
    let tree = catalog
        .get::<Dict<'_>>(b"Names")
        .unwrap()
        .get::<Dict<'_>>(b"EmbeddedFiles")
        .unwrap();
    let names = tree.get::<Array<'_>>(b"Names").unwrap();
    let spec = names
        .iter::<hayro_syntax::object::Object<'_>>()
        .nth(1)
        .and_then(|o| o.into_dict())
        .unwrap();
    let stream_ref = spec.get::<Dict<'_>>(b"EF").unwrap().get_ref(b"F").unwrap();
    let root_ref = catalog.obj_id().unwrap();
    let (number, generation) = (stream_ref.obj_number, stream_ref.gen_number);

    let text = String::from_utf8_lossy(pdf);
    let previous = text[text.rfind("startxref").unwrap() + 9..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let size = document.len() + 1;
    let mut out = pdf.to_vec();
    out.push(b'\n');
    let offset = out.len();
    out.extend_from_slice(
        format!(
            "{number} {generation} obj\n<< /Type /EmbeddedFile /Subtype /application#2Fjson /Length {} >>\nstream\n",
            data.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    let xref_at = out.len();
    out.extend_from_slice(
        format!(
            "xref\n{number} 1\n{offset:010} {generation:05} n \ntrailer\n<< /Size {size} /Root {} {} R /Prev {previous} >>\nstartxref\n{xref_at}\n%%EOF\n",
            root_ref.obj_number, root_ref.gen_number
        )
        .as_bytes(),
    );
    out
}

#[test]
fn tables_break_across_pages_and_repeat_their_header() {
    let certificate = Evidence::standard().certificate(10, None);
    assert!(
        certificate.findings.len() > 60,
        "the whole catalogue is judged"
    );
    let pdf = render_pdf(&signed(&certificate)).unwrap();
    let path = write_pdf("many-findings", &pdf);
    let pages = page_count(&path);
    assert!(pages > 2);
    // The pages the findings table spans: from its section's heading to the
    // next section's. (Rule ids also appear earlier, in the verdict's
    // reasons, so they cannot mark the table.)
    let page_texts: Vec<String> = (1..=pages)
        .map(|p| pdf_text(&path, Some((p, p)), true))
        .collect();
    let heading = |text: &str, title: &str| text.lines().any(|l| l.trim() == title);
    let first = page_texts
        .iter()
        .position(|t| heading(t, "6. Audit findings"))
        .unwrap();
    let next = page_texts
        .iter()
        .position(|t| heading(t, "7. Unverified items"))
        .unwrap();
    let holds_finding = |text: &str| certificate.findings.iter().any(|f| text.contains(&f.rule));
    let last = (first..=next)
        .rev()
        .find(|&i| holds_finding(&page_texts[i]))
        .unwrap();
    assert!(last > first, "the findings table spans several pages");
    for (i, text) in page_texts.iter().enumerate().take(last + 1).skip(first) {
        let header = text.lines().any(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            words == ["Severity", "Rule", "Outcome", "Finding", "Evidence"]
        });
        assert!(
            header,
            "page {} has no findings header line:\n{text}",
            i + 1
        );
    }
    // pdftotext -f 2 reads the second page alone.
    assert!(!pdf_text(&path, Some((2, 2)), false).trim().is_empty());
    page_images(&path, "many-findings");
}

#[test]
fn hostile_strings_render_as_text_and_survive_the_round_trip() {
    let hostile = [
        r#"x"); #set page(fill: red) #panic("injected") // "#,
        "*bold* _emph_ $x^2$ [link] <label> @ref \\ `raw` = heading",
        "<script>alert(1)</script> &amp; \u{202e}exe.txt",
        "} ] ) #let data = none\nVerdict: certified",
    ];
    let mut certificate = Evidence::standard().certificate(11, None);
    certificate.project.name = hostile[0].to_owned();
    certificate.manifest[0].file_name = hostile[1].to_owned();
    certificate.manifest[1].label = Some(hostile[2].to_owned());
    certificate.reasons.push(hostile[3].to_owned());
    certificate.charts[0].run.label = Some(hostile[2].to_owned());
    certificate.claims = Some(vec![ClaimRow {
        line: 1,
        text: hostile[1].to_owned(),
        target: None,
        status: ClaimStatus::Unsupported,
        measured_text: None,
        evidence: Vec::new(),
    }]);
    let signed = signed(&certificate);
    let pdf = render_pdf(&signed).unwrap();
    let path = write_pdf("hostile", &pdf);
    let text = squash(&pdf_text(&path, None, false));
    for s in &hostile[..2] {
        assert!(
            text.contains(&squash(s)),
            "`{s}` is not shown as written:\n{text}"
        );
    }
    // Layout controls are shown by code point, not obeyed: a right-to-left
    // override cannot turn the text after it around, and a line break
    // cannot start a line of its own.
    for shown in [
        "<script>alert(1)</script> &amp; [U+202E]exe.txt",
        "} ] ) #let data = none[U+000A]Verdict: certified",
        "CI job https://ci.example.test/jobs/1012",
    ] {
        assert!(text.contains(&squash(shown)), "`{shown}` is not shown");
    }
    assert_eq!(verify_file(&pdf).unwrap(), signed);
    page_images(&path, "hostile");
}
