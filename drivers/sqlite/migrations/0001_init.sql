-- 0001: the payment journal.
--
-- Amounts are INTEGER kopecks, never REAL. Times are INTEGER Unix
-- nanoseconds in UTC; NULL means "not known yet". Flags are 0 or 1.

CREATE TABLE payments (
    id               TEXT    NOT NULL PRIMARY KEY,
    check_id         TEXT    NOT NULL,
    order_no         TEXT    NOT NULL UNIQUE,
    amount           INTEGER NOT NULL CHECK (typeof(amount) = 'integer'),
    mixed            INTEGER NOT NULL DEFAULT 0 CHECK (mixed IN (0, 1)),
    mode             INTEGER NOT NULL CHECK (typeof(mode) = 'integer'),
    state            TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL DEFAULT '',
    paymaster_id     TEXT    NOT NULL DEFAULT '',
    paymaster_status TEXT    NOT NULL DEFAULT '',
    result_code      TEXT    NOT NULL DEFAULT '',
    reason           TEXT    NOT NULL DEFAULT '',
    qr_payload       TEXT    NOT NULL DEFAULT '',
    expires_at       INTEGER CHECK (expires_at IS NULL OR typeof(expires_at) = 'integer'),
    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    cancel_sent      INTEGER NOT NULL DEFAULT 0 CHECK (cancel_sent IN (0, 1)),
    late_settle      INTEGER NOT NULL DEFAULT 0 CHECK (late_settle IN (0, 1)),
    offline          INTEGER NOT NULL DEFAULT 0 CHECK (offline IN (0, 1)),
    error_code       TEXT    NOT NULL DEFAULT '',
    error_message    TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL CHECK (typeof(created_at) = 'integer'),
    updated_at       INTEGER NOT NULL CHECK (typeof(updated_at) = 'integer')
);

CREATE INDEX payments_created_at ON payments (created_at, id);
CREATE INDEX payments_check_id ON payments (check_id, created_at);
CREATE INDEX payments_state ON payments (state, created_at);
CREATE INDEX payments_paymaster_id ON payments (paymaster_id);
CREATE INDEX payments_amount ON payments (amount);

CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id TEXT    NOT NULL REFERENCES payments (id),
    at         INTEGER NOT NULL CHECK (typeof(at) = 'integer'),
    kind       TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT '',
    actor      TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX events_payment_id ON events (payment_id, seq);

-- The journal is a record: payments are never deleted, events never change,
-- and what was asked for (check, order number, amount, key) is never rewritten.
CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
BEGIN
    SELECT RAISE(ABORT, 'journal: payments are never deleted');
END;

CREATE TRIGGER payments_immutable
BEFORE UPDATE OF id, check_id, order_no, amount, mixed, idempotency_key, created_at ON payments
WHEN NEW.id IS NOT OLD.id
  OR NEW.check_id IS NOT OLD.check_id
  OR NEW.order_no IS NOT OLD.order_no
  OR NEW.amount IS NOT OLD.amount
  OR NEW.mixed IS NOT OLD.mixed
  OR NEW.idempotency_key IS NOT OLD.idempotency_key
  OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'journal: id, check_id, order_no, amount, mixed, idempotency_key and created_at never change');
END;

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'journal: events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'journal: events are append-only');
END;
