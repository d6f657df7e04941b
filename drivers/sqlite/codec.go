package sqlite

import (
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Times are stored as Unix nanoseconds, which covers the years 1678 to 2262.

// encodeTime returns t as Unix nanoseconds, or an error if t is zero or
// outside the range.
func encodeTime(t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, fmt.Errorf("time is zero")
	}
	n := t.UnixNano()
	if !time.Unix(0, n).Equal(t) {
		return 0, fmt.Errorf("time %s is outside 1678-2262", t.Format(time.RFC3339))
	}
	return n, nil
}

// encodeOptTime is encodeTime with the zero time stored as NULL.
func encodeOptTime(t time.Time) (sql.NullInt64, error) {
	if t.IsZero() {
		return sql.NullInt64{}, nil
	}
	n, err := encodeTime(t)
	return sql.NullInt64{Int64: n, Valid: err == nil}, err
}

// boundTime is t as Unix nanoseconds for a range query, clamped to the
// representable range.
func boundTime(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

func decodeTime(n int64) time.Time { return time.Unix(0, n).UTC() }

func decodeOptTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return decodeTime(n.Int64)
}

func encodeError(e *plugin.APIError) (code, message string) {
	if e == nil {
		return "", ""
	}
	return e.Code, e.Message
}

// encodePayment returns the values for paymentColumns.
func encodePayment(p *plugin.Payment) ([]any, error) {
	created, err := encodeTime(p.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("created_at: %w", err)
	}
	updated, err := encodeTime(p.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("updated_at: %w", err)
	}
	expires, err := encodeOptTime(p.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("expires_at: %w", err)
	}
	errCode, errMsg := encodeError(p.Error)
	return []any{
		p.ID, p.CheckID, p.OrderNo, p.Amount, p.Mixed, int(p.Mode), string(p.State), p.IdempotencyKey,
		p.PayMasterID, p.PayMasterStatus, p.ResultCode, string(p.Reason), p.QRPayload, expires,
		p.CancelRequested, p.CancelSent, p.LateSettle, p.Offline, errCode, errMsg, created, updated,
	}, nil
}

// scanPayment reads one row of paymentColumns.
func scanPayment(rows *sql.Rows) (*plugin.Payment, error) {
	var (
		p                plugin.Payment
		mode             int
		expires          sql.NullInt64
		errCode, errMsg  string
		created, updated int64
		state, reason    string
	)
	err := rows.Scan(&p.ID, &p.CheckID, &p.OrderNo, &p.Amount, &p.Mixed, &mode, &state, &p.IdempotencyKey,
		&p.PayMasterID, &p.PayMasterStatus, &p.ResultCode, &reason, &p.QRPayload, &expires,
		&p.CancelRequested, &p.CancelSent, &p.LateSettle, &p.Offline, &errCode, &errMsg, &created, &updated)
	if err != nil {
		return nil, err
	}
	p.Mode = plugin.Mode(mode)
	p.State = plugin.State(state)
	p.Reason = plugin.Reason(reason)
	p.ExpiresAt = decodeOptTime(expires)
	p.CreatedAt = decodeTime(created)
	p.UpdatedAt = decodeTime(updated)
	if errCode != "" || errMsg != "" {
		p.Error = &plugin.APIError{Code: errCode, Message: errMsg}
	}
	return &p, nil
}
