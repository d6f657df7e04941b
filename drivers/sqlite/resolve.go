package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sbpd/sbpd/plugin"
)

// Resolve is a person's (or a reconciliation's) decision about a payment,
// written only if the payment is still where the decision was taken. In one
// write transaction it reads payment id, refuses with an *plugin.Error with
// code EConflict and reason "state_changed" if its recorded state is not
// one of from, applies change to the recorded payment, stores the mutable
// columns (as Update does) and appends ev. Unlike Update it may change a
// payment whose state is final, if from allows that state: it is the one
// way out of paid or not_paid, and only for a caller that names it.
//
// change must not touch what was asked for (check id, order number, amount,
// mixed, idempotency key): if it does, nothing is written and the error is
// an EConflict with reason "immutable_field". An unknown id is ENotFound.
// A zero ev.At is db.Now, an empty ev.State the new state; the payment's
// UpdatedAt is set to ev.At. The payment as written is returned.
func (j *Journal) Resolve(ctx context.Context, id string, from []plugin.State, change func(*plugin.Payment), ev plugin.Event) (*plugin.Payment, error) {
	if change == nil {
		return nil, errors.New("sqlite: resolve payment: nil change")
	}
	if len(from) == 0 {
		return nil, errors.New("sqlite: resolve payment: no state to resolve from")
	}
	if ev.At.IsZero() {
		ev.At = j.db.now()
	}

	tx, err := j.db.write.BeginTx(ctx, nil) // _txlock=immediate: the write lock is held from here
	if err != nil {
		return nil, fmt.Errorf("sqlite: resolve payment %s: %w", id, err)
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx, "SELECT "+paymentColumns+" FROM payments WHERE id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: resolve payment %s: %w", id, err)
	}
	var rec *plugin.Payment
	if rows.Next() {
		rec, err = scanPayment(rows)
	}
	if err == nil {
		err = rows.Err()
	}
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("sqlite: resolve payment %s: %w", id, err)
	}
	if rec == nil {
		return nil, notFound(id)
	}
	if !slices.Contains(from, rec.State) {
		names := make([]string, len(from))
		for i, s := range from {
			names[i] = string(s)
		}
		return nil, &plugin.Error{Code: plugin.EConflict, Reason: plugin.RefusedStateChanged,
			Message: fmt.Sprintf("payment %s is %s now, not %s: nothing was changed", id, rec.State, strings.Join(names, " or "))}
	}

	p := *rec
	change(&p)
	p.ID = rec.ID
	p.CreatedAt = rec.CreatedAt
	p.UpdatedAt = ev.At
	if err := validate(&p, ev); err != nil {
		return nil, fmt.Errorf("sqlite: resolve payment %s: %w", id, err)
	}
	if err := sameRequest(rec, &p); err != nil {
		return nil, fmt.Errorf("sqlite: resolve payment %s: %w", id, err)
	}
	if err := writeMutable(ctx, tx, &p); err != nil {
		return nil, fmt.Errorf("sqlite: resolve payment %s: %w", id, err)
	}
	if err := appendEvent(ctx, tx, &p, ev); err != nil {
		return nil, fmt.Errorf("sqlite: resolve payment %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: resolve payment %s: commit: %w", id, err)
	}
	return &p, nil
}
