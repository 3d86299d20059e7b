//! Ed25519 signatures over the canonical JSON of a certificate, the signing
//! key kept in a file, and the signed certificate's JSON file form.
//!
//! The signature covers [`canonical_json`] of the certificate, nothing else:
//! anyone with the public key can recompute those bytes from the JSON file
//! (or the JSON embedded in the PDF) and check them with any Ed25519
//! implementation. Keys and signatures are written as lowercase hex.

use crate::canonical::{canonical_json, canonical_value};
use ed25519_dalek::{Signer, Verifier};
use readiness_core::certificate::{Certificate, FORMAT};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The only algorithm this version signs and verifies with.
pub const ALGORITHM: &str = "ed25519";

/// A certificate with its signature: what the JSON file holds and the PDF
/// embeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedCertificate {
    pub certificate: Certificate,
    pub signature: Signature,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Always [`ALGORITHM`].
    pub algorithm: String,
    /// The 32-byte Ed25519 public key, as 64 lowercase hex digits.
    pub public_key: String,
    /// The 64-byte signature of the certificate's canonical JSON, as 128
    /// lowercase hex digits.
    pub value: String,
}

/// The server's signing key.
pub struct SigningKey(ed25519_dalek::SigningKey);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret.
        write!(f, "SigningKey(public {})", self.public_key_hex())
    }
}

/// A key file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("signing key {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("signing key {path}: expected 64 hex digits (32 bytes) or 32 raw bytes, found {found}")]
    Malformed { path: PathBuf, found: String },
    #[error("signing key {path} can be read by other users (mode {mode:o}): run `chmod 600` on it")]
    Permissions { path: PathBuf, mode: u32 },
    #[error("no randomness available to create a signing key: {0}")]
    Random(String),
}

impl SigningKey {
    /// A key from its 32 secret bytes.
    pub fn from_bytes(secret: &[u8; 32]) -> SigningKey {
        SigningKey(ed25519_dalek::SigningKey::from_bytes(secret))
    }

    /// A new random key.
    pub fn generate() -> Result<SigningKey, KeyError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(SigningKey::from_bytes(&secret))
    }

    /// Loads the key kept at `path`, creating it (mode 0600, its folder
    /// too) when there is none. The file holds the 32 secret bytes as 64 hex
    /// digits and a newline; 32 raw bytes are read as well. Two processes
    /// starting at once end up with the same key: the file is created
    /// under a temporary name and linked into place only if none exists.
    pub fn load_or_create(path: &Path) -> Result<SigningKey, KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_owned(),
            source,
        };
        match std::fs::read(path) {
            Ok(bytes) => return SigningKey::parse(path, &bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let key = SigningKey::generate()?;
        let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
        let written = (|| {
            let mut file = private_file(&temporary)?;
            file.write_all(format!("{}\n", hex(&key.0.to_bytes())).as_bytes())?;
            file.sync_all()?;
            std::fs::hard_link(&temporary, path)
        })();
        let _ = std::fs::remove_file(&temporary);
        match written {
            Ok(()) => Ok(key),
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let bytes = std::fs::read(path).map_err(io)?;
                SigningKey::parse(path, &bytes)
            }
            Err(e) => Err(io(e)),
        }
    }

    fn parse(path: &Path, bytes: &[u8]) -> Result<SigningKey, KeyError> {
        check_private(path)?;
        let text = std::str::from_utf8(bytes).map(str::trim).unwrap_or("");
        let secret: [u8; 32] = if let Some(secret) = unhex(text).and_then(|b| b.try_into().ok()) {
            secret
        } else if let Ok(raw) = <[u8; 32]>::try_from(bytes) {
            raw
        } else {
            return Err(KeyError::Malformed {
                path: path.to_owned(),
                found: format!("{} bytes", bytes.len()),
            });
        };
        Ok(SigningKey::from_bytes(&secret))
    }

    /// The public key as 64 lowercase hex digits, as signatures carry it.
    pub fn public_key_hex(&self) -> String {
        hex(self.0.verifying_key().as_bytes())
    }
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|source| KeyError::Io {
            path: path.to_owned(),
            source,
        })?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(KeyError::Permissions {
            path: path.to_owned(),
            mode: mode & 0o777,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), KeyError> {
    Ok(())
}

/// Why a signed certificate is not valid, saying what differs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("not JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("not a signed certificate: {0}")]
    Shape(String),
    #[error("the document is `{found}`, not a `{FORMAT}` certificate")]
    Format { found: String },
    #[error(
        "the certificate does not read back as it was written, so its signature cannot be \
         checked: {}",
        .differences.join("; ")
    )]
    NotCanonical { differences: Vec<String> },
    #[error("the signature algorithm is `{found}`; only `{ALGORITHM}` is supported")]
    Algorithm { found: String },
    #[error("the public key is not an Ed25519 key: {0}")]
    PublicKey(String),
    #[error("the signature value is malformed: {0}")]
    SignatureEncoding(String),
    #[error(
        "the signature does not match the certificate: the certificate (canonical JSON \
         SHA-256 {content_sha256}) or its signature was changed after signing by key \
         {public_key}"
    )]
    BadSignature {
        content_sha256: String,
        public_key: String,
    },
    #[error("the certificate was signed by key {found}, not by the expected key {expected}")]
    KeyMismatch { expected: String, found: String },
    #[error("not a readable PDF: {0}")]
    Pdf(String),
    #[error(
        "the PDF has no embedded `{name}`: it is not a Readiness certificate, or it was rewritten by a tool that drops attachments"
    )]
    NotEmbedded { name: String },
}

/// Signs a certificate. Fails only if the certificate would not read back
/// as signed (it would then never verify), which [`build`] prevents.
///
/// [`build`]: readiness_core::certificate::build
pub fn sign(certificate: &Certificate, key: &SigningKey) -> Result<SignedCertificate, VerifyError> {
    let bytes = canonical_json(certificate);
    // The round trip a verifier will make, made now.
    let back: Certificate = serde_json::from_slice(&bytes)
        .map_err(|e| VerifyError::Shape(format!("the certificate does not read back: {e}")))?;
    let differences = differences(&bytes, &canonical_json(&back));
    if !differences.is_empty() {
        return Err(VerifyError::NotCanonical { differences });
    }
    let signature = key.0.sign(&bytes);
    Ok(SignedCertificate {
        certificate: certificate.clone(),
        signature: Signature {
            algorithm: ALGORITHM.to_owned(),
            public_key: key.public_key_hex(),
            value: hex(&signature.to_bytes()),
        },
    })
}

/// Checks the signature against the public key the certificate names.
/// Whether that key is the issuer's is a separate question: see
/// [`verify_with_key`].
pub fn verify(signed: &SignedCertificate) -> Result<(), VerifyError> {
    let signature = &signed.signature;
    if signature.algorithm != ALGORITHM {
        return Err(VerifyError::Algorithm {
            found: signature.algorithm.clone(),
        });
    }
    if signed.certificate.format != FORMAT {
        return Err(VerifyError::Format {
            found: signed.certificate.format.clone(),
        });
    }
    let public: [u8; 32] = unhex(&signature.public_key)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            VerifyError::PublicKey(format!(
                "expected 64 hex digits, found {:?}",
                shorten(&signature.public_key)
            ))
        })?;
    let public = ed25519_dalek::VerifyingKey::from_bytes(&public)
        .map_err(|e| VerifyError::PublicKey(e.to_string()))?;
    let value: [u8; 64] = unhex(&signature.value)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            VerifyError::SignatureEncoding(format!(
                "expected 128 hex digits, found {:?}",
                shorten(&signature.value)
            ))
        })?;
    let bytes = canonical_json(&signed.certificate);
    public
        .verify(&bytes, &ed25519_dalek::Signature::from_bytes(&value))
        .map_err(|_| VerifyError::BadSignature {
            content_sha256: sha256_hex(&bytes),
            public_key: signature.public_key.clone(),
        })
}

/// Checks the signature and that it was made by the expected key (hex, as
/// the server publishes it).
pub fn verify_with_key(
    signed: &SignedCertificate,
    expected_public_key: &str,
) -> Result<(), VerifyError> {
    let expected = expected_public_key.trim().to_ascii_lowercase();
    if signed.signature.public_key.to_ascii_lowercase() != expected {
        return Err(VerifyError::KeyMismatch {
            expected,
            found: signed.signature.public_key.clone(),
        });
    }
    verify(signed)
}

impl SignedCertificate {
    /// The JSON file form: the certificate and its signature, indented for
    /// people. The signature covers the canonical form of `certificate`,
    /// not these bytes, so indentation does not matter.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a certificate converts to JSON");
        bytes.push(b'\n');
        bytes
    }

    /// Reads the JSON file form. The certificate must read back exactly as
    /// it is written in the file: a member this version does not know, or
    /// a value it would write differently, is refused by name, since the
    /// signature could not speak for it.
    pub fn from_json(bytes: &[u8]) -> Result<SignedCertificate, VerifyError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| VerifyError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let Value::Object(mut top) = value else {
            return Err(VerifyError::Shape("expected a JSON object".to_owned()));
        };
        let certificate = top
            .remove("certificate")
            .ok_or_else(|| VerifyError::Shape("the member `certificate` is missing".to_owned()))?;
        let signature = top
            .remove("signature")
            .ok_or_else(|| VerifyError::Shape("the member `signature` is missing".to_owned()))?;
        if let Some(extra) = top.keys().next() {
            return Err(VerifyError::Shape(format!(
                "unexpected member `{extra}` beside `certificate` and `signature`"
            )));
        }
        if let Some(found) = certificate.get("format").and_then(Value::as_str)
            && found != FORMAT
        {
            return Err(VerifyError::Format {
                found: found.to_owned(),
            });
        }
        let signature: Signature = serde_json::from_value(signature)
            .map_err(|e| VerifyError::Shape(format!("signature: {e}")))?;
        let received = canonical_value(&certificate);
        let typed: Certificate = serde_json::from_value(certificate)
            .map_err(|e| VerifyError::Shape(format!("certificate: {e}")))?;
        let differences = differences(&received, &canonical_json(&typed));
        if !differences.is_empty() {
            return Err(VerifyError::NotCanonical { differences });
        }
        Ok(SignedCertificate {
            certificate: typed,
            signature,
        })
    }
}

/// Where two canonical JSON documents differ in meaning, as JSON pointers.
/// Numbers are compared by value: a tool that rewrote `500.0` as `500`
/// (jq does) changed no figure, and the signature is checked over the
/// certificate's own canonical form anyway.
fn differences(received: &[u8], reread: &[u8]) -> Vec<String> {
    if received == reread {
        return Vec::new();
    }
    let (Ok(a), Ok(b)) = (
        serde_json::from_slice::<Value>(received),
        serde_json::from_slice::<Value>(reread),
    ) else {
        return vec!["the documents differ".to_owned()];
    };
    let mut out = Vec::new();
    diff(&a, &b, String::new(), &mut out);
    out.truncate(20);
    out
}

fn diff(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    let at_or_root = |at: &str| {
        if at.is_empty() {
            "/".to_owned()
        } else {
            at.to_owned()
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, value) in x {
                let path = format!("{at}/{key}");
                match y.get(key) {
                    Some(other) => diff(value, other, path, out),
                    None => out.push(format!("{path} is not a member this version knows")),
                }
            }
            for key in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("{at}/{key} is missing"));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(p, q, format!("{at}/{i}"), out);
            }
        }
        (Value::Number(x), Value::Number(y)) if same_number(x, y) => {}
        _ if a != b => out.push(format!(
            "{} is {} in the document but reads back as {}",
            at_or_root(&at),
            shorten(&a.to_string()),
            shorten(&b.to_string())
        )),
        _ => {}
    }
}

fn same_number(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
        (Some(a), Some(b), _, _) => a == b,
        (_, _, Some(a), Some(b)) => a == b,
        _ => x.as_f64() == y.as_f64(),
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(DIGITS[usize::from(b >> 4)] as char);
        text.push(DIGITS[usize::from(b & 15)] as char);
    }
    text
}

/// Bytes of hex text (either case); `None` for anything else.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some((digit(pair[0])? << 4) | digit(pair[1])?))
        .collect()
}

/// The SHA-256 of bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
        assert_eq!(unhex("000F10ff"), Some(vec![0, 15, 16, 255]));
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
    }

    #[test]
    fn a_key_is_created_private_once_and_then_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/signing.key");
        let created = SigningKey::load_or_create(&path).unwrap();
        let loaded = SigningKey::load_or_create(&path).unwrap();
        assert_eq!(created.public_key_hex(), loaded.public_key_hex());
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim().len(), 64);
        assert!(
            !format!("{created:?}").contains(text.trim()),
            "Debug hides the secret"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = SigningKey::load_or_create(&path).unwrap_err();
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }

    #[test]
    fn raw_key_bytes_are_read_and_anything_else_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("raw.key");
        std::fs::write(&path, [7u8; 32]).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let key = SigningKey::load_or_create(&path).unwrap();
        assert_eq!(
            key.public_key_hex(),
            SigningKey::from_bytes(&[7u8; 32]).public_key_hex()
        );
        std::fs::write(&path, b"not a key").unwrap();
        let err = SigningKey::load_or_create(&path).unwrap_err();
        assert!(err.to_string().contains("found 9 bytes"), "{err}");
    }
}
