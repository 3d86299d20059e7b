//! `readiness user …`: people and their roles, from the shell. The first
//! admin is created here; after that, admins also manage users in the
//! browser.

use crate::config::DbArgs;
use anyhow::{Context, bail};
use clap::Subcommand;
use readiness_core::access::Role;
use readiness_store::users::hash_password;
use std::io::{BufRead, IsTerminal};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is read from standard input (one line), or
    /// asked for without echo when standard input is a terminal.
    Add {
        name: String,
        /// May do everything: users, projects, tokens.
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set a user's password (read as for `add`); ends their sessions.
    Passwd {
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Give a user a role in a project (viewer, maintainer, admin), or
    /// `none` to take it away.
    Role {
        name: String,
        #[arg(long)]
        project: String,
        #[arg(long)]
        role: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Disable a user (ends their sessions); `--enable` undoes it.
    Disable {
        name: String,
        #[arg(long)]
        enable: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List users with their roles.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Reads a password: a line of standard input, or a prompt on a terminal.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(prompt).context("cannot read the password")?;
        let again = rpassword::prompt_password("Again: ").context("cannot read the password")?;
        if first != again {
            bail!("the two passwords differ; nothing was changed");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.is_empty() {
        bail!("no password given: send it on standard input or type it at the prompt");
    }
    Ok(password)
}

pub async fn run(command: UserCommand) -> anyhow::Result<()> {
    use super::open;
    match command {
        UserCommand::Add { name, admin, db } => {
            readiness_store::users::validate_user_name(&name)?;
            let password = read_password(&format!("Password for {name}: "))?;
            let hash = hash_password(&password)?;
            let store = open(&db).await?;
            store.add_user(&name, &hash, admin).await?;
            let role = if admin { "admin" } else { "user" };
            store
                .record_as("cli", "user.add", None, &format!("{name} ({role})"))
                .await?;
            println!("added {role} {name}");
        }
        UserCommand::Passwd { name, db } => {
            let password = read_password(&format!("New password for {name}: "))?;
            let hash = hash_password(&password)?;
            let store = open(&db).await?;
            store.set_password(&name, &hash).await?;
            store.record_as("cli", "user.password", None, &name).await?;
            println!("changed the password of {name}; their sessions have ended");
        }
        UserCommand::Role {
            name,
            project,
            role,
            db,
        } => {
            let role = match role.as_str() {
                "none" => None,
                other => Some(other.parse::<Role>().map_err(anyhow::Error::msg)?),
            };
            let store = open(&db).await?;
            let project = store.project(&project).await?;
            store.set_role(&project, &name, role).await?;
            let what = role.map_or("no role".to_owned(), |r| r.to_string());
            store
                .record_as(
                    "cli",
                    "member.set",
                    Some(&project),
                    &format!("{name}: {what}"),
                )
                .await?;
            println!("{name} is now {what} in {}", project.slug);
        }
        UserCommand::Disable { name, enable, db } => {
            let store = open(&db).await?;
            store.set_disabled(&name, !enable).await?;
            let action = if enable {
                "user.enable"
            } else {
                "user.disable"
            };
            store.record_as("cli", action, None, &name).await?;
            println!("{name} is {}", if enable { "enabled" } else { "disabled" });
        }
        UserCommand::List { db } => {
            let store = open(&db).await?;
            for user in store.list_users().await? {
                let roles: Vec<String> = user
                    .roles
                    .iter()
                    .map(|(project, role)| format!("{project}:{role}"))
                    .collect();
                println!(
                    "{}\t{}{}\t{}",
                    user.name,
                    if user.is_admin { "admin" } else { "user" },
                    if user.disabled { " (disabled)" } else { "" },
                    roles.join(" ")
                );
            }
        }
    }
    Ok(())
}
