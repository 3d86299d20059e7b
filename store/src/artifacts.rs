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
        let sha256 = sha256_hex(bytes);
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        // Writing to a Vec cannot fail.
        encoder.write_all(bytes).expect("write to memory");
        let compressed = encoder.finish().expect("write to memory");
        let chunks = compressed.chunks(CHUNK_BYTES).map(<[u8]>::to_vec).collect();
        CompressedArtifact {
            sha256,
            size: bytes.len() as u64,
            chunks,
        }
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
        let row = sqlx::query(
            "SELECT a.id, a.file_name, a.sha256, a.encoding
             FROM runs r JOIN artifacts a ON a.id = r.artifact_id WHERE r.id = ?",
        )
        .bind(run_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no run has the id {run_id}")))?;
        let artifact_id: i64 = row.try_get("id")?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
