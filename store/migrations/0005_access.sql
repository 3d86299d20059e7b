-- People, their sessions and their roles in projects; project visibility;
-- token scopes; and the audit log of who changed what.

-- Passwords are stored as argon2id PHC strings.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    disabled_at TEXT
);

-- Only the SHA-256 of a session's secret is stored, as for tokens.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE memberships (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'maintainer', 'admin')),
    PRIMARY KEY (project_id, user_id)
);

-- Private unless an admin makes the project public (read-only to all).
ALTER TABLE projects ADD COLUMN public INTEGER NOT NULL DEFAULT 0;

-- `upload` tokens upload and read; `read` tokens only read.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'upload'
    CHECK (scope IN ('upload', 'read'));
ALTER TABLE api_tokens ADD COLUMN created_by TEXT;

-- Who did what: `actor` is `user NAME`, `token rdy_xxxxxx` or `cli`.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    project_id INTEGER REFERENCES projects (id) ON DELETE SET NULL,
    detail TEXT NOT NULL
);
