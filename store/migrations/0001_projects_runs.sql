-- Projects, their CI tokens, uploaded artifacts and the runs parsed from them.
-- Times are RFC 3339 text in UTC; SQL is kept portable to PostgreSQL.

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Only the SHA-256 of a token is stored; `hint` is its first characters,
-- so people can tell their tokens apart.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

-- Evidence as received: the bytes live in artifact_chunks (compressed as
-- `encoding` says) and hash to `sha256`.
CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    kind TEXT NOT NULL,
    format TEXT NOT NULL,
    file_name TEXT NOT NULL,
    encoding TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    commit_sha TEXT,
    branch TEXT,
    environment TEXT,
    ci_job_url TEXT,
    label TEXT,
    UNIQUE (project_id, sha256)
);

CREATE TABLE artifact_chunks (
    artifact_id INTEGER NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (artifact_id, seq)
);

-- A load-test run: the normalized run as JSON, and its headline figures as
-- columns for listing and sorting.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    artifact_id INTEGER NOT NULL UNIQUE REFERENCES artifacts (id) ON DELETE CASCADE,
    scenario TEXT NOT NULL,
    requests INTEGER,
    p95_ms REAL,
    p99_ms REAL,
    error_rate REAL,
    throughput_rps REAL,
    vus_max INTEGER,
    normalized TEXT NOT NULL
);

CREATE INDEX runs_by_project ON runs (project_id, id);
