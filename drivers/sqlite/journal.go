package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/sbpd/sbpd/plugin"
)

// Journal is the payment journal: the payments table and its events.
type Journal struct {
	db *DB
}

var _ plugin.Journal = (*Journal)(nil)

// paymentColumns is the column list scanPayment reads, in its order.
const paymentColumns = `id, check_id, order_no, amount, mixed, mode, state, idempotency_key,
	paymaster_id, paymaster_status, result_code, reason, qr_payload, expires_at,
	cancel_requested, cancel_sent, late_settle, offline, error_code, error_message, created_at, updated_at`

// Create records a new attempt and its first event in one transaction.
// ev.PaymentID is set to p.ID and an empty ev.State to p.State; a zero ev.At
// and a zero p.CreatedAt are taken from db.Now, a zero p.UpdatedAt from
// p.CreatedAt (the zero fields of p are filled in). A duplicate id or order
// number is an *plugin.Error with code EConflict.
func (j *Journal) Create(ctx context.Context, p *plugin.Payment, ev plugin.Event) error {
	if p == nil {
		return errors.New("sqlite: create payment: nil payment")
	}
	if err := validate(p, ev); err != nil {
		return fmt.Errorf("sqlite: create payment %s: %w", p.ID, err)
	}
	now := j.db.now()
	if ev.At.IsZero() {
		ev.At = now
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	row, err := encodePayment(p)
	if err != nil {
		return fmt.Errorf("sqlite: create payment %s: %w", p.ID, err)
	}

	tx, err := j.db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: create payment %s: %w", p.ID, err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `INSERT INTO payments (`+paymentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, row...)
	if err != nil {
		return fmt.Errorf("sqlite: create payment %s: %w", p.ID, duplicate(p, err))
	}
	if err := appendEvent(ctx, tx, p, ev); err != nil {
		return fmt.Errorf("sqlite: create payment %s: %w", p.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: create payment %s: commit: %w", p.ID, err)
	}
	return nil
}

// Update stores the mutable fields of p and appends ev in one transaction.
// What was asked for (check id, order number, amount, mixed, idempotency
// key) never changes: if p differs from the record in any of them, nothing
// is written and the error is an *plugin.Error with code EConflict. The
// creation time is kept as recorded. A payment whose recorded state is
// final is not changed: EConflict with reason "payment_final". An unknown id is an *plugin.Error with
// code ENotFound. Defaults for ev and a zero p.UpdatedAt are as in Create.
func (j *Journal) Update(ctx context.Context, p *plugin.Payment, ev plugin.Event) error {
	if p == nil {
		return errors.New("sqlite: update payment: nil payment")
	}
	if err := validate(p, ev); err != nil {
		return fmt.Errorf("sqlite: update payment %s: %w", p.ID, err)
	}
	if ev.At.IsZero() {
		ev.At = j.db.now()
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = ev.At
	}
	tx, err := j.db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: update payment %s: %w", p.ID, err)
	}
	defer tx.Rollback()

	var rec plugin.Payment
	err = tx.QueryRowContext(ctx, `SELECT check_id, order_no, amount, mixed, idempotency_key, state
		FROM payments WHERE id = ?`, p.ID).Scan(&rec.CheckID, &rec.OrderNo, &rec.Amount, &rec.Mixed, &rec.IdempotencyKey, &rec.State)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(p.ID)
	}
	if err != nil {
		return fmt.Errorf("sqlite: update payment %s: %w", p.ID, err)
	}
	if err := sameRequest(&rec, p); err != nil {
		return fmt.Errorf("sqlite: update payment %s: %w", p.ID, err)
	}
	if rec.State.Final() {
		// A final payment (paid or not paid, by PayMaster's word or a
		// person's) is never changed by the flow again: a runner that
		// still holds an older copy must not overwrite it.
		return &plugin.Error{Code: plugin.EConflict, Reason: "payment_final",
			Message: fmt.Sprintf("payment %s is already %s", p.ID, rec.State)}
	}
	if err := writeMutable(ctx, tx, p); err != nil {
		return fmt.Errorf("sqlite: update payment %s: %w", p.ID, err)
	}
	if err := appendEvent(ctx, tx, p, ev); err != nil {
		return fmt.Errorf("sqlite: update payment %s: %w", p.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: update payment %s: commit: %w", p.ID, err)
	}
	return nil
}

// Get returns the recorded payment id, or an *plugin.Error with code
// ENotFound. Derived fields (StateCode, Message, Dialog) are left to
// Payment.Decorate; Error is restored as recorded.
func (j *Journal) Get(ctx context.Context, id string) (*plugin.Payment, error) {
	ps, err := j.query(ctx, "SELECT "+paymentColumns+" FROM payments WHERE id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: get payment %s: %w", plugin.Clip(id), err)
	}
	if len(ps) == 0 {
		return nil, notFound(id)
	}
	return ps[0], nil
}

// Unfinished returns every payment that is neither paid nor not_paid,
// oldest first.
func (j *Journal) Unfinished(ctx context.Context) ([]*plugin.Payment, error) {
	ps, err := j.query(ctx, "SELECT "+paymentColumns+` FROM payments
		WHERE state NOT IN (?, ?) ORDER BY created_at, rowid`,
		string(plugin.StatePaid), string(plugin.StateNotPaid))
	if err != nil {
		return nil, fmt.Errorf("sqlite: unfinished payments: %w", err)
	}
	return ps, nil
}

// ByCheck returns the payments for checkID, oldest first; none is an empty
// slice.
func (j *Journal) ByCheck(ctx context.Context, checkID string) ([]*plugin.Payment, error) {
	ps, err := j.query(ctx, "SELECT "+paymentColumns+` FROM payments
		WHERE check_id = ? ORDER BY created_at, rowid`, checkID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: payments for check %s: %w", checkID, err)
	}
	return ps, nil
}

// Events returns the history of payment id in the order it was written. An
// unknown id is an *plugin.Error with code ENotFound.
func (j *Journal) Events(ctx context.Context, id string) ([]plugin.Event, error) {
	rows, err := j.db.read.QueryContext(ctx, `SELECT seq, payment_id, at, kind, state, detail, actor
		FROM events WHERE payment_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: events of payment %s: %w", plugin.Clip(id), err)
	}
	defer rows.Close()
	evs := []plugin.Event{}
	for rows.Next() {
		var ev plugin.Event
		var at int64
		if err := rows.Scan(&ev.Seq, &ev.PaymentID, &at, &ev.Kind, &ev.State, &ev.Detail, &ev.Actor); err != nil {
			return nil, fmt.Errorf("sqlite: events of payment %s: %w", plugin.Clip(id), err)
		}
		ev.At = decodeTime(at)
		evs = append(evs, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: events of payment %s: %w", plugin.Clip(id), err)
	}
	if len(evs) == 0 {
		// Every recorded payment has its created event; tell "no such
		// payment" apart from a damaged record anyway.
		var n int
		if err := j.db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM payments WHERE id = ?", id).Scan(&n); err != nil {
			return nil, fmt.Errorf("sqlite: events of payment %s: %w", id, err)
		}
		if n == 0 {
			return nil, notFound(id)
		}
	}
	return evs, nil
}

// query runs a SELECT of paymentColumns on the read pool.
func (j *Journal) query(ctx context.Context, query string, args ...any) ([]*plugin.Payment, error) {
	rows, err := j.db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ps := []*plugin.Payment{}
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

func appendEvent(ctx context.Context, tx *sql.Tx, p *plugin.Payment, ev plugin.Event) error {
	if ev.State == "" {
		ev.State = p.State
	}
	at, err := encodeTime(ev.At)
	if err != nil {
		return fmt.Errorf("event %s: at: %w", ev.Kind, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO events (payment_id, at, kind, state, detail, actor)
		VALUES (?, ?, ?, ?, ?, ?)`, p.ID, at, ev.Kind, string(ev.State), ev.Detail, ev.Actor)
	if err != nil {
		return fmt.Errorf("append event %s: %w", ev.Kind, err)
	}
	return nil
}

// validate refuses what must never reach the journal.
func validate(p *plugin.Payment, ev plugin.Event) error {
	switch {
	case p.ID == "":
		return plugin.Errorf(plugin.EInvalid, "payment id is empty")
	case p.OrderNo == "":
		return plugin.Errorf(plugin.EInvalid, "payment %s: order_no is empty", p.ID)
	case !p.State.Valid():
		return plugin.Errorf(plugin.EInvalid, "payment %s: unknown state %q", p.ID, p.State)
	case ev.Kind == "":
		return plugin.Errorf(plugin.EInvalid, "payment %s: event kind is empty", p.ID)
	case ev.State != "" && !ev.State.Valid():
		return plugin.Errorf(plugin.EInvalid, "payment %s: event %s: unknown state %q", p.ID, ev.Kind, ev.State)
	}
	return nil
}

// sameRequest reports an EConflict if p changes what rec recorded as asked.
func sameRequest(rec, p *plugin.Payment) error {
	var diff []string
	if rec.CheckID != p.CheckID {
		diff = append(diff, fmt.Sprintf("check_id %q -> %q", rec.CheckID, p.CheckID))
	}
	if rec.OrderNo != p.OrderNo {
		diff = append(diff, fmt.Sprintf("order_no %q -> %q", rec.OrderNo, p.OrderNo))
	}
	if rec.Amount != p.Amount {
		diff = append(diff, fmt.Sprintf("amount %d -> %d", rec.Amount, p.Amount))
	}
	if rec.Mixed != p.Mixed {
		diff = append(diff, fmt.Sprintf("mixed %t -> %t", rec.Mixed, p.Mixed))
	}
	if rec.IdempotencyKey != p.IdempotencyKey {
		diff = append(diff, "idempotency key")
	}
	if len(diff) == 0 {
		return nil
	}
	return &plugin.Error{Code: plugin.EConflict, Reason: "immutable_field",
		Message: "recorded request fields cannot change: " + strings.Join(diff, ", ")}
}

func notFound(id string) error {
	return &plugin.Error{Code: plugin.ENotFound, Reason: "payment_not_found", Message: fmt.Sprintf("payment %s not found", plugin.Clip(id))}
}

// duplicate turns a uniqueness failure of the payments table into an
// EConflict that names the clashing field.
func duplicate(p *plugin.Payment, err error) error {
	var se sqlite3.Error
	if !errors.As(err, &se) || se.Code != sqlite3.ErrConstraint {
		return err
	}
	switch {
	case se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey || strings.Contains(se.Error(), "payments.id"):
		return &plugin.Error{Code: plugin.EConflict, Reason: "duplicate_id",
			Message: fmt.Sprintf("payment %s is already recorded", p.ID), Err: err}
	case se.ExtendedCode == sqlite3.ErrConstraintUnique && strings.Contains(se.Error(), "payments.order_no"):
		return &plugin.Error{Code: plugin.EConflict, Reason: "duplicate_order_no",
			Message: fmt.Sprintf("order_no %s is already recorded", p.OrderNo), Err: err}
	}
	return err
}

// writeMutable stores the columns of p that change over a payment's life.
// Update and Resolve both write through it, so a new column is never
// written by one and forgotten by the other.
func writeMutable(ctx context.Context, tx *sql.Tx, p *plugin.Payment) error {
	expires, err := encodeOptTime(p.ExpiresAt)
	if err != nil {
		return fmt.Errorf("expires_at: %w", err)
	}
	updated, err := encodeTime(p.UpdatedAt)
	if err != nil {
		return fmt.Errorf("updated_at: %w", err)
	}
	errCode, errMsg := encodeError(p.Error)
	_, err = tx.ExecContext(ctx, `UPDATE payments SET
		mode = ?, state = ?, paymaster_id = ?, paymaster_status = ?, result_code = ?, reason = ?,
		qr_payload = ?, expires_at = ?, cancel_requested = ?, cancel_sent = ?, late_settle = ?, offline = ?,
		error_code = ?, error_message = ?, updated_at = ?
		WHERE id = ?`,
		int(p.Mode), string(p.State), p.PayMasterID, p.PayMasterStatus, p.ResultCode, string(p.Reason),
		p.QRPayload, expires, p.CancelRequested, p.CancelSent, p.LateSettle, p.Offline,
		errCode, errMsg, updated,
		p.ID)
	return err
}
