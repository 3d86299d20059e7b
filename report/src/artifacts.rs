//! Checking that the artifacts a certificate lists are still the bytes it
//! was issued on: each manifest entry's SHA-256 against the artifact as the
//! caller finds it (in an evidence folder, or on a server).

use crate::signing::{hex, sha256_hex, unhex};
use readiness_core::certificate::{Certificate, ManifestEntry};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// An artifact that does not match the certificate's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactProblem {
    /// The artifact could not be found.
    Missing {
        id: readiness_core::assess::EvidenceRef,
        file_name: String,
        expected: String,
    },
    /// The artifact was found but its bytes differ.
    Changed {
        id: readiness_core::assess::EvidenceRef,
        file_name: String,
        expected: String,
        found: String,
    },
}

impl fmt::Display for ArtifactProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArtifactProblem::Missing {
                id,
                file_name,
                expected,
            } => write!(
                f,
                "artifact {id} ({file_name:?}) is missing: no file has the SHA-256 {expected} \
                 the certificate lists"
            ),
            ArtifactProblem::Changed {
                id,
                file_name,
                expected,
                found,
            } => write!(
                f,
                "artifact {id} ({file_name:?}) was changed: its SHA-256 is {found}, the \
                 certificate lists {expected}"
            ),
        }
    }
}

/// Compares every manifest entry with the SHA-256 `lookup` finds for it
/// (`None` when it finds no artifact). An empty result means every
/// artifact is as issued.
pub fn check_artifacts(
    certificate: &Certificate,
    mut lookup: impl FnMut(&ManifestEntry) -> Option<[u8; 32]>,
) -> Vec<ArtifactProblem> {
    certificate
        .manifest
        .iter()
        .filter_map(|entry| {
            let expected = entry.sha256.to_ascii_lowercase();
            match lookup(entry) {
                None => Some(ArtifactProblem::Missing {
                    id: entry.id,
                    file_name: entry.file_name.clone(),
                    expected,
                }),
                Some(digest) if unhex(&expected).as_deref() == Some(digest.as_slice()) => None,
                Some(digest) => Some(ArtifactProblem::Changed {
                    id: entry.id,
                    file_name: entry.file_name.clone(),
                    expected,
                    found: hex(&digest),
                }),
            }
        })
        .collect()
}

/// The files of an evidence folder (searched recursively), by name and by
/// SHA-256, for [`check_artifacts_in_dir`].
#[derive(Debug, Default)]
pub struct EvidenceDir {
    by_hash: HashMap<String, PathBuf>,
    by_name: HashMap<String, Vec<(PathBuf, String)>>,
}

impl EvidenceDir {
    /// Reads and hashes every file under `dir`. Symbolic links are not
    /// followed, so a link cannot make a file outside the folder count.
    pub fn scan(dir: &Path) -> std::io::Result<EvidenceDir> {
        let mut found = EvidenceDir::default();
        let mut pending = vec![dir.to_owned()];
        while let Some(folder) = pending.pop() {
            for entry in std::fs::read_dir(&folder)? {
                let entry = entry?;
                let kind = entry.file_type()?;
                let path = entry.path();
                if kind.is_dir() {
                    pending.push(path);
                } else if kind.is_file() {
                    let digest = sha256_hex(&std::fs::read(&path)?);
                    let name = entry.file_name().to_string_lossy().into_owned();
                    found
                        .by_name
                        .entry(name)
                        .or_default()
                        .push((path.clone(), digest.clone()));
                    found.by_hash.entry(digest).or_insert(path);
                }
            }
        }
        Ok(found)
    }

    /// The SHA-256 of the artifact: any file with the expected digest (the
    /// artifact, whatever it is called now), else a file with its name.
    pub fn lookup(&self, entry: &ManifestEntry) -> Option<[u8; 32]> {
        let expected = entry.sha256.to_ascii_lowercase();
        if self.by_hash.contains_key(&expected) {
            return unhex(&expected)?.try_into().ok();
        }
        // Only the last path segment of the stored name: a manifest cannot
        // point outside the folder.
        let name = entry
            .file_name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(&entry.file_name);
        let (_, digest) = self.by_name.get(name)?.first()?;
        unhex(digest)?.try_into().ok()
    }
}

/// [`check_artifacts`] against the files of an evidence folder.
pub fn check_artifacts_in_dir(
    certificate: &Certificate,
    dir: &Path,
) -> std::io::Result<Vec<ArtifactProblem>> {
    let found = EvidenceDir::scan(dir)?;
    Ok(check_artifacts(certificate, |entry| found.lookup(entry)))
}
