package config

import (
	"errors"
	"strings"
)

// ErrInvalid is wrapped by every *ValidationError.
var ErrInvalid = errors.New("invalid settings")

// Problem is one broken rule. Message is the whole line people see:
// "key = value (source): what is allowed".
type Problem struct {
	Key     string // the key the message starts with
	Message string
}

// ValidationError lists every problem found, one per line.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Message
	}
	return strings.Join(lines, "\n")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Problems returns the problems in err, or nil when err is not (and does
// not wrap) a *ValidationError.
func Problems(err error) []Problem {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Problems
	}
	return nil
}

// asError is nil for no problems; never a nil *ValidationError.
func asError(ps []Problem) error {
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}
