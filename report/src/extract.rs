//! Getting the signed JSON back out of a certificate PDF, and verifying a
//! file that is either.
//!
//! The PDF is read with `hayro-syntax`, the PDF parser typst itself uses to
//! import PDF images (so it adds no dependency). It follows the document's
//! latest cross-reference section, as any PDF reader does, so an
//! incremental update that replaces the attachment is what gets verified.
//! The attachment is looked up by name in the catalogue's `EmbeddedFiles`
//! name tree (and in its `AF` array, where PDF/A-3 keeps associated files).

use crate::pdf::EMBEDDED_NAME;
use crate::signing::{SignedCertificate, VerifyError, verify};
use hayro_syntax::Pdf;
use hayro_syntax::object::{Array, Dict, Object, Stream};

/// Name trees nest; deeper than this is not a tree but a loop.
const MAX_DEPTH: usize = 32;

/// The signed certificate embedded in a certificate PDF, not yet verified.
pub fn extract_signed(pdf: &[u8]) -> Result<SignedCertificate, VerifyError> {
    let json = embedded_file(pdf, EMBEDDED_NAME)?;
    SignedCertificate::from_json(&json)
}

/// Verifies a certificate file, PDF or JSON (told apart by the PDF header),
/// and returns what it certifies. Only the signature is checked here; see
/// [`crate::verify_with_key`] for the issuer's key and
/// [`crate::check_artifacts`] for the evidence.
pub fn verify_file(bytes: &[u8]) -> Result<SignedCertificate, VerifyError> {
    let signed = if is_pdf(bytes) {
        extract_signed(bytes)?
    } else {
        SignedCertificate::from_json(bytes)?
    };
    verify(&signed)?;
    Ok(signed)
}

fn is_pdf(bytes: &[u8]) -> bool {
    // The header may follow a little junk (the specification allows up to
    // 1024 bytes of it).
    bytes.windows(5).take(1024).any(|window| window == b"%PDF-")
}

/// The decoded bytes of the attachment called `name`.
pub fn embedded_file(pdf: &[u8], name: &str) -> Result<Vec<u8>, VerifyError> {
    let document = Pdf::new(pdf.to_vec()).map_err(|e| VerifyError::Pdf(format!("{e:?}")))?;
    let xref = document.xref();
    let catalog: Dict<'_> = xref
        .get(xref.root_id())
        .ok_or_else(|| VerifyError::Pdf("the document catalogue is missing".to_owned()))?;
    let mut specs = Vec::new();
    if let Some(tree) = catalog
        .get::<Dict<'_>>(b"Names")
        .and_then(|names| names.get::<Dict<'_>>(b"EmbeddedFiles"))
    {
        collect_name_tree(&tree, 0, &mut specs);
    }
    if let Some(associated) = catalog.get::<Array<'_>>(b"AF") {
        specs.extend(associated.iter::<Dict<'_>>());
    }
    let not_embedded = || VerifyError::NotEmbedded {
        name: name.to_owned(),
    };
    let spec = specs
        .into_iter()
        .find(|spec| {
            [b"UF".as_slice(), b"F".as_slice()].iter().any(|key| {
                spec.get::<hayro_syntax::object::String<'_>>(key)
                    .is_some_and(|s| text_string(s.as_bytes()) == name)
            })
        })
        .ok_or_else(not_embedded)?;
    let stream = spec
        .get::<Dict<'_>>(b"EF")
        .and_then(|ef| {
            ef.get::<Stream<'_>>(b"F")
                .or_else(|| ef.get::<Stream<'_>>(b"UF"))
        })
        .ok_or_else(not_embedded)?;
    let data = stream
        .decoded()
        .map_err(|e| VerifyError::Pdf(format!("the embedded `{name}` cannot be decoded: {e:?}")))?;
    Ok(data.into_owned())
}

/// The file specifications of a name tree: `Names` holds name/value pairs,
/// `Kids` holds subtrees.
fn collect_name_tree<'a>(node: &Dict<'a>, depth: usize, out: &mut Vec<Dict<'a>>) {
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(names) = node.get::<Array<'a>>(b"Names") {
        out.extend(
            names
                .iter::<Object<'a>>()
                .skip(1)
                .step_by(2)
                .filter_map(|value| value.into_dict()),
        );
    }
    if let Some(kids) = node.get::<Array<'a>>(b"Kids") {
        for kid in kids.iter::<Dict<'a>>() {
            collect_name_tree(&kid, depth + 1, out);
        }
    }
}

/// A PDF text string: UTF-16BE with a byte order mark, or else bytes read
/// as Latin-1 (close enough to PDFDocEncoding for file names).
fn text_string(bytes: &[u8]) -> String {
    match bytes {
        [0xFE, 0xFF, rest @ ..] => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => bytes.iter().map(|&b| b as char).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_strings_decode_both_encodings() {
        assert_eq!(text_string(b"certificate.json"), "certificate.json");
        let utf16: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("cé.json".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(text_string(&utf16), "cé.json");
    }

    #[test]
    fn garbage_is_neither_pdf_nor_json() {
        assert!(matches!(
            verify_file(b"%PDF-1.7 nothing else"),
            Err(VerifyError::Pdf(_))
        ));
        assert!(matches!(
            verify_file(b"{\"certificate\": 1"),
            Err(VerifyError::Json { line: 1, .. })
        ));
    }
}
