package sqlite

import (
	"context"
	"fmt"

	"github.com/sbpd/sbpd/plugin"
)

// Count returns how many payments match f; Limit and Offset are ignored.
func (j *Journal) Count(ctx context.Context, f plugin.Filter) (int64, error) {
	where, args := filterWhere(f)
	var n int64
	if err := j.db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM payments"+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count payments: %w", err)
	}
	return n, nil
}

// Each calls fn for every payment matching f, oldest first (created_at, then
// id, ascending): the order of a register. Limit and Offset are ignored.
//
// Rows are read from one cursor as fn asks for them, so a year of payments
// never sits in memory; fn must not keep p past its return if it wants that
// to stay true. The cursor is one read transaction: it sees the journal as
// it was when Each began and does not hold up the daemon's writes. An error
// from fn stops the iteration and is returned as is.
func (j *Journal) Each(ctx context.Context, f plugin.Filter, fn func(*plugin.Payment) error) error {
	where, args := filterWhere(f)
	rows, err := j.db.read.QueryContext(ctx,
		"SELECT "+paymentColumns+" FROM payments"+where+" ORDER BY created_at, id", args...)
	if err != nil {
		return fmt.Errorf("sqlite: export payments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return fmt.Errorf("sqlite: export payments: %w", err)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: export payments: %w", err)
	}
	return nil
}
