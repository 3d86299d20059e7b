-- A bundle artifact (a tar.gz or zip upload, or several files packed into
-- one tar) lists the files inside it, each with its SHA-256 and size, as a
-- JSON array; NULL for a single plain file.
ALTER TABLE artifacts ADD COLUMN entries TEXT;
