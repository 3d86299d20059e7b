//! The command line: `serve`, and the commands CI and admins run.

mod audit;
mod backup;
mod gate;
mod ingest;
mod upload;

use crate::config::{DbArgs, ServeConfig};
use anyhow::Context;
use clap::{Parser, Subcommand};
use readiness_store::Store;
use std::process::ExitCode;

/// Readiness decides from measurements whether a web system is ready for
/// production.
#[derive(Debug, Parser)]
#[command(name = "readiness", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API and the pages.
    Serve(ServeConfig),
    /// Manage projects.
    Project {
        #[command(subcommand)]
        command: ProjectCommand,
    },
    /// Manage CI tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Parse a load-test result and print its normalized run; needs no
    /// server and no database.
    Ingest(ingest::IngestArgs),
    /// Send a load-test result to a server and print the run's URL.
    Upload(upload::UploadArgs),
    /// Judge results against targets, offline or on a server; the exit
    /// code tells CI whether to release (0 met, 1 failed, 2 unverified).
    Gate(gate::GateArgs),
    /// Judge configuration files, status dumps and monitoring offline with
    /// the audit rules (exit 1 when a finding fails).
    Audit(audit::AuditArgs),
    /// Copy the database, artifacts included, to one file while a server
    /// may be running on it.
    Backup(backup::BackupArgs),
    /// Replace the database with a backup, after checking it; refused while
    /// a server has the database open.
    Restore(backup::RestoreArgs),
}

#[derive(Debug, Subcommand)]
enum ProjectCommand {
    /// Create a project.
    Create {
        /// The project's slug: lowercase letters, digits and hyphens.
        slug: String,
        /// The project's display name (defaults to the slug).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List projects.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token for a project and print it (one line, nothing else).
    Create {
        /// The project the token may upload to.
        #[arg(long)]
        project: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

async fn open(db: &DbArgs) -> anyhow::Result<Store> {
    Store::open(&db.db)
        .await
        .with_context(|| format!("cannot open the database {}", db.db.display()))
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(config) => {
            crate::http::serve(config).await?;
        }
        Command::Project { command } => match command {
            ProjectCommand::Create { slug, name, db } => {
                let store = open(&db).await?;
                let name = name.unwrap_or_else(|| slug.clone());
                let project = store.create_project(&slug, &name).await?;
                println!("created project {} ({})", project.slug, project.name);
            }
            ProjectCommand::List { db } => {
                let store = open(&db).await?;
                for p in store.list_projects().await? {
                    println!("{}\t{}\t{} runs", p.slug, p.name, p.run_count);
                }
            }
        },
        Command::Token { command } => match command {
            TokenCommand::Create { project, db } => {
                let store = open(&db).await?;
                let token = store.create_token(&project).await?;
                println!("{token}");
            }
        },
        Command::Ingest(args) => return ingest::run(args),
        Command::Upload(args) => return upload::run(args).await,
        Command::Gate(args) => return gate::run(args).await,
        Command::Audit(args) => return audit::run(args),
        Command::Backup(args) => backup::backup(args).await?,
        Command::Restore(args) => backup::restore(args).await?,
    }
    Ok(ExitCode::SUCCESS)
}
