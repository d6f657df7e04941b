package plugin

import (
	"errors"
	"fmt"
)

// Error codes. A code is short and stable: the till API returns it, the
// screen may pick a text by it, and tests match on it.
const (
	EInvalid     = "invalid"     // bad input from the caller
	ENotFound    = "not_found"   // no such payment
	EConflict    = "conflict"    // the request clashes with the current state
	EUnavailable = "unavailable" // PayMaster could not be reached or answered garbage; outcome unknown
	ERejected    = "rejected"    // PayMaster answered with an error: the request was refused
	ENotReady    = "not_ready"   // the engine has not finished reconciling at start
	EDisabled    = "disabled"    // SBP is turned off in the settings
	EStorage     = "storage"     // the journal could not record a change
	EInternal    = "internal"
)

// Codes an HTTP edge (the till API, the screen's buttons, the web back
// office) gives a request it refuses before the core sees it: one
// spelling in every edge.
const (
	EUnauthorized   = "unauthorized"    // no api.token, or a wrong one
	EBodyTooLarge   = "body_too_large"  // a request body over its limit
	ENotImplemented = "not_implemented" // a feature this sbpd does not offer
)

// Error is an error with a code the till or the screen can act on and a
// message a person can read. Err keeps the wrapped cause for the log.
type Error struct {
	Code    string
	Reason  string // finer machine-readable reason, e.g. "amount_mismatch"; optional
	Message string
	Err     error
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Message != "":
		return e.Message + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	default:
		return e.Message
	}
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorReason returns the finer reason of the first *Error in err's chain,
// falling back to its code.
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		if e.Reason != "" {
			return e.Reason
		}
		return e.Code
	}
	return ErrorCode(err)
}

// ErrorMessage returns the readable message of the first *Error in err's
// chain; any other error reads as a generic internal error so that nothing
// technical leaks to a shopper.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "internal error"
}
