-- 0002: the per-till settings, edited with `sbpd settings`.
--
-- One row per key a technician set on this till; a key without a row comes
-- from the cash-desk template or the defaults. Values are text, checked by
-- sbpd before they are written. updated_at is Unix nanoseconds in UTC.

CREATE TABLE settings (
    key        TEXT    NOT NULL PRIMARY KEY CHECK (key <> ''),
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL CHECK (typeof(updated_at) = 'integer'),
    updated_by TEXT    NOT NULL DEFAULT ''
);

-- settings_version counts the writes to settings, so that a running daemon
-- notices a change made by another process (or by hand in the sqlite3
-- shell) with one cheap read. The triggers bump it in the writing
-- transaction itself.
CREATE TABLE settings_version (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);

INSERT INTO settings_version (id, version) VALUES (1, 0);

CREATE TRIGGER settings_version_insert AFTER INSERT ON settings
BEGIN
    UPDATE settings_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER settings_version_update AFTER UPDATE ON settings
BEGIN
    UPDATE settings_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER settings_version_delete AFTER DELETE ON settings
BEGIN
    UPDATE settings_version SET version = version + 1 WHERE id = 1;
END;
