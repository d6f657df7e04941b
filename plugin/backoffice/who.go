package backoffice

import (
	"strings"
	"unicode/utf8"

	"github.com/sbpd/sbpd/plugin"
)

// Who names the person behind an act: by when given (--by, a login of the
// web page), else the one behind sudo, else the login name, as getenv
// reads them ($SUDO_USER, $USER, $LOGNAME); "unknown user" when none is set.
// Every act of the back office records its person this way.
func Who(by string, getenv func(string) string) string {
	if s := strings.TrimSpace(by); s != "" {
		return s
	}
	if getenv != nil {
		for _, v := range []string{"SUDO_USER", "USER", "LOGNAME"} {
			if s := strings.TrimSpace(getenv(v)); s != "" {
				return s
			}
		}
	}
	return "unknown user"
}

// MaxReason is the most characters a reason of an act may have, for the
// CLI and the web alike.
const MaxReason = 500

// checkReason refuses a reason longer than MaxReason.
func checkReason(reason string) error {
	if n := utf8.RuneCountInString(reason); n > MaxReason {
		return refuse(plugin.EInvalid, RReasonTooLong, "the reason is %d characters long: give at most %d", n, MaxReason)
	}
	return nil
}

// actor is who as an event records it: one printable line, the service's
// secrets cut (a name typed as the token must not reach the journal).
func (s *Service) actor(who string) string {
	return s.Scrub(plugin.Printable(strings.Join(strings.Fields(who), " ")))
}

// HasSecret reports whether text holds one of the service's secrets: a
// person's name that does is refused where it is given (the web's login).
func (s *Service) HasSecret(text string) bool {
	return s.Scrub(text) != text
}
