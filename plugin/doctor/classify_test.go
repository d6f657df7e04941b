package doctor

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

// answerErr is a driver's error for an HTTP answer (the PayMaster
// driver's *APIError): its status and PayMaster's own words.
type answerErr struct {
	status int
	detail string
}

func (e answerErr) Error() string   { return "driver: " + e.detail }
func (e answerErr) HTTPStatus() int { return e.status }
func (e answerErr) Detail() string  { return e.detail }

func TestClassify(t *testing.T) {
	refused := func(code, reason string, status int, detail string) error {
		return fmt.Errorf("ping: %w", &plugin.Error{Code: code, Reason: reason, Err: answerErr{status, detail}})
	}
	cases := map[string]struct {
		err   error
		want  Failed
		cause string
	}{
		"dns":        {&plugin.Error{Code: plugin.EUnavailable, Reason: plugin.GatewayDNS, Err: errors.New("no such host")}, Failed{Reason: ReasonDNS, Text: "dns"}, "no such host"},
		"tls":        {&plugin.Error{Code: plugin.EUnavailable, Reason: plugin.GatewayTLS}, Failed{Reason: ReasonTLS, Text: "tls"}, ""},
		"timeout":    {fmt.Errorf("ping: %w", &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.GatewayTimeout}), Failed{Reason: ReasonTimeout, Text: "timeout"}, ""},
		"refused":    {&plugin.Error{Code: plugin.EUnavailable, Reason: plugin.GatewayRefused}, Failed{Reason: ReasonRefused, Text: "connection_refused"}, ""},
		"canceled":   {&plugin.Error{Code: plugin.EUnavailable, Reason: plugin.GatewayCanceled}, Failed{Reason: ReasonCanceled, Text: "canceled"}, ""},
		"no answer":  {&plugin.Error{Code: plugin.EUnavailable, Reason: plugin.GatewayNoAnswer}, Failed{Reason: ReasonNoAnswer, Text: "no_answer"}, ""},
		"bad answer": {&plugin.Error{Code: plugin.EUnavailable, Reason: plugin.GatewayBadAnswer}, Failed{Reason: ReasonBadAnswer, Text: "bad_answer"}, ""},
		"5xx":        {refused(plugin.EUnavailable, "server_error", 502, "Bad Gateway [HTTP 502]"), Failed{Reason: ReasonUnavailable, HTTPStatus: 502, Text: "Bad Gateway [HTTP 502]"}, ""},
		"404":        {refused(plugin.ENotFound, plugin.GatewayNotFound, 404, "no such sticker [HTTP 404]"), Failed{Reason: ReasonNotFound, HTTPStatus: 404, Text: "no such sticker [HTTP 404]"}, ""},
		"token":      {refused(plugin.ERejected, plugin.GatewayNotAuthorized, 401, "not_authorized: bad token [HTTP 401]"), Failed{Reason: ReasonNotAuthorized, HTTPStatus: 401, Text: "not_authorized: bad token [HTTP 401]"}, ""},
		"invalid":    {refused(plugin.ERejected, plugin.GatewayInvalid, 400, "validation_error: merchantId [HTTP 400]"), Failed{Reason: ReasonInvalid, HTTPStatus: 400, Text: "validation_error: merchantId [HTTP 400]"}, ""},
		"other":      {refused(plugin.ERejected, "http_418", 418, "teapot [HTTP 418]"), Failed{Reason: ReasonRefusal, HTTPStatus: 418, Text: "teapot [HTTP 418]"}, ""},
		"no status":  {&plugin.Error{Code: plugin.ERejected, Reason: "http_418"}, Failed{Reason: ReasonRefusal, Text: "http_418"}, ""},
		"plain":      {errors.New("boom"), Failed{Reason: ReasonRefusal, Text: plugin.EInternal}, "boom"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := Classify(c.err)
			if c.cause != "" && f.Cause != c.cause {
				t.Errorf("cause %q, want %q", f.Cause, c.cause)
			}
			f.Cause = ""
			if f != c.want {
				t.Fatalf("got %+v, want %+v", f, c.want)
			}
		})
	}
}
