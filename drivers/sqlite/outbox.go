package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Outbox is the queue of notifications of final payments to the accounting
// system (notify.url). Rows are queued by triggers in the transaction that
// writes a payment's final state (migration 0003), so a final state is
// never on disk without its notification; Outbox only reads and updates
// them. Every method works while the daemon runs: the CLI and the daemon
// share the file through WAL.
type Outbox struct {
	db *DB
}

// Outbox returns the notification queue stored in db.
func (db *DB) Outbox() *Outbox { return &Outbox{db: db} }

// Delivery is one row of the outbox: one final state of one payment.
type Delivery = plugin.Delivery

// DueDelivery is a delivery to send now, with the payment as recorded.
type DueDelivery = plugin.DueDelivery

// NotifyStatus is whether, and how, the accounting system was told about a
// payment.
type NotifyStatus = plugin.Notice

// Stuck is a paid payment whose notification is exhausted: "Совершён без
// оповещения" (paid, but the accounting system was not told).
type Stuck = plugin.Stuck

const deliveryColumns = `delivery_id, payment_id, state, status, attempts, next_at, last_error, created_at, delivered_at`

func scanDelivery(s interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var next, created int64
	var delivered sql.NullInt64
	if err := s.Scan(&d.ID, &d.PaymentID, &d.State, &d.Status, &d.Attempts, &next, &d.LastError, &created, &delivered); err != nil {
		return Delivery{}, err
	}
	d.NextAt, d.CreatedAt, d.DeliveredAt = decodeTime(next), decodeTime(created), decodeOptTime(delivered)
	return d, nil
}

// Due returns up to limit pending deliveries whose time has come (next_at
// at or before now), the longest waiting first, each with its payment.
func (o *Outbox) Due(ctx context.Context, now time.Time, limit int) ([]DueDelivery, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := o.db.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM outbox
		WHERE status = ? AND next_at <= ?
		ORDER BY next_at, created_at, delivery_id LIMIT ?`, plugin.DeliveryPending, boundTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: outbox: due deliveries: %w", err)
	}
	var ds []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: outbox: due deliveries: %w", err)
		}
		ds = append(ds, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: outbox: due deliveries: %w", err)
	}
	out := make([]DueDelivery, 0, len(ds))
	for _, d := range ds {
		p, err := o.db.journal.Get(ctx, d.PaymentID)
		if err != nil {
			return nil, fmt.Errorf("sqlite: outbox: delivery %s: %w", d.ID, err)
		}
		out = append(out, DueDelivery{Delivery: d, Payment: *p})
	}
	return out, nil
}

// NextDue returns when the earliest pending delivery is due; ok is false
// when nothing is pending.
func (o *Outbox) NextDue(ctx context.Context) (at time.Time, ok bool, err error) {
	var n sql.NullInt64
	if err := o.db.read.QueryRowContext(ctx, `SELECT MIN(next_at) FROM outbox WHERE status = ?`, plugin.DeliveryPending).Scan(&n); err != nil {
		return time.Time{}, false, fmt.Errorf("sqlite: outbox: next due: %w", err)
	}
	if !n.Valid {
		return time.Time{}, false, nil
	}
	return decodeTime(n.Int64), true, nil
}

// DueNow makes every pending delivery that waits beyond now (a backoff
// after failed tries) due at now, its attempts kept: for when the
// receiver's address or secret was just fixed. It returns how many.
func (o *Outbox) DueNow(ctx context.Context, now time.Time) (int64, error) {
	t, err := encodeTime(now)
	if err != nil {
		return 0, fmt.Errorf("sqlite: outbox: due now: %w", err)
	}
	res, err := o.db.write.ExecContext(ctx, `UPDATE outbox SET next_at = ? WHERE status = ? AND next_at > ?`, t, plugin.DeliveryPending, t)
	if err != nil {
		return 0, fmt.Errorf("sqlite: outbox: due now: %w", err)
	}
	return res.RowsAffected()
}

// Counts returns how many deliveries are pending (the backlog) and how
// many were given up (exhausted), for monitoring. Delivered and cancelled
// ones, which grow with the journal, are not counted: the index on status
// keeps this cheap however long the journal is.
func (o *Outbox) Counts(ctx context.Context) (map[string]int64, error) {
	rows, err := o.db.read.QueryContext(ctx, `SELECT status, COUNT(*) FROM outbox WHERE status IN (?, ?) GROUP BY status`,
		plugin.DeliveryPending, plugin.DeliveryExhausted)
	if err != nil {
		return nil, fmt.Errorf("sqlite: outbox: counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{plugin.DeliveryPending: 0, plugin.DeliveryExhausted: 0}
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("sqlite: outbox: counts: %w", err)
		}
		out[status] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: outbox: counts: %w", err)
	}
	return out, nil
}

// MarkDelivered records that the receiver accepted delivery id at at. A
// delivery no longer pending (cancelled meanwhile) is left as it is.
func (o *Outbox) MarkDelivered(ctx context.Context, id string, at time.Time) error {
	t, err := encodeTime(at)
	if err != nil {
		return fmt.Errorf("sqlite: outbox: mark %s delivered: %w", id, err)
	}
	_, err = o.db.write.ExecContext(ctx, `UPDATE outbox SET status = ?, attempts = attempts + 1,
		delivered_at = ?, last_error = '' WHERE delivery_id = ? AND status = ?`, plugin.DeliveryDelivered, t, id, plugin.DeliveryPending)
	if err != nil {
		return fmt.Errorf("sqlite: outbox: mark %s delivered: %w", id, err)
	}
	return nil
}

// MarkFailed records a failed try of delivery id: attempts goes up by one,
// and the delivery is tried again at nextAt, or never again if exhausted.
func (o *Outbox) MarkFailed(ctx context.Context, id, reason string, nextAt time.Time, exhausted bool) error {
	status := plugin.DeliveryPending
	if exhausted {
		status = plugin.DeliveryExhausted
	}
	t, err := encodeTime(nextAt)
	if err != nil {
		return fmt.Errorf("sqlite: outbox: mark %s failed: %w", id, err)
	}
	_, err = o.db.write.ExecContext(ctx, `UPDATE outbox SET status = ?, attempts = attempts + 1,
		next_at = ?, last_error = ? WHERE delivery_id = ? AND status = ?`, status, t, reason, id, plugin.DeliveryPending)
	if err != nil {
		return fmt.Errorf("sqlite: outbox: mark %s failed: %w", id, err)
	}
	return nil
}

// Requeue sends the notification of a final payment again (sbpd journal
// resync): its delivery for the current state becomes pending and due at
// once (next_at is the time of the final state, never later than any
// clock's now) with no attempts counted, whatever it was, and keeps its
// delivery id so the receiver can drop it if it has it already. who and why are recorded as
// an event. The back office (plugin/backoffice) decides whether a resync is
// allowed; in the same transaction as the write, a payment entered by hand,
// or not final, is still refused with an *plugin.Error (EConflict), so that
// a change made meanwhile never queues what must not be sent; an unknown
// one is ENotFound.
func (o *Outbox) Requeue(ctx context.Context, paymentID, who, why string) (Delivery, error) {
	now, err := encodeTime(o.db.now())
	if err != nil {
		return Delivery{}, err
	}
	tx, err := o.db.write.BeginTx(ctx, nil)
	if err != nil {
		return Delivery{}, fmt.Errorf("sqlite: resync %s: %w", paymentID, err)
	}
	defer tx.Rollback()
	st, hand, err := handState(ctx, tx, paymentID)
	if err != nil {
		return Delivery{}, err
	}
	// Due at once: since the payment became final, which is never later
	// than the daemon's clock, whichever clock the caller has.
	var finalAt int64
	if err := tx.QueryRowContext(ctx, `SELECT updated_at FROM payments WHERE id = ?`, paymentID).Scan(&finalAt); err != nil {
		return Delivery{}, fmt.Errorf("sqlite: resync %s: %w", paymentID, err)
	}
	switch {
	case hand:
		return Delivery{}, &plugin.Error{Code: plugin.EConflict, Reason: plugin.RefusedEnteredByHand,
			Message: fmt.Sprintf("payment %s was entered by hand in the accounting system: its notification is never sent again", paymentID)}
	case !st.Final():
		return Delivery{}, &plugin.Error{Code: plugin.EConflict, Reason: plugin.RefusedNotFinal,
			Message: fmt.Sprintf("payment %s is %s, not final: there is nothing to notify yet (resolve it first)", paymentID, st)}
	}
	id := paymentID + ":" + string(st)
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (delivery_id, payment_id, state, status, attempts, next_at, created_at)
		VALUES (?, ?, ?, ?, 0, ?, ?)
		ON CONFLICT (delivery_id) DO UPDATE SET status = excluded.status, attempts = 0, next_at = excluded.next_at,
			last_error = '', delivered_at = NULL`, id, paymentID, string(st), plugin.DeliveryPending, finalAt, now)
	if err != nil {
		return Delivery{}, fmt.Errorf("sqlite: resync %s: %w", paymentID, err)
	}
	detail := "notification " + id + " queued again"
	if why != "" {
		detail += ": " + why
	}
	if err := appendEvent(ctx, tx, &plugin.Payment{ID: paymentID, State: st},
		plugin.Event{At: decodeTime(now), Kind: plugin.EvResync, Detail: detail, Actor: who}); err != nil {
		return Delivery{}, fmt.Errorf("sqlite: resync %s: %w", paymentID, err)
	}
	d, err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM outbox WHERE delivery_id = ?`, id))
	if err != nil {
		return Delivery{}, fmt.Errorf("sqlite: resync %s: %w", paymentID, err)
	}
	if err := tx.Commit(); err != nil {
		return Delivery{}, fmt.Errorf("sqlite: resync %s: commit: %w", paymentID, err)
	}
	return d, nil
}

// MarkEnteredByHand records that the accounting system has payment
// paymentID because a person entered it there: its notification is never
// sent again (pending and exhausted deliveries are cancelled, resync is
// refused, a later final state queues nothing). It cannot be undone. who
// and why are recorded on the payment and as an event (the back office,
// plugin/backoffice, requires the reason). Marking a payment that is
// already marked is refused with EConflict: the mark is written once.
func (o *Outbox) MarkEnteredByHand(ctx context.Context, paymentID, who, why string) error {
	at := o.db.now()
	tx, err := o.db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: mark %s entered by hand: %w", paymentID, err)
	}
	defer tx.Rollback()
	st, hand, err := handState(ctx, tx, paymentID)
	if err != nil {
		return err
	}
	if hand {
		return &plugin.Error{Code: plugin.EConflict, Reason: plugin.RefusedEnteredByHand,
			Message: fmt.Sprintf("payment %s is already marked as entered by hand", paymentID)}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE payments SET entered_by_hand = 1, entered_by = ?, entered_reason = ?
		WHERE id = ?`, who, why, paymentID); err != nil {
		return fmt.Errorf("sqlite: mark %s entered by hand: %w", paymentID, err)
	}
	if err := appendEvent(ctx, tx, &plugin.Payment{ID: paymentID, State: st},
		plugin.Event{At: at, Kind: plugin.EvEnteredByHand, Detail: "entered by hand in the accounting system; never notified: " + why, Actor: who}); err != nil {
		return fmt.Errorf("sqlite: mark %s entered by hand: %w", paymentID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: mark %s entered by hand: commit: %w", paymentID, err)
	}
	return nil
}

func handState(ctx context.Context, tx *sql.Tx, paymentID string) (plugin.State, bool, error) {
	var st plugin.State
	var hand bool
	err := tx.QueryRowContext(ctx, `SELECT state, entered_by_hand FROM payments WHERE id = ?`, paymentID).Scan(&st, &hand)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, notFound(paymentID)
	}
	if err != nil {
		return "", false, fmt.Errorf("sqlite: payment %s: %w", paymentID, err)
	}
	return st, hand, nil
}

// Status returns whether the accounting system was told about a payment:
// every delivery queued for it and whether it was entered by hand.
func (o *Outbox) Status(ctx context.Context, paymentID string) (NotifyStatus, error) {
	s := NotifyStatus{PaymentID: paymentID, Deliveries: []Delivery{}}
	err := o.db.read.QueryRowContext(ctx, `SELECT state, entered_by_hand, entered_by, entered_reason FROM payments WHERE id = ?`,
		paymentID).Scan(&s.State, &s.EnteredByHand, &s.EnteredBy, &s.EnteredReason)
	if errors.Is(err, sql.ErrNoRows) {
		return NotifyStatus{}, notFound(paymentID)
	}
	if err != nil {
		return NotifyStatus{}, fmt.Errorf("sqlite: notification status of %s: %w", paymentID, err)
	}
	rows, err := o.db.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM outbox
		WHERE payment_id = ? ORDER BY created_at, rowid`, paymentID)
	if err != nil {
		return NotifyStatus{}, fmt.Errorf("sqlite: notification status of %s: %w", paymentID, err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return NotifyStatus{}, fmt.Errorf("sqlite: notification status of %s: %w", paymentID, err)
		}
		s.Deliveries = append(s.Deliveries, d)
	}
	if err := rows.Err(); err != nil {
		return NotifyStatus{}, fmt.Errorf("sqlite: notification status of %s: %w", paymentID, err)
	}
	return s, nil
}

// Stuck returns the paid payments whose notification is exhausted and
// that were not entered by hand, oldest first: paid, but the accounting
// system was not told ("Совершён без оповещения"). Each needs a resync
// once the receiver works, or mark-entered once a person typed it in.
func (o *Outbox) Stuck(ctx context.Context) ([]Stuck, error) {
	rows, err := o.db.read.QueryContext(ctx, `SELECT o.delivery_id, o.payment_id, o.state, o.status, o.attempts,
		o.next_at, o.last_error, o.created_at, o.delivered_at
		`+stuckFrom+` ORDER BY p.created_at, p.id`, stuckArgs...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: stuck notifications: %w", err)
	}
	var ds []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: stuck notifications: %w", err)
		}
		ds = append(ds, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: stuck notifications: %w", err)
	}
	out := make([]Stuck, 0, len(ds))
	for _, d := range ds {
		p, err := o.db.journal.Get(ctx, d.PaymentID)
		if err != nil {
			return nil, fmt.Errorf("sqlite: stuck notifications: %w", err)
		}
		p.Decorate()
		out = append(out, Stuck{Payment: *p, Delivery: d})
	}
	return out, nil
}

// stuckFrom selects the deliveries Stuck lists and StuckCount counts,
// with stuckArgs: an exhausted delivery of a paid payment not entered by
// hand.
const stuckFrom = `FROM outbox o JOIN payments p ON p.id = o.payment_id
		WHERE o.status = ? AND o.state = ? AND p.state = ? AND p.entered_by_hand = 0`

var stuckArgs = []any{plugin.DeliveryExhausted, string(plugin.StatePaid), string(plugin.StatePaid)}

// StuckCount is how many payments Stuck would list, counted by the
// database without reading them (the /healthz report asks it on every
// request).
func (o *Outbox) StuckCount(ctx context.Context) (int, error) {
	var n int
	if err := o.db.read.QueryRowContext(ctx, `SELECT COUNT(*) `+stuckFrom, stuckArgs...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: stuck notifications: count: %w", err)
	}
	return n, nil
}

// Attention counts what a person must see to: payments now in
// needs_attention, and paid payments the accounting system has not been
// told of (their delivery pending or given up). Both are index ranges,
// however long the journal is; the alerts of docs/prometheus use them, so
// that an unresolved payment keeps alerting until it is resolved.
func (o *Outbox) Attention(ctx context.Context) (needsAttention, paidUndelivered int64, err error) {
	err = o.db.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM payments WHERE state = ?),
		(SELECT COUNT(*) FROM outbox WHERE status IN (?, ?) AND state = ?)`,
		string(plugin.StateNeedsAttention), plugin.DeliveryPending, plugin.DeliveryExhausted, string(plugin.StatePaid)).
		Scan(&needsAttention, &paidUndelivered)
	if err != nil {
		return 0, 0, fmt.Errorf("sqlite: attention counts: %w", err)
	}
	return needsAttention, paidUndelivered, nil
}
