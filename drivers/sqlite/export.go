package sqlite

import (
	"context"
	"fmt"
	"slices"
	"time"

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

// eachBatch is how many rows Each reads at a time.
const eachBatch = 500

// Each calls fn for every payment matching f, oldest first (created_at, then
// id, ascending): the order of a register. Limit and Offset are ignored.
//
// Rows are read in batches of eachBatch, each batch after the last row of
// the one before (keyset on created_at, id, the payments_created_at
// index), so a year of payments never sits in memory and no read
// connection is held while fn runs: a slow consumer (a download on a slow
// link) leaves the pool to the till. Each batch sees the journal as it is
// when it is read; a payment created during the export with a later time
// is included, one updated meanwhile is read as it is then. fn must not
// keep p past its return if it wants the memory bound to hold. An error
// from fn stops the iteration and is returned as is.
func (j *Journal) Each(ctx context.Context, f plugin.Filter, fn func(*plugin.Payment) error) error {
	where, args := filterWhere(f)
	first := "SELECT " + paymentColumns + " FROM payments" + where + " ORDER BY created_at, id LIMIT ?"
	// After the first batch the keyset is the lower bound: From is dropped
	// (every row after the last one read is later than From), or SQLite,
	// given two lower bounds, may seek by From and step over every row
	// already read, at every batch.
	rest := f
	rest.From = time.Time{}
	nextWhere, nextArgs := filterWhere(rest)
	and := " WHERE "
	if nextWhere != "" {
		and = " AND "
	}
	next := "SELECT " + paymentColumns + " FROM payments" + nextWhere + and +
		"(created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?"
	ps, err := j.query(ctx, first, append(slices.Clone(args), eachBatch)...)
	for {
		if err != nil {
			return fmt.Errorf("sqlite: export payments: %w", err)
		}
		for _, p := range ps {
			if err := fn(p); err != nil {
				return err
			}
		}
		if len(ps) < eachBatch {
			return nil
		}
		last := ps[len(ps)-1]
		at := boundTime(last.CreatedAt)
		ps, err = j.query(ctx, next, append(slices.Clone(nextArgs), at, last.ID, eachBatch)...)
	}
}
