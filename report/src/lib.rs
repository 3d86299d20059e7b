//! The certificate as a document anyone can check: its canonical JSON, an
//! Ed25519 signature over it, a PDF typeset with typst that embeds the
//! signed JSON, and the verification of either file and of the evidence
//! it lists.
//!
//! - [`canonical_json`]: the signed bytes (rules in [`canonical`]).
//! - [`SigningKey::load_or_create`], [`sign`], [`verify`],
//!   [`verify_with_key`], and [`SignedCertificate::to_json`] /
//!   [`SignedCertificate::from_json`] for the JSON file.
//! - [`render_pdf`]: the PDF (typst as a library, fonts shipped in
//!   `report/fonts/`, nothing read from disk or network at run time). The
//!   signed JSON is attached to the PDF as `certificate.json`, so the PDF
//!   alone can be verified: [`extract_signed`] reads it back with the PDF
//!   parser typst already depends on, and [`verify_file`] takes a PDF or a
//!   JSON file.
//! - [`check_artifacts`] / [`check_artifacts_in_dir`]: every manifest
//!   entry's SHA-256 against the evidence.
//!
//! What the signature proves is the JSON: the PDF's pages are a rendering
//! of it. A PDF whose pages were edited but whose attachment was not still
//! verifies, and shows the signed figures again when re-rendered from its
//! JSON.

pub mod artifacts;
pub mod canonical;
pub mod extract;
pub mod html;
pub mod pdf;
pub mod signing;
mod view;

pub use artifacts::{ArtifactProblem, EvidenceDir, check_artifacts, check_artifacts_in_dir};
pub use canonical::canonical_json;
pub use extract::{embedded_file, extract_signed, verify_file};
pub use html::{HtmlLinks, render_html};
pub use pdf::{EMBEDDED_NAME, ReportError, render_pdf};
pub use signing::{
    ALGORITHM, KeyError, Signature, SignedCertificate, SigningKey, VerifyError, sha256_hex, sign,
    verify, verify_with_key,
};
