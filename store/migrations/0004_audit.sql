-- Audit evidence (configurations, status dumps, workload exports, monitoring
-- inventories): each upload is one artifact; `kinds` lists what its files
-- were recognised as, so an assessment can take the latest upload of each
-- kind.
CREATE TABLE evidence (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    artifact_id INTEGER NOT NULL UNIQUE REFERENCES artifacts (id) ON DELETE CASCADE,
    kinds TEXT NOT NULL,
    files TEXT NOT NULL
);

CREATE INDEX evidence_by_project ON evidence (project_id, id);

-- The servers a project runs on and the facts no file says (JSON), as the
-- audit's host profile.
ALTER TABLE projects ADD COLUMN host_profile TEXT;

-- A maintainer's decision that a rule does not apply, with why and until
-- when; an expired exemption stops counting.
CREATE TABLE exemptions (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    rule TEXT NOT NULL,
    reason TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (project_id, rule)
);
