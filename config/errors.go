package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sbpd/sbpd/plugin"
)

// ErrInvalid is wrapped by every *ValidationError.
var ErrInvalid = errors.New("invalid settings")

// Reasons of the refusals that are not a broken rule between values (those
// are a *ValidationError): a *plugin.Error with code plugin.EInvalid, or
// plugin.ENotFound for RNoDataDir.
const (
	RUnknownKey     = "unknown_key"            // a key sbpd does not know
	RTemplateOnly   = "template_only"          // a key that belongs in the cash-desk template
	RSecretArgument = "secret_on_command_line" // a secret given as an argument, where it would stay in the shell history
	RMaskedURL      = "masked_url"             // a URL whose user and password are masked, as sbpd shows them
	RImportRefused  = "import_refused"         // a settings file with a key or value refused, or not a settings file
	RNoDataDir      = "no_data_dir"            // data_dir does not exist
	RValueRefused   = "value_refused"          // a value that cannot be read: no such file, or larger than MaxValueFile
)

// refuse is a refusal with code plugin.EInvalid and reason.
func refuse(reason, format string, args ...any) *plugin.Error {
	return &plugin.Error{Code: plugin.EInvalid, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Problem is one broken rule. Message is the whole line people see:
// "key = value (source): what is allowed".
type Problem = plugin.SettingProblem

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
