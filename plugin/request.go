package plugin

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what a till may ask for.
const (
	MaxAmount     int64 = 1_000_000_00 // 1 000 000 roubles, the usual SBP C2B limit, in kopecks
	MaxCheckIDLen       = 64
)

// StartRequest is the till asking for a payment of a check.
type StartRequest struct {
	CheckID string `json:"check_id"`
	Amount  int64  `json:"amount"` // kopecks
	Mixed   bool   `json:"mixed"`  // the remainder of a check partly paid by card
}

// Validate checks the request and returns an *Error with code EInvalid and
// a reason naming the bad field.
func (r StartRequest) Validate() error {
	switch {
	case strings.TrimSpace(r.CheckID) == "":
		return &Error{Code: EInvalid, Reason: "invalid_check_id", Message: "check_id is required: the till's check number, 1 to 64 printable characters"}
	case utf8.RuneCountInString(r.CheckID) > MaxCheckIDLen || !utf8.ValidString(r.CheckID):
		return &Error{Code: EInvalid, Reason: "invalid_check_id", Message: "check_id must be 1 to 64 printable characters"}
	case strings.IndexFunc(r.CheckID, func(c rune) bool { return !unicode.IsPrint(c) }) >= 0:
		return &Error{Code: EInvalid, Reason: "invalid_check_id", Message: "check_id must not contain control characters"}
	case r.Amount <= 0:
		return &Error{Code: EInvalid, Reason: "invalid_amount", Message: "amount must be a positive whole number of kopecks (e.g. 25990 for 259,90 ₽)"}
	case r.Amount > MaxAmount:
		return &Error{Code: EInvalid, Reason: "invalid_amount", Message: "amount must not exceed 100000000 kopecks (1 000 000 ₽, the SBP limit)"}
	}
	return nil
}
