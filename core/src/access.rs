//! Who may do what: the one decision every route, page and server function
//! asks, so the rules live in one place and are tested as a table.
//!
//! - An admin (a user with the admin flag) may do everything.
//! - A project member has a role: a viewer reads; a maintainer also uploads
//!   in the browser, edits targets, the host profile and exemptions, and
//!   issues certificates; a project admin also manages its tokens, members
//!   and visibility.
//! - A project is private unless made public, which lets everyone read it
//!   (and nothing more).
//! - A token belongs to one project: it reads it, and uploads to it when its
//!   scope is `upload`. It can do nothing in another project and never
//!   changes settings: those changes are people's, and the audit log names
//!   them.
//! - Nobody learns that a private project exists without access: a signed
//!   in user without a role gets "not found"; an anonymous visitor is asked
//!   to sign in, whether or not the project exists.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A person's role in a project, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Maintainer,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Maintainer, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Maintainer => "maintainer",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "maintainer" => Ok(Role::Maintainer),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role `{other}`: expected viewer, maintainer or admin"
            )),
        }
    }
}

/// What an API token may do in its project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Upload results and evidence, and read.
    Upload,
    /// Read only.
    Read,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Upload => "upload",
            Scope::Read => "read",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Scope, String> {
        match s {
            "upload" => Ok(Scope::Upload),
            "read" => Ok(Scope::Read),
            other => Err(format!(
                "unknown token scope `{other}`: expected upload or read"
            )),
        }
    }
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Principal {
    Anonymous,
    User {
        id: i64,
        name: String,
        is_admin: bool,
    },
    Token {
        id: i64,
        project_id: i64,
        scope: Scope,
        /// The token's first characters, as the audit log names it.
        hint: String,
    },
}

impl Principal {
    /// How the audit log names the actor.
    pub fn actor(&self) -> String {
        match self {
            Principal::Anonymous => "anonymous".to_owned(),
            Principal::User { name, .. } => format!("user {name}"),
            Principal::Token { hint, .. } => format!("token {hint}…"),
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Principal::User { is_admin: true, .. })
    }
}

/// What is being done to a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See its pages, runs, evidence, findings and certificates.
    Read,
    /// Upload results or evidence.
    Upload,
    /// Change targets, the host profile or exemptions; import claims.
    Maintain,
    /// Issue a certificate.
    Certify,
    /// Create and revoke tokens, set members and visibility.
    Administer,
}

impl Action {
    /// The least role that may do it.
    pub fn role(self) -> Role {
        match self {
            Action::Read => Role::Viewer,
            Action::Upload | Action::Maintain | Action::Certify => Role::Maintainer,
            Action::Administer => Role::Admin,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Action::Read => "read this project",
            Action::Upload => "upload to this project",
            Action::Maintain => "change this project's settings",
            Action::Certify => "issue certificates for this project",
            Action::Administer => "manage this project's access",
        }
    }
}

/// The answer, and how HTTP says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// 401: sign in (or send a token) first.
    SignIn(String),
    /// 403: known, but not allowed; says what would be.
    Forbidden(String),
    /// 404: as if the project did not exist.
    Hidden,
}

/// A project as access sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectAccess {
    pub id: i64,
    pub public: bool,
    /// The asking user's role in it, if they are a member.
    pub member: Option<Role>,
}

/// Decides whether `principal` may do `action` in `project`.
pub fn decide(principal: &Principal, project: &ProjectAccess, action: Action) -> Decision {
    let public_read = project.public && action == Action::Read;
    match principal {
        Principal::User { is_admin: true, .. } => Decision::Allow,
        Principal::User { .. } => match project.member {
            Some(role) if role >= action.role() => Decision::Allow,
            Some(role) => Decision::Forbidden(format!(
                "you are a {role} of this project; to {} you need to be a {} (ask a project admin)",
                action.verb(),
                action.role()
            )),
            None if public_read => Decision::Allow,
            None if project.public => Decision::Forbidden(format!(
                "this project is public to read; to {} you need to be a {} of it",
                action.verb(),
                action.role()
            )),
            None => Decision::Hidden,
        },
        Principal::Token {
            project_id, scope, ..
        } => {
            if *project_id != project.id {
                return if public_read {
                    Decision::Allow
                } else {
                    Decision::Forbidden(
                        "this token belongs to another project; use a token created for this one"
                            .to_owned(),
                    )
                };
            }
            match (action, scope) {
                (Action::Read, _) | (Action::Upload, Scope::Upload) => Decision::Allow,
                (Action::Upload, Scope::Read) => Decision::Forbidden(
                    "this token may only read; create an upload token to send results".to_owned(),
                ),
                _ => Decision::Forbidden(format!(
                    "tokens upload and read; to {} sign in as a {} of it",
                    action.verb(),
                    action.role()
                )),
            }
        }
        Principal::Anonymous if public_read => Decision::Allow,
        Principal::Anonymous => Decision::SignIn(format!(
            "sign in to {} (or send `Authorization: Bearer <token>` from CI)",
            action.verb()
        )),
    }
}

/// Whether `principal` may do what only admins do: create projects and
/// users, read the audit log.
pub fn is_admin(principal: &Principal) -> Decision {
    match principal {
        Principal::User { is_admin: true, .. } => Decision::Allow,
        Principal::Anonymous => Decision::SignIn("sign in as an admin".to_owned()),
        _ => Decision::Forbidden("only an admin may do this".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(is_admin: bool) -> Principal {
        Principal::User {
            id: 1,
            name: "ana".to_owned(),
            is_admin,
        }
    }

    fn token(project_id: i64, scope: Scope) -> Principal {
        Principal::Token {
            id: 9,
            project_id,
            scope,
            hint: "rdy_abc123".to_owned(),
        }
    }

    fn project(public: bool, member: Option<Role>) -> ProjectAccess {
        ProjectAccess {
            id: 7,
            public,
            member,
        }
    }

    /// Every principal against every action on a private and a public
    /// project, as one table: A allow, S sign in, F forbidden, H hidden.
    #[test]
    fn the_access_table() {
        let actions = [
            Action::Read,
            Action::Upload,
            Action::Maintain,
            Action::Certify,
            Action::Administer,
        ];
        let rows: [(&str, Principal, Option<Role>, &str, &str); 9] = [
            ("anonymous", Principal::Anonymous, None, "SSSSS", "ASSSS"),
            ("user, no role", user(false), None, "HHHHH", "AFFFF"),
            ("viewer", user(false), Some(Role::Viewer), "AFFFF", "AFFFF"),
            (
                "maintainer",
                user(false),
                Some(Role::Maintainer),
                "AAAAF",
                "AAAAF",
            ),
            (
                "project admin",
                user(false),
                Some(Role::Admin),
                "AAAAA",
                "AAAAA",
            ),
            ("admin", user(true), None, "AAAAA", "AAAAA"),
            (
                "upload token",
                token(7, Scope::Upload),
                None,
                "AAFFF",
                "AAFFF",
            ),
            ("read token", token(7, Scope::Read), None, "AFFFF", "AFFFF"),
            (
                "other project's token",
                token(8, Scope::Upload),
                None,
                "FFFFF",
                "AFFFF",
            ),
        ];
        for (who, principal, member, private, public) in rows {
            for (public_flag, expected) in [(false, private), (true, public)] {
                let got: String = actions
                    .iter()
                    .map(
                        |a| match decide(&principal, &project(public_flag, member), *a) {
                            Decision::Allow => 'A',
                            Decision::SignIn(_) => 'S',
                            Decision::Forbidden(_) => 'F',
                            Decision::Hidden => 'H',
                        },
                    )
                    .collect();
                assert_eq!(got, expected, "{who}, public: {public_flag}");
            }
        }
    }

    #[test]
    fn refusals_say_what_would_be_allowed() {
        let Decision::Forbidden(why) = decide(
            &user(false),
            &project(false, Some(Role::Viewer)),
            Action::Maintain,
        ) else {
            panic!("expected forbidden");
        };
        assert!(why.contains("you are a viewer"), "{why}");
        assert!(why.contains("need to be a maintainer"), "{why}");
        let Decision::Forbidden(why) = decide(
            &token(7, Scope::Read),
            &project(false, None),
            Action::Upload,
        ) else {
            panic!("expected forbidden");
        };
        assert!(why.contains("create an upload token"), "{why}");
    }

    #[test]
    fn roles_and_scopes_read_as_written() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!(
            "owner"
                .parse::<Role>()
                .unwrap_err()
                .contains("viewer, maintainer or admin")
        );
        assert_eq!("read".parse::<Scope>(), Ok(Scope::Read));
        assert!(
            "write"
                .parse::<Scope>()
                .unwrap_err()
                .contains("upload or read")
        );
    }
}
