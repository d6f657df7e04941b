package doctor

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

func TestClassify(t *testing.T) {
	noAnswer := map[string]Reason{"dns": ReasonDNS, "timeout": ReasonTimeout, "bad_answer": ReasonBadAnswer}
	cases := map[string]struct {
		err   error
		want  Reason
		cause string
	}{
		"no answer": {&plugin.Error{Code: plugin.EUnavailable, Reason: "dns", Err: errors.New("no such host")}, ReasonDNS, "no such host"},
		"timeout":   {fmt.Errorf("ping: %w", &plugin.Error{Code: plugin.EUnavailable, Reason: "timeout"}), ReasonTimeout, ""},
		"5xx":       {&plugin.Error{Code: plugin.EUnavailable, Reason: "server_error"}, ReasonUnavailable, ""},
		"404":       {&plugin.Error{Code: plugin.ENotFound, Reason: "not_found"}, ReasonNotFound, ""},
		"token":     {&plugin.Error{Code: "refused", Reason: "not_authorized"}, ReasonNotAuthorized, ""},
		"invalid":   {&plugin.Error{Code: "refused", Reason: "validation_error"}, ReasonInvalid, ""},
		"other":     {&plugin.Error{Code: "refused", Reason: "http_418"}, ReasonRefusal, ""},
		"plain":     {errors.New("boom"), ReasonRefusal, "boom"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := Classify(c.err, noAnswer, "not_authorized")
			if f.Reason != c.want || f.Text != plugin.ErrorReason(c.err) || (c.cause != "" && f.Cause != c.cause) {
				t.Fatalf("got %+v, want %s", f, c.want)
			}
		})
	}
}
