-- Issued certificates, the evidence each one cites, and imported claims
-- documents.

-- A certificate as issued: numbered per project from 1, never updated. The
-- signed JSON is kept as served, and the PDF as rendered once at issue, so
-- every download of a certificate is byte for byte the same file.
CREATE TABLE certificates (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    commit_sha TEXT,
    environment TEXT,
    issued_at TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    -- `user NAME` or `cli`, as the audit log names actors.
    issued_by TEXT NOT NULL,
    verdict TEXT NOT NULL,
    coverage REAL NOT NULL,
    signed_json TEXT NOT NULL,
    pdf BLOB NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    UNIQUE (project_id, number)
);

-- Every artifact a certificate's manifest lists. Retention keeps these: the
-- reference has no ON DELETE action, so the database itself refuses to
-- delete an artifact an issued certificate cites.
CREATE TABLE certificate_evidence (
    certificate_id INTEGER NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
    artifact_id INTEGER NOT NULL REFERENCES artifacts (id),
    -- What the certificate calls it: `run` or `upload`, and that row's id.
    evidence_kind TEXT NOT NULL CHECK (evidence_kind IN ('run', 'upload')),
    evidence_id INTEGER NOT NULL,
    PRIMARY KEY (certificate_id, artifact_id)
);

CREATE INDEX certificate_evidence_by_artifact ON certificate_evidence (artifact_id);

-- A readiness document imported for its claims, as received (Markdown).
-- The latest one of a project is judged by the certificates issued after it.
CREATE TABLE claims_documents (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    markdown TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);

CREATE INDEX claims_documents_by_project ON claims_documents (project_id, id);
