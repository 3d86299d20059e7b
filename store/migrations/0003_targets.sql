-- A project's targets, as the expressions people wrote, in their order; and
-- how old evidence may be before its checks are unverified.
CREATE TABLE project_targets (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    expression TEXT NOT NULL,
    PRIMARY KEY (project_id, position)
);

ALTER TABLE projects ADD COLUMN max_age_days INTEGER NOT NULL DEFAULT 14;

-- Projects created before targets existed start with the defaults.
INSERT INTO project_targets (project_id, position, expression)
SELECT p.id, d.position, d.expression
FROM projects p,
     (SELECT 0 AS position, 'p95 < 500ms' AS expression
      UNION ALL SELECT 1, 'p99 < 1s'
      UNION ALL SELECT 2, 'error_rate < 0.1%'
      UNION ALL SELECT 3, 'throughput > 100/s'
      UNION ALL SELECT 4, 'users >= 100'
      UNION ALL SELECT 5, 'db_query_p95 < 200ms'
      UNION ALL SELECT 6, 'cache_hit_rate > 90%') d;
