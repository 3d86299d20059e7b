//! `readiness backup` and `readiness restore`: a consistent copy of a live
//! database (artifacts included, as they live in it) in one file, and the
//! way back from such a copy.

use crate::config::DbArgs;
use anyhow::{Context, bail};
use clap::Args;
use readiness_store::Store;
use readiness_store::backup::{self, BackupSummary};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write: one SQLite database holding everything.
    file: PathBuf,
    /// Replace FILE when it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file made by `readiness backup`.
    file: PathBuf,
    #[command(flatten)]
    db: DbArgs,
}

/// Copies the database while a server may go on using it.
pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    if !args.db.db.is_file() {
        bail!("there is no database at {}", args.db.db.display());
    }
    let store = Store::open(&args.db.db)
        .await
        .with_context(|| format!("cannot open the database {}", args.db.db.display()))?;
    let summary = store
        .backup(&args.file, args.force)
        .await
        .with_context(|| format!("cannot back up to {}", args.file.display()))?;
    println!(
        "backed up {} to {}: {}",
        args.db.db.display(),
        args.file.display(),
        describe(&summary)
    );
    Ok(())
}

/// Replaces the database with a backup, once the backup is checked; refuses
/// while anything has the database open.
pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let summary = backup::restore(&args.file, &args.db.db)
        .await
        .with_context(|| {
            format!(
                "cannot restore {} to {}",
                args.file.display(),
                args.db.db.display()
            )
        })?;
    println!(
        "restored {} to {}: {}",
        args.file.display(),
        args.db.db.display(),
        describe(&summary)
    );
    Ok(())
}

fn describe(summary: &BackupSummary) -> String {
    format!(
        "{} projects, {} runs, {} evidence uploads, {} artifacts, {} bytes",
        summary.projects, summary.runs, summary.evidence, summary.artifacts, summary.bytes
    )
}
