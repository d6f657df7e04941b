-- 0003: the notification outbox (delivery of final payments to the
-- accounting system, notify.url) and "entered by hand".
--
-- A final state (paid or not_paid) is never on disk without its delivery
-- queued: the triggers below enqueue it in the transaction that writes the
-- state, whoever writes it (the payment flow, a technician's manual
-- resolution, the sqlite3 shell). delivery_id is "<payment id>:<state>",
-- stable across retries and resyncs, so the receiver can drop duplicates.
-- Times are Unix nanoseconds in UTC, as in 0001.

-- entered_by_hand: the accounting system has this payment already (a
-- person typed it in); it is never sent again. Once set it stays set.
ALTER TABLE payments ADD COLUMN entered_by_hand INTEGER NOT NULL DEFAULT 0 CHECK (entered_by_hand IN (0, 1));
ALTER TABLE payments ADD COLUMN entered_by TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN entered_reason TEXT NOT NULL DEFAULT '';

CREATE TABLE outbox (
    delivery_id  TEXT    NOT NULL PRIMARY KEY,
    payment_id   TEXT    NOT NULL REFERENCES payments (id),
    state        TEXT    NOT NULL CHECK (state IN ('paid', 'not_paid')),
    status       TEXT    NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'delivered', 'exhausted', 'cancelled')),
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (typeof(attempts) = 'integer' AND attempts >= 0),
    next_at      INTEGER NOT NULL CHECK (typeof(next_at) = 'integer'),
    last_error   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL CHECK (typeof(created_at) = 'integer'),
    delivered_at INTEGER CHECK (delivered_at IS NULL OR typeof(delivered_at) = 'integer')
);

CREATE INDEX outbox_due ON outbox (status, next_at, created_at);
CREATE INDEX outbox_payment_id ON outbox (payment_id, created_at);

-- A payment that reaches a final state queues its delivery. An older
-- delivery of the same payment for another state (a technician changed
-- the outcome) is superseded: the receiver must not get a stale state.
CREATE TRIGGER outbox_enqueue_update AFTER UPDATE OF state ON payments
WHEN NEW.state IN ('paid', 'not_paid') AND NEW.state IS NOT OLD.state AND NEW.entered_by_hand = 0
BEGIN
    UPDATE outbox SET status = 'cancelled', last_error = 'superseded: the payment is now ' || NEW.state
    WHERE payment_id = NEW.id AND status IN ('pending', 'exhausted') AND state <> NEW.state;
    INSERT OR IGNORE INTO outbox (delivery_id, payment_id, state, status, attempts, next_at, created_at)
    VALUES (NEW.id || ':' || NEW.state, NEW.id, NEW.state, 'pending', 0, NEW.updated_at, NEW.updated_at);
END;

CREATE TRIGGER outbox_enqueue_insert AFTER INSERT ON payments
WHEN NEW.state IN ('paid', 'not_paid') AND NEW.entered_by_hand = 0
BEGIN
    INSERT OR IGNORE INTO outbox (delivery_id, payment_id, state, status, attempts, next_at, created_at)
    VALUES (NEW.id || ':' || NEW.state, NEW.id, NEW.state, 'pending', 0, NEW.updated_at, NEW.updated_at);
END;

-- Entered by hand: whatever is still waiting to be sent is cancelled.
CREATE TRIGGER outbox_entered_by_hand AFTER UPDATE OF entered_by_hand ON payments
WHEN NEW.entered_by_hand = 1
BEGIN
    UPDATE outbox SET status = 'cancelled', last_error = 'entered by hand in the accounting system'
    WHERE payment_id = NEW.id AND status IN ('pending', 'exhausted');
END;

CREATE TRIGGER payments_entered_by_hand_stays BEFORE UPDATE OF entered_by_hand ON payments
WHEN OLD.entered_by_hand = 1 AND NEW.entered_by_hand IS NOT 1
BEGIN
    SELECT RAISE(ABORT, 'journal: a payment entered by hand in the accounting system stays so');
END;

-- A delivery is never lost: rows are never deleted.
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN
    SELECT RAISE(ABORT, 'outbox: deliveries are never deleted');
END;
