package sqlite

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sbpd/sbpd/plugin"
)

// Search limits: the till API's and the CLI's, defined once in plugin.
const (
	DefaultLimit = plugin.DefaultLimit
	MaxLimit     = plugin.MaxLimit
)

// Search returns the payments matching f, newest first (created_at, then
// id, descending). Zero fields of f match all:
//   - State and CheckID match exactly;
//   - From is inclusive and To exclusive, on the creation time;
//   - Query, trimmed, matches a check id, order number, PayMaster id or
//     payment id exactly, or the amount when it reads as whole kopecks
//     ("25990") or as roubles with a comma or a dot ("259,90", "259.90");
//   - Mode and Mixed, when not nil, match exactly;
//   - Limit defaults to DefaultLimit and is clamped to MaxLimit; a negative
//     Offset is 0.
//
// None is an empty slice.
func (j *Journal) Search(ctx context.Context, f plugin.Filter) ([]*plugin.Payment, error) {
	where, args := filterWhere(f)
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = DefaultLimit
	case limit > MaxLimit:
		limit = MaxLimit
	}
	offset := max(f.Offset, 0)

	// Only the constant fragments above are spliced in; every value is a
	// bound parameter.
	query := "SELECT " + paymentColumns + " FROM payments" + where + " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
	args = append(args, limit, offset)

	ps, err := j.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: search payments: %w", err)
	}
	return ps, nil
}

// parseAmount reads s as an amount in kopecks: whole kopecks ("25990") or
// roubles with a comma or dot and one or two decimals ("259,90", "259.9").
// It parses the digits exactly, never through a float.
func parseAmount(s string) (int64, bool) {
	rub, kop, hasSep := strings.Cut(strings.Replace(s, ",", ".", 1), ".")
	if !plugin.IsDigits(rub) {
		return 0, false
	}
	if !hasSep {
		n, err := strconv.ParseInt(rub, 10, 64)
		return n, err == nil
	}
	if !plugin.IsDigits(kop) || len(kop) > 2 {
		return 0, false
	}
	if len(kop) == 1 {
		kop += "0"
	}
	k, _ := strconv.ParseInt(kop, 10, 64)
	r, err := strconv.ParseInt(rub, 10, 64)
	if err != nil || r > (math.MaxInt64-k)/100 {
		return 0, false
	}
	return r*100 + k, true
}

// filterWhere returns the WHERE clause (with its leading space, or "") and
// its arguments for every field of f but Limit and Offset. Only constant
// fragments are spliced in; every value is a bound parameter.
func filterWhere(f plugin.Filter) (string, []any) {
	var (
		where []string
		args  []any
	)
	if f.State != "" {
		where = append(where, "state = ?")
		args = append(args, string(f.State))
	}
	if f.CheckID != "" {
		where = append(where, "check_id = ?")
		args = append(args, f.CheckID)
	}
	if !f.From.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, boundTime(f.From))
	}
	if !f.To.IsZero() {
		// With Before, the keyset is the upper bound the index seeks by:
		// "+" keeps To from being chosen instead (SQLite would then step
		// over every row between To and Before, at every page).
		bound := "created_at < ?"
		if f.Before != "" {
			bound = "+created_at < ?"
		}
		where = append(where, bound)
		args = append(args, boundTime(f.To))
	}
	if f.Mode != nil {
		where = append(where, "mode = ?")
		args = append(args, int(*f.Mode))
	}
	if f.Mixed != nil {
		where = append(where, "mixed = ?")
		args = append(args, *f.Mixed)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		cond := "check_id = ? OR order_no = ? OR paymaster_id = ? OR id = ?"
		args = append(args, q, q, q, q)
		if amount, ok := parseAmount(q); ok {
			cond += " OR amount = ?"
			args = append(args, amount)
		}
		where = append(where, "("+cond+")")
	}
	if f.Before != "" {
		// The index payments_created_at (created_at, id) serves the row
		// value's range.
		where = append(where, "(created_at, id) < (SELECT created_at, id FROM payments WHERE id = ?)")
		args = append(args, f.Before)
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// Find returns the payments whose id, order number or PayMaster id is ref,
// newest first: what a person means by "show me payment REF". More than
// one means ref is ambiguous.
func (j *Journal) Find(ctx context.Context, ref string) ([]*plugin.Payment, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return []*plugin.Payment{}, nil
	}
	ps, err := j.query(ctx, "SELECT "+paymentColumns+` FROM payments
		WHERE id = ? OR order_no = ? OR paymaster_id = ?
		ORDER BY created_at DESC, id DESC LIMIT 10`, ref, ref, ref)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find payment %s: %w", plugin.Clip(ref), err)
	}
	return ps, nil
}
