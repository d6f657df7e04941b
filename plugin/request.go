package plugin

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Limits on what a till may ask for.
const (
	MaxAmount     int64 = 1_000_000_00 // 1 000 000 roubles, the usual SBP C2B limit, in kopecks
	MaxCheckIDLen       = 64
)

// CheckIDRule says what a check id may be, in the words error messages
// use. The check id becomes part of PayMaster's order number
// (<till>-<check>-<attempt>), and nothing says PayMaster accepts more than
// ASCII there, so the rule is ^[A-Za-z0-9._/-]{1,64}$.
const CheckIDRule = "1 to 64 characters, only ASCII letters (A-Z, a-z), digits (0-9) and - _ . / (no spaces, no Cyrillic)"

// checkIDByte reports whether c may appear in a check id.
func checkIDByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '/'
}

// ValidCheckID reports whether id follows CheckIDRule.
func ValidCheckID(id string) bool {
	if len(id) < 1 || len(id) > MaxCheckIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !checkIDByte(id[i]) {
			return false
		}
	}
	return true
}

// checkIDError explains why id breaks CheckIDRule: the first character
// not allowed, else the length.
func checkIDError(id string) *Error {
	e := &Error{Code: EInvalid, Reason: "invalid_check_id"}
	if id == "" {
		e.Message = "check_id is required: the till's check number, " + CheckIDRule
		return e
	}
	const rule = "check_id must be " + CheckIDRule + ", as it becomes PayMaster's order number"
	i := 0
	for i < len(id) && checkIDByte(id[i]) {
		i++
	}
	if i == len(id) {
		e.Message = fmt.Sprintf("%s; got %d characters", rule, len(id))
		return e
	}
	r, size := utf8.DecodeRuneInString(id[i:])
	bad := strconv.QuoteRune(r)
	if r == utf8.RuneError && size == 1 {
		bad = "a byte that is not UTF-8"
	}
	e.Message = fmt.Sprintf("%s; got %s at character %d", rule, bad, utf8.RuneCountInString(id[:i])+1)
	return e
}

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
	case !ValidCheckID(r.CheckID):
		return checkIDError(r.CheckID)
	case r.Amount <= 0:
		return &Error{Code: EInvalid, Reason: "invalid_amount", Message: "amount must be a positive whole number of kopecks (e.g. 25990 for 259,90 ₽)"}
	case r.Amount > MaxAmount:
		return &Error{Code: EInvalid, Reason: "invalid_amount", Message: "amount must not exceed 100000000 kopecks (1 000 000 ₽, the SBP limit)"}
	}
	return nil
}
