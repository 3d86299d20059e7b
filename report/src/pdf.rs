//! The certificate as a PDF, typeset by typst used as a library.
//!
//! The typst world here has exactly three files: the template
//! (`certificate.typ`, compiled into this crate), `/data.json` (the
//! [`View`] of the certificate) and `/certificate.json` (the signed JSON,
//! which the template attaches to the PDF). Fonts are Liberation Sans,
//! shipped in `report/fonts/`, and typst-assets' fonts (DejaVu Sans Mono for
//! digests). There is no file system, no package and no network access:
//! any other path is "not found".

use crate::signing::SignedCertificate;
use crate::view::View;
use chrono::{Datelike, Timelike};
use std::sync::LazyLock;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};

/// The PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The template failed on this data: a bug in this crate, since data
    /// cannot change the template. The messages are typst's.
    #[error("typesetting the certificate failed: {}", .0.join("; "))]
    Typeset(Vec<String>),
    #[error("writing the PDF failed: {}", .0.join("; "))]
    Export(Vec<String>),
}

const TEMPLATE: &str = include_str!("certificate.typ");

/// The name the signed JSON has inside the PDF.
pub const EMBEDDED_NAME: &str = "certificate.json";

fn file_id(path: &str) -> FileId {
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("a valid virtual path"),
    )
    .intern()
}

/// File ids are interned for the life of the process; these three are the
/// only ones ever made, whatever is rendered.
static MAIN: LazyLock<FileId> = LazyLock::new(|| file_id("/main.typ"));
static DATA: LazyLock<FileId> = LazyLock::new(|| file_id("/data.json"));
static SIGNED: LazyLock<FileId> = LazyLock::new(|| file_id("/certificate.json"));

/// Parsed once: typst's caches key on the source's hash, so every render
/// shares the template's evaluation.
static TEMPLATE_SOURCE: LazyLock<Source> =
    LazyLock::new(|| Source::new(*MAIN, TEMPLATE.to_owned()));

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let shipped: [&'static [u8]; 3] = [
        include_bytes!("../fonts/LiberationSans-Regular.ttf"),
        include_bytes!("../fonts/LiberationSans-Bold.ttf"),
        include_bytes!("../fonts/LiberationSans-Italic.ttf"),
    ];
    let fonts: Vec<Font> = shipped
        .into_iter()
        .chain(typst_assets::fonts())
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    Fonts {
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

struct CertificateWorld {
    data: Bytes,
    signed: Bytes,
    today: Option<Datetime>,
}

impl World for CertificateWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }

    fn main(&self) -> FileId {
        *MAIN
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == *MAIN {
            Ok(TEMPLATE_SOURCE.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == *DATA {
            Ok(self.data.clone())
        } else if id == *SIGNED {
            Ok(self.signed.clone())
        } else if id == *MAIN {
            Ok(Bytes::from_string(TEMPLATE))
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        // The issue date, not the clock: the same certificate always gives
        // the same PDF.
        self.today
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().into())
}

fn messages(diagnostics: &[SourceDiagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            let mut message = d.message.to_string();
            for hint in &d.hints {
                message.push_str(&format!(" (hint: {})", hint.v));
            }
            message
        })
        .collect()
}

/// Renders a signed certificate to PDF. The PDF shows every section of the
/// certificate and embeds the signed JSON as `certificate.json`; the same
/// signed certificate always gives the same bytes.
///
/// Rendering takes tens of milliseconds to a few seconds of CPU: call it
/// from `spawn_blocking` in async code. It trims typst's memoization cache
/// afterwards, so a long-running server does not grow.
pub fn render_pdf(signed: &SignedCertificate) -> Result<Vec<u8>, ReportError> {
    let result = render(signed);
    // Keep what the last few renders used (fonts, the template) warm.
    comemo::evict(10);
    result
}

fn render(signed: &SignedCertificate) -> Result<Vec<u8>, ReportError> {
    let certificate = &signed.certificate;
    let view = View::of(signed);
    let data = view.to_json();
    let issued = certificate.issued_at;
    let datetime = Datetime::from_ymd_hms(
        issued.year(),
        issued.month() as u8,
        issued.day() as u8,
        issued.hour() as u8,
        issued.minute() as u8,
        issued.second() as u8,
    );
    let world = CertificateWorld {
        data: Bytes::new(data),
        signed: Bytes::new(signed.to_json()),
        today: Datetime::from_ymd(issued.year(), issued.month() as u8, issued.day() as u8),
    };
    let document: PagedDocument = typst::compile(&world)
        .output
        .map_err(|errors| ReportError::Typeset(messages(&errors)))?;
    let options = PdfOptions {
        ident: Smart::Custom(format!(
            "readiness-certificate-{}-{}",
            certificate.project.slug, certificate.number
        )),
        timestamp: datetime.map(Timestamp::new_utc),
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|errors| ReportError::Export(messages(&errors)))
}
