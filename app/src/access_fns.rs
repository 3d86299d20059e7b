//! Server functions of access: who is signed in, a project's members,
//! visibility and tokens, and the admin's users and audit log.

use leptos::prelude::*;
use leptos::server;
use readiness_core::access::Role;
use serde::{Deserialize, Serialize};

/// The signed-in person, as the top bar shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub name: String,
    pub is_admin: bool,
}

/// Who is asking, read from the request the server is rendering; `None`
/// when nobody is signed in. Server-side only: pages call it while they
/// render.
pub fn me() -> Option<Me> {
    #[cfg(feature = "ssr")]
    {
        use readiness_core::access::Principal;
        if let Principal::User { name, is_admin, .. } = crate::server_fns::principal_now() {
            return Some(Me { name, is_admin });
        }
    }
    None
}

/// A user as the admin's users page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub name: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub roles: Vec<(String, Role)>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogView {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub action: String,
    pub project: Option<String>,
    pub detail: String,
}

/// A project's access, as its access page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessView {
    pub slug: String,
    pub name: String,
    pub public: bool,
    pub members: Vec<(String, Role)>,
    pub tokens: Vec<TokenRow>,
    /// Every user's name, to choose new members from.
    pub users: Vec<String>,
    /// Whether the viewer may change anything here.
    pub can_administer: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub hint: String,
    pub scope: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub created_by: Option<String>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[server]
pub async fn load_access(slug: String) -> Result<AccessView, ServerFnError> {
    use crate::server_fns::backend::*;
    let store = store()?;
    let project = authorize(&store, &slug, Action::Read).await?;
    let can_administer = store
        .authorize(&principal(), &slug, Action::Administer)
        .await
        .is_ok();
    let (members, tokens, users) = if can_administer {
        let tokens = store
            .list_tokens(&project)
            .await
            .map_err(to_server_error)?
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                hint: t.hint,
                scope: t.scope.to_string(),
                created_at: t.created_at,
                created_by: t.created_by,
                last_used_at: t.last_used_at,
                revoked_at: t.revoked_at,
            })
            .collect();
        let users = store
            .list_users()
            .await
            .map_err(to_server_error)?
            .into_iter()
            .filter(|u| !u.disabled)
            .map(|u| u.name)
            .collect();
        (
            store.members(&project).await.map_err(to_server_error)?,
            tokens,
            users,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    Ok(AccessView {
        public: store.is_public(&project).await.map_err(to_server_error)?,
        slug: project.slug,
        name: project.name,
        members,
        tokens,
        users,
        can_administer,
    })
}

/// Gives a user a role in a project; `none` takes it away.
#[server]
pub async fn set_member(slug: String, user: String, role: String) -> Result<String, ServerFnError> {
    use crate::server_fns::backend::*;
    let store = store()?;
    let project = authorize(&store, &slug, Action::Administer).await?;
    let role: Option<Role> = match role.as_str() {
        "none" => None,
        other => Some(other.parse().map_err(ServerFnError::new)?),
    };
    store
        .set_role(&project, &user, role)
        .await
        .map_err(to_server_error)?;
    let what = role.map_or("no role".to_owned(), |r| r.to_string());
    record(&store, "member.set", &project, &format!("{user}: {what}")).await?;
    Ok(format!("{user} is now {what}"))
}

/// Makes a project public (readable by everyone) or private.
#[server]
pub async fn set_visibility(slug: String, public: String) -> Result<bool, ServerFnError> {
    use crate::server_fns::backend::*;
    let store = store()?;
    let project = authorize(&store, &slug, Action::Administer).await?;
    let public = public == "public";
    store
        .set_public(&project, public)
        .await
        .map_err(to_server_error)?;
    record(
        &store,
        "project.visibility",
        &project,
        if public { "public" } else { "private" },
    )
    .await?;
    Ok(public)
}

/// Revokes a token of the project.
#[server]
pub async fn revoke_token(slug: String, id: i64) -> Result<String, ServerFnError> {
    use crate::server_fns::backend::*;
    let store = store()?;
    let project = authorize(&store, &slug, Action::Administer).await?;
    let hint = store
        .revoke_token(&project, id)
        .await
        .map_err(to_server_error)?;
    record(&store, "token.revoke", &project, &format!("{hint}…")).await?;
    Ok(hint)
}

/// Every user, for the admin.
#[server]
pub async fn load_users() -> Result<Vec<UserView>, ServerFnError> {
    use crate::server_fns::backend::*;
    require_admin()?;
    Ok(store()?
        .list_users()
        .await
        .map_err(to_server_error)?
        .into_iter()
        .map(|u| UserView {
            name: u.name,
            is_admin: u.is_admin,
            disabled: u.disabled,
            created_at: u.created_at,
            roles: u.roles,
        })
        .collect())
}

/// Adds a user (admin only); the password is hashed with argon2id.
#[server]
pub async fn add_user(
    name: String,
    password: String,
    #[server(default)] admin: Option<String>,
) -> Result<String, ServerFnError> {
    use crate::server_fns::backend::*;
    require_admin()?;
    let name = name.trim().to_owned();
    readiness_store::users::validate_user_name(&name).map_err(to_server_error)?;
    let hash =
        tokio::task::spawn_blocking(move || readiness_store::users::hash_password(&password))
            .await
            .map_err(|_| ServerFnError::new("the password could not be hashed"))?
            .map_err(to_server_error)?;
    let store = store()?;
    let admin = admin.is_some();
    store
        .add_user(&name, &hash, admin)
        .await
        .map_err(to_server_error)?;
    store
        .record(
            &principal(),
            "user.add",
            None,
            &format!("{name} ({})", if admin { "admin" } else { "user" }),
        )
        .await
        .map_err(to_server_error)?;
    Ok(name)
}

/// Disables a user (ending their sessions) or enables them again.
#[server]
pub async fn set_user_disabled(name: String, disabled: bool) -> Result<String, ServerFnError> {
    use crate::server_fns::backend::*;
    require_admin()?;
    let store = store()?;
    store
        .set_disabled(&name, disabled)
        .await
        .map_err(to_server_error)?;
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    store
        .record(&principal(), action, None, &name)
        .await
        .map_err(to_server_error)?;
    Ok(name)
}

/// A page of the audit log, newest first (admin only).
#[server]
pub async fn load_log(before: Option<i64>) -> Result<Vec<LogView>, ServerFnError> {
    use crate::server_fns::backend::*;
    require_admin()?;
    Ok(store()?
        .audit_log(before, 100)
        .await
        .map_err(to_server_error)?
        .into_iter()
        .map(|e| LogView {
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            project: e.project,
            detail: e.detail,
        })
        .collect())
}
