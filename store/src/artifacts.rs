//! Artifact bytes: stored as received, gzip-compressed in chunks, keyed by
//! the artifact row. This module is the one seam between the database and
//! the artifact bytes, so an object store can take its place later.

use crate::{Result, Store, StoreError};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::io::{Read, Write};

/// Compressed bytes are split into rows of at most this size, so no single
/// value approaches SQLite's one-gigabyte limit on a blob.
const CHUNK_BYTES: usize = 4 << 20;

/// How the chunks of an artifact are encoded.
pub const ENCODING_GZIP: &str = "gzip";

/// An artifact ready to store: its hash and size, and its compressed chunks.
/// Building it is CPU work, so callers on an async runtime do it on a
/// blocking thread.
#[derive(Debug, Clone)]
pub struct CompressedArtifact {
    pub sha256: String,
    pub size: u64,
    pub chunks: Vec<Vec<u8>>,
}

impl CompressedArtifact {
    pub fn from_bytes(bytes: &[u8]) -> CompressedArtifact {
        // Reading from a slice cannot fail.
        CompressedArtifact::from_reader(bytes).expect("read from memory")
    }

    /// Hashes and compresses a stream in one pass; memory holds only the
    /// compressed chunks.
    pub fn from_reader(mut reader: impl Read) -> std::io::Result<CompressedArtifact> {
        let mut hasher = Sha256::new();
        let mut encoder = GzEncoder::new(ChunkWriter::default(), Compression::fast());
        let mut buf = vec![0u8; 256 * 1024];
        let mut size = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&buf[..n]);
            encoder.write_all(&buf[..n])?;
            size += n as u64;
        }
        let mut writer = encoder.finish()?;
        writer.seal();
        Ok(CompressedArtifact {
            sha256: format!("{:x}", hasher.finalize()),
            size,
            chunks: writer.chunks,
        })
    }
}

/// Collects compressed output in chunks of [`CHUNK_BYTES`], so no single
/// allocation grows with the artifact.
#[derive(Default)]
struct ChunkWriter {
    chunks: Vec<Vec<u8>>,
    current: Vec<u8>,
}

impl ChunkWriter {
    fn seal(&mut self) {
        if !self.current.is_empty() {
            self.chunks.push(std::mem::take(&mut self.current));
        }
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, mut data: &[u8]) -> std::io::Result<usize> {
        let written = data.len();
        while !data.is_empty() {
            if self.current.capacity() == 0 {
                self.current.reserve_exact(CHUNK_BYTES);
            }
            let room = CHUNK_BYTES - self.current.len();
            let (now, later) = data.split_at(room.min(data.len()));
            self.current.extend_from_slice(now);
            data = later;
            if self.current.len() == CHUNK_BYTES {
                self.seal();
            }
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The SHA-256 of some bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

pub(crate) async fn write_chunks(
    tx: &mut sqlx::SqliteConnection,
    artifact_id: i64,
    artifact: &CompressedArtifact,
) -> Result<()> {
    for (seq, chunk) in artifact.chunks.iter().enumerate() {
        sqlx::query("INSERT INTO artifact_chunks (artifact_id, seq, data) VALUES (?, ?, ?)")
            .bind(artifact_id)
            .bind(seq as i64)
            .bind(chunk.as_slice())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// A stored artifact's bytes and metadata.
#[derive(Debug, Clone)]
pub struct ArtifactBytes {
    pub file_name: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

impl Store {
    /// The bytes of a run's artifact exactly as uploaded; their SHA-256 is
    /// checked against the stored one.
    pub async fn run_artifact(&self, run_id: i64) -> Result<ArtifactBytes> {
        let artifact_id: i64 = sqlx::query("SELECT artifact_id FROM runs WHERE id = ?")
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no run has the id {run_id}")))?
            .try_get("artifact_id")?;
        self.artifact_bytes(artifact_id).await
    }

    /// The bytes of an audit evidence upload, checked as for runs.
    pub async fn evidence_artifact(&self, evidence_id: i64) -> Result<ArtifactBytes> {
        let artifact_id: i64 = sqlx::query("SELECT artifact_id FROM evidence WHERE id = ?")
            .bind(evidence_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no evidence has the id {evidence_id}")))?
            .try_get("artifact_id")?;
        self.artifact_bytes(artifact_id).await
    }

    async fn artifact_bytes(&self, artifact_id: i64) -> Result<ArtifactBytes> {
        let row = sqlx::query("SELECT file_name, sha256, encoding FROM artifacts WHERE id = ?")
            .bind(artifact_id)
            .fetch_one(&self.pool)
            .await?;
        let sha256: String = row.try_get("sha256")?;
        let encoding: String = row.try_get("encoding")?;
        let chunks =
            sqlx::query("SELECT data FROM artifact_chunks WHERE artifact_id = ? ORDER BY seq")
                .bind(artifact_id)
                .fetch_all(&self.pool)
                .await?;
        let mut compressed = Vec::new();
        for chunk in chunks {
            compressed.extend_from_slice(chunk.try_get::<&[u8], _>("data")?);
        }
        if encoding != ENCODING_GZIP {
            return Err(StoreError::Corrupt(format!(
                "artifact {artifact_id} has the unknown encoding `{encoding}`"
            )));
        }
        let mut bytes = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .read_to_end(&mut bytes)
            .map_err(|e| StoreError::Corrupt(format!("artifact {artifact_id}: {e}")))?;
        if sha256_hex(&bytes) != sha256 {
            return Err(StoreError::Corrupt(format!(
                "artifact {artifact_id} no longer matches its SHA-256 {sha256}"
            )));
        }
        Ok(ArtifactBytes {
            file_name: row.try_get("file_name")?,
            sha256,
            bytes,
        })
    }
}

impl Store {
    /// Every artifact of a project, newest first.
    pub async fn list_artifacts(
        &self,
        project_id: i64,
    ) -> Result<Vec<readiness_core::model::ArtifactListing>> {
        let rows = sqlx::query(
            "SELECT a.id, a.sha256, a.file_name, a.size, a.format, a.uploaded_at, a.commit_sha,
                    a.branch, a.environment, a.ci_job_url, a.label,
                    r.id AS run_id, r.scenario, e.id AS evidence_id, e.kinds
             FROM artifacts a
             LEFT JOIN runs r ON r.artifact_id = a.id
             LEFT JOIN evidence e ON e.artifact_id = a.id
             WHERE a.project_id = ?
             ORDER BY a.id DESC",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let artifact_id: i64 = row.try_get("id")?;
                let corrupt =
                    |what: String| StoreError::Corrupt(format!("artifact {artifact_id}: {what}"));
                let run = match row.try_get::<Option<i64>, _>("run_id")? {
                    Some(id) => {
                        let scenario: String = row.try_get("scenario")?;
                        Some((
                            id,
                            scenario
                                .parse()
                                .map_err(|e| corrupt(format!("scenario: {e}")))?,
                        ))
                    }
                    None => None,
                };
                let evidence = match row.try_get::<Option<i64>, _>("evidence_id")? {
                    Some(id) => {
                        let kinds: String = row.try_get("kinds")?;
                        let kinds = serde_json::from_str(&kinds)
                            .map_err(|e| corrupt(format!("kinds: {e}")))?;
                        Some((id, kinds))
                    }
                    None => None,
                };
                Ok(readiness_core::model::ArtifactListing {
                    artifact_id,
                    sha256: row.try_get("sha256")?,
                    file_name: row.try_get("file_name")?,
                    size: row.try_get::<i64, _>("size")? as u64,
                    format: row.try_get("format")?,
                    uploaded_at: row.try_get("uploaded_at")?,
                    provenance: readiness_core::model::Provenance {
                        commit: row.try_get("commit_sha")?,
                        branch: row.try_get("branch")?,
                        environment: row.try_get("environment")?,
                        ci_job_url: row.try_get("ci_job_url")?,
                        label: row.try_get("label")?,
                    },
                    run,
                    evidence,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_artifacts_are_split_into_bounded_chunks() {
        // Incompressible bytes, so the compressed form spans several chunks.
        let mut state = 1u64;
        let bytes: Vec<u8> = (0..CHUNK_BYTES * 2 + 1000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let artifact = CompressedArtifact::from_bytes(&bytes);
        assert!(artifact.chunks.len() >= 3);
        assert!(artifact.chunks.iter().all(|c| c.len() <= CHUNK_BYTES));
        let joined: Vec<u8> = artifact.chunks.concat();
        let mut restored = Vec::new();
        GzDecoder::new(joined.as_slice())
            .read_to_end(&mut restored)
            .unwrap();
        assert_eq!(restored, bytes);
        assert_eq!(artifact.sha256, sha256_hex(&bytes));
    }

    #[test]
    fn compression_keeps_the_hash_of_the_original_bytes() {
        let artifact = CompressedArtifact::from_bytes(b"abc");
        assert_eq!(
            artifact.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(artifact.size, 3);
    }
}
