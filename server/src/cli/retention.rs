//! `readiness prune`: retention from the shell (or cron). Runs, evidence
//! uploads and their artifacts older than an age are removed, except those
//! an issued certificate cites.

use crate::config::DbArgs;
use anyhow::bail;
use clap::Args;
use readiness_store::retention::AgedArtifact;
use std::collections::BTreeMap;

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Remove evidence uploaded more than this many days ago.
    #[arg(long, value_name = "DAYS")]
    older_than: u32,
    /// Only this project (by slug); all projects by default.
    #[arg(long)]
    project: Option<String>,
    /// Say what would be removed and kept, and change nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    db: DbArgs,
}

fn describe(a: &AgedArtifact) -> String {
    let what = a
        .evidence
        .map(|e| e.label())
        .unwrap_or_else(|| format!("artifact {}", a.artifact_id));
    format!(
        "{}: {what} {} ({} bytes, uploaded {}, sha256 {})",
        a.project,
        a.file_name,
        a.size,
        a.uploaded_at.format("%Y-%m-%d %H:%M"),
        a.sha256
    )
}

pub async fn prune(args: PruneArgs) -> anyhow::Result<()> {
    if args.older_than == 0 {
        bail!("--older-than 0 would remove everything not cited; give an age of at least 1 day");
    }
    let store = super::open(&args.db).await?;
    let project = match &args.project {
        Some(slug) => Some(store.project(slug).await?),
        None => None,
    };
    let cutoff = chrono::Utc::now() - chrono::Duration::days(i64::from(args.older_than));
    let report = store.prune(cutoff, project.as_ref(), args.dry_run).await?;
    let verb = if args.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for artifact in &report.removed {
        println!("{verb} {}", describe(artifact));
    }
    for artifact in &report.kept {
        let numbers: Vec<String> = artifact.certificates.iter().map(u64::to_string).collect();
        println!(
            "kept {}: cited by certificate {}",
            describe(artifact),
            numbers.join(", ")
        );
    }
    println!(
        "{verb} {} artifacts ({} bytes) uploaded before {}; kept {} that certificates cite",
        report.removed.len(),
        report.removed_bytes(),
        cutoff.format("%Y-%m-%d %H:%M UTC"),
        report.kept.len()
    );
    if !args.dry_run {
        // One audit line per project touched.
        let mut by_project: BTreeMap<&str, (usize, u64, usize)> = BTreeMap::new();
        for a in &report.removed {
            let entry = by_project.entry(&a.project).or_default();
            entry.0 += 1;
            entry.1 += a.size;
        }
        for a in &report.kept {
            by_project.entry(&a.project).or_default().2 += 1;
        }
        if by_project.is_empty() {
            // Nothing was old enough: the run is still worth a line.
            store
                .record_as(
                    "cli",
                    "retention.prune",
                    project.as_ref(),
                    &format!("nothing older than {} days", args.older_than),
                )
                .await?;
        }
        for (slug, (removed, bytes, kept)) in by_project {
            let project = store.project(slug).await?;
            store
                .record_as(
                    "cli",
                    "retention.prune",
                    Some(&project),
                    &format!(
                        "removed {removed} artifacts ({bytes} bytes) older than {} days; kept \
                         {kept} that certificates cite",
                        args.older_than
                    ),
                )
                .await?;
        }
    }
    Ok(())
}
