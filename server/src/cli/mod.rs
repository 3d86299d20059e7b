//! The command line: `serve`, and the commands CI and admins run.

mod access;
mod audit;
mod backup;
mod gate;
mod ingest;
mod report;
mod retention;
mod upload;

use crate::config::{DbArgs, ServeConfig};
use anyhow::Context;
use clap::{Parser, Subcommand};
use readiness_core::access::Scope;
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
    /// Manage users and their roles.
    User {
        #[command(subcommand)]
        command: access::UserCommand,
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
    /// Issue the project's next certificate (stored and numbered, signed
    /// with the key beside the database) and write its PDF and JSON.
    Report(report::ReportArgs),
    /// Check a certificate (PDF or JSON): its signature and, given a folder
    /// or a server, every artifact's SHA-256. Exit 0 when valid, 1 saying
    /// what differs.
    Verify(report::VerifyArgs),
    /// Import a Markdown readiness document whose claims later certificates
    /// judge against the evidence.
    Claims(report::ClaimsArgs),
    /// Remove runs, evidence and artifacts older than an age, except those
    /// an issued certificate cites.
    Prune(retention::PruneArgs),
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
        /// Readable by everyone, signed in or not (changes still need a
        /// role). Projects are private by default.
        #[arg(long)]
        public: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Change a project: make it public or private.
    Set {
        slug: String,
        #[arg(long, conflicts_with = "private")]
        public: bool,
        #[arg(long)]
        private: bool,
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
        /// `upload` (upload and read) or `read` (read only).
        #[arg(long, default_value = "upload")]
        scope: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List a project's tokens: id, first characters, scope, created, last
    /// used, revoked.
    List {
        #[arg(long)]
        project: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a token by the id `token list` shows.
    Revoke {
        #[arg(long)]
        project: String,
        id: i64,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub(crate) async fn open(db: &DbArgs) -> anyhow::Result<Store> {
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
            ProjectCommand::Create {
                slug,
                name,
                public,
                db,
            } => {
                let store = open(&db).await?;
                let name = name.unwrap_or_else(|| slug.clone());
                let created = store.create_project(&slug, &name).await?;
                let project = store.project(&slug).await?;
                store.set_public(&project, public).await?;
                let visibility = if public { "public" } else { "private" };
                store
                    .record_as("cli", "project.create", Some(&project), visibility)
                    .await?;
                println!(
                    "created {visibility} project {} ({})",
                    created.slug, created.name
                );
            }
            ProjectCommand::Set {
                slug,
                public,
                private,
                db,
            } => {
                if !public && !private {
                    anyhow::bail!("say --public or --private");
                }
                let store = open(&db).await?;
                let project = store.project(&slug).await?;
                store.set_public(&project, public).await?;
                let visibility = if public { "public" } else { "private" };
                store
                    .record_as("cli", "project.visibility", Some(&project), visibility)
                    .await?;
                println!("{slug} is now {visibility}");
            }
            ProjectCommand::List { db } => {
                let store = open(&db).await?;
                for p in store.list_projects().await? {
                    println!("{}\t{}\t{} runs", p.slug, p.name, p.run_count);
                }
            }
        },
        Command::Token { command } => match command {
            TokenCommand::Create { project, scope, db } => {
                let scope: Scope = scope.parse().map_err(anyhow::Error::msg)?;
                let store = open(&db).await?;
                let token = store.create_token(&project, scope, "cli").await?;
                let project = store.project(&project).await?;
                store
                    .record_as(
                        "cli",
                        "token.create",
                        Some(&project),
                        &format!("{}… ({scope})", &token[..10]),
                    )
                    .await?;
                println!("{token}");
            }
            TokenCommand::List { project, db } => {
                let store = open(&db).await?;
                let project = store.project(&project).await?;
                let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
                    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_else(|| "-".to_owned())
                };
                println!("id\ttoken\tscope\tcreated\tby\tlast used\trevoked");
                for t in store.list_tokens(&project).await? {
                    println!(
                        "{}\t{}…\t{}\t{}\t{}\t{}\t{}",
                        t.id,
                        t.hint,
                        t.scope,
                        time(Some(t.created_at)),
                        t.created_by.unwrap_or_else(|| "-".to_owned()),
                        time(t.last_used_at),
                        time(t.revoked_at)
                    );
                }
            }
            TokenCommand::Revoke { project, id, db } => {
                let store = open(&db).await?;
                let project = store.project(&project).await?;
                let hint = store.revoke_token(&project, id).await?;
                store
                    .record_as("cli", "token.revoke", Some(&project), &format!("{hint}…"))
                    .await?;
                println!("revoked token {id} ({hint}…)");
            }
        },
        Command::User { command } => access::run(command).await?,
        Command::Ingest(args) => return ingest::run(args),
        Command::Upload(args) => return upload::run(args).await,
        Command::Gate(args) => return gate::run(args).await,
        Command::Audit(args) => return audit::run(args),
        Command::Backup(args) => backup::backup(args).await?,
        Command::Restore(args) => backup::restore(args).await?,
        Command::Report(args) => return report::report(args).await,
        Command::Verify(args) => return report::verify(args).await,
        Command::Claims(args) => return report::claims(args).await,
        Command::Prune(args) => retention::prune(args).await?,
    }
    Ok(ExitCode::SUCCESS)
}
