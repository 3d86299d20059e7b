//! Audit evidence held in memory: a stored upload (one file, or a tar,
//! tar.gz or zip bundle) as the named files the audit reads. Evidence is
//! configuration files and dumps, small enough to read whole; the limits
//! below refuse anything else early, and are checked while reading (an
//! archive's declared sizes can lie).

use flate2::read::MultiGzDecoder;
use readiness_core::input::MemorySource;
use std::io::{Cursor, Read};

/// The most an evidence upload may expand to.
pub const MAX_EVIDENCE_BYTES: u64 = 64 << 20;
/// The most files an evidence bundle may hold.
pub const MAX_EVIDENCE_FILES: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    TooLarge(String),
    Invalid(String),
}

impl std::fmt::Display for BundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BundleError::TooLarge(m) | BundleError::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for BundleError {}

fn is_tar(block: &[u8]) -> bool {
    block.len() >= 262 && &block[257..262] == b"ustar"
}

fn is_noise(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    name.starts_with("__MACOSX/") || base.starts_with("._") || base == ".DS_Store"
}

struct Budget {
    expanded: u64,
    files: usize,
}

impl Budget {
    fn read(
        &mut self,
        bundle: &str,
        name: &str,
        reader: &mut dyn Read,
    ) -> Result<Vec<u8>, BundleError> {
        self.files += 1;
        if self.files > MAX_EVIDENCE_FILES {
            return Err(BundleError::TooLarge(format!(
                "{bundle}: more than {MAX_EVIDENCE_FILES} files"
            )));
        }
        let remaining = MAX_EVIDENCE_BYTES.saturating_sub(self.expanded);
        let mut bytes = Vec::new();
        reader
            .take(remaining + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| BundleError::Invalid(format!("{bundle}: cannot read `{name}`: {e}")))?;
        self.expanded += bytes.len() as u64;
        if self.expanded > MAX_EVIDENCE_BYTES {
            return Err(BundleError::TooLarge(format!(
                "{bundle}: the evidence expands to more than {} MiB; configuration files and \
                 dumps are far smaller (for a large slow log, upload a digest export instead)",
                MAX_EVIDENCE_BYTES >> 20
            )));
        }
        Ok(bytes)
    }
}

/// The files of a stored evidence upload named `name`.
pub fn files_of(name: &str, bytes: &[u8]) -> Result<Vec<MemorySource>, BundleError> {
    let mut budget = Budget {
        expanded: 0,
        files: 0,
    };
    let invalid = |what: &str, e: &dyn std::fmt::Display| {
        BundleError::Invalid(format!("{name}: not a readable {what}: {e}"))
    };
    let mut out = Vec::new();
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        let mut archive =
            zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| invalid("zip archive", &e))?;
        if archive.len() > MAX_EVIDENCE_FILES * 4 {
            return Err(BundleError::TooLarge(format!(
                "{name}: the zip lists {} entries",
                archive.len()
            )));
        }
        for i in 0..archive.len() {
            let mut entry = archive
                .by_index(i)
                .map_err(|e| invalid("zip archive", &e))?;
            if !entry.is_file() {
                continue;
            }
            let inner = entry
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| format!("entry-{i}"));
            if is_noise(&inner) {
                continue;
            }
            let data = budget.read(name, &inner, &mut entry)?;
            out.push(MemorySource::new(inner, data));
        }
    } else {
        let gzip = bytes.starts_with(&[0x1f, 0x8b]);
        let mut head = Vec::new();
        if gzip {
            let _ = MultiGzDecoder::new(bytes).take(512).read_to_end(&mut head);
        }
        if is_tar(bytes) || gzip && is_tar(&head) {
            let reader: Box<dyn Read> = if gzip {
                Box::new(MultiGzDecoder::new(bytes))
            } else {
                Box::new(bytes)
            };
            let mut archive = tar::Archive::new(reader);
            for entry in archive.entries().map_err(|e| invalid("tar archive", &e))? {
                let mut entry = entry.map_err(|e| invalid("tar archive", &e))?;
                if !entry.header().entry_type().is_file() {
                    continue;
                }
                let inner = entry
                    .path()
                    .map(|p| p.to_string_lossy().trim_start_matches("./").to_owned())
                    .map_err(|e| invalid("tar archive", &e))?;
                if is_noise(&inner) {
                    continue;
                }
                let data = budget.read(name, &inner, &mut entry)?;
                out.push(MemorySource::new(inner, data));
            }
        } else if gzip {
            let data = budget.read(name, name, &mut MultiGzDecoder::new(bytes))?;
            out.push(MemorySource::new(name.trim_end_matches(".gz"), data));
        } else {
            let data = budget.read(name, name, &mut &bytes[..])?;
            out.push(MemorySource::new(name, data));
        }
    }
    if out.is_empty() {
        return Err(BundleError::Invalid(format!(
            "{name}: the bundle holds no file"
        )));
    }
    Ok(out)
}
