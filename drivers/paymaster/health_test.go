package paymaster_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

func TestGateway_Sticker(t *testing.T) {
	e := newEnv(t, sandbox.Options{Stickers: []string{"cash-1"}, PlainStickers: []string{"plain-1"}}, nil)

	t.Run("OK", func(t *testing.T) {
		s, err := e.gw.Sticker(ctx, "cash-1")
		if err != nil {
			t.Fatal(err)
		}
		if s.ID != "cash-1" || s.Type != "Sbp" || !s.Cashlink || s.Status != "Active" || !s.Active() ||
			!strings.HasPrefix(s.Payload, "https://qr.nspk.ru/") {
			t.Errorf("sticker = %+v", s)
		}
	})
	t.Run("NotCashlink", func(t *testing.T) {
		s, err := e.gw.Sticker(ctx, "plain-1")
		if err != nil || s.Cashlink || !s.Active() {
			t.Errorf("sticker = %+v, %v", s, err)
		}
	})
	t.Run("Inactive", func(t *testing.T) {
		if err := e.sb.SetStickerActive("cash-1", false); err != nil {
			t.Fatal(err)
		}
		defer e.sb.SetStickerActive("cash-1", true)
		s, err := e.gw.Sticker(ctx, "cash-1")
		if err != nil || s.Status != "Inactive" || s.Active() {
			t.Errorf("sticker = %+v, %v", s, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := e.gw.Sticker(ctx, "nope")
		pe := wantError(t, err, plugin.ENotFound, plugin.GatewayNotFound)
		if !strings.Contains(pe.Message, "no such sticker") {
			t.Errorf("message %q", pe.Message)
		}
	})
	t.Run("ErrEmptyID", func(t *testing.T) {
		_, err := e.gw.Sticker(ctx, " ")
		wantError(t, err, plugin.EInvalid, "")
	})
	t.Run("ErrBadToken", func(t *testing.T) {
		cfg := e.cfg
		cfg.Token = "wrong-token"
		_, err := mustGateway(t, cfg).Sticker(ctx, "cash-1")
		wantError(t, err, plugin.ERejected, plugin.GatewayNotAuthorized)
	})
	if n := len(e.sb.Payments()); n != 0 {
		t.Errorf("reading stickers made %d payments", n)
	}
}

// TestSandbox_PlainStickerCannotBeActivated: a payment cannot run through
// a sticker that is not a cash link, nor through an inactive one.
func TestSandbox_PlainStickerCannotBeActivated(t *testing.T) {
	e := newEnv(t, sandbox.Options{Stickers: []string{"cash-1"}, PlainStickers: []string{"plain-1"}}, nil)
	req := request("P-1")
	req.StickerID = "plain-1"
	_, err := e.gw.CreatePayment(ctx, req)
	pe := wantError(t, err, plugin.ERejected, "validation_error")
	if !strings.Contains(pe.Error(), "not a cash-link sticker") {
		t.Errorf("error %v", err)
	}
	e.sb.SetStickerActive("cash-1", false)
	req = request("P-2")
	req.StickerID = "cash-1"
	_, err = e.gw.CreatePayment(ctx, req)
	if pe := wantError(t, err, plugin.ERejected, "validation_error"); !strings.Contains(pe.Error(), "not active") {
		t.Errorf("error %v", err)
	}
	if err := e.sb.SetStickerActive("nope", true); err == nil {
		t.Error("SetStickerActive accepted an unknown sticker")
	}
}

func TestGateway_Ping(t *testing.T) {
	server := time.Date(2030, 6, 1, 10, 15, 7, 0, time.UTC)
	e := newEnv(t, sandbox.Options{Clock: fakeClock{clockworkAt(server)}}, nil)

	t.Run("OK", func(t *testing.T) {
		before := e.sb.Calls(sandbox.KindList)
		got, err := e.gw.Ping(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(server) {
			t.Errorf("server time %v, want the sandbox's %v", got, server)
		}
		if n := e.sb.Calls(sandbox.KindList) - before; n != 1 {
			t.Errorf("%d list calls, want 1", n)
		}
		if e.sb.Calls(sandbox.KindCreate) != 0 || e.sb.Calls(sandbox.KindCancel) != 0 {
			t.Error("ping must never create or cancel")
		}
	})
	t.Run("ErrNotAuthorized", func(t *testing.T) {
		cfg := e.cfg
		cfg.Token = "wrong-token"
		got, err := mustGateway(t, cfg).Ping(ctx)
		wantError(t, err, plugin.ERejected, plugin.GatewayNotAuthorized)
		// What a diagnosis reads of the answer (plugin/doctor's Answer).
		var a interface {
			HTTPStatus() int
			Detail() string
		}
		if !errors.As(err, &a) || a.HTTPStatus() != http.StatusUnauthorized || !strings.HasPrefix(a.Detail(), "not_authorized: ") ||
			!strings.HasSuffix(a.Detail(), " [HTTP 401]") || "paymaster: "+a.Detail() != innermost(err) {
			t.Errorf("the answer in %v: %v", err, a)
		}
		if !got.Equal(server) {
			t.Errorf("a refusal still tells the time: got %v", got)
		}
		if strings.Contains(err.Error(), "wrong-token") {
			t.Errorf("the token is in the error: %v", err)
		}
	})
	t.Run("ErrUnknownMerchant", func(t *testing.T) {
		cfg := e.cfg
		cfg.MerchantID = "00000000-0000-0000-0000-000000000000"
		_, err := mustGateway(t, cfg).Ping(ctx)
		wantError(t, err, plugin.ERejected, "validation_error")
	})
	t.Run("ErrWrongBaseURL", func(t *testing.T) {
		cfg := e.cfg
		cfg.BaseURL = e.url + "/wrong"
		_, err := mustGateway(t, cfg).Ping(ctx)
		wantError(t, err, plugin.ERejected, plugin.GatewayNotFound)
	})
	t.Run("ErrServerError", func(t *testing.T) {
		e.sb.AddFault(sandbox.Fault{Path: "/api/v2/payments", Status: 503, Times: testRetries + 1})
		_, err := e.gw.Ping(ctx)
		wantError(t, err, plugin.EUnavailable, "")
	})
}

func TestGateway_PingNoAnswer(t *testing.T) {
	quick := func(c *paymaster.Config) { c.Timeout, c.RetryMax = 100*time.Millisecond, -1 }

	t.Run("Refused", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{}, quick)
		cfg := e.cfg
		cfg.BaseURL = "http://" + closedAddr(t)
		got, err := mustGateway(t, cfg).Ping(ctx)
		wantError(t, err, plugin.EUnavailable, plugin.GatewayRefused)
		if !got.IsZero() {
			t.Errorf("server time %v without an answer", got)
		}
	})
	t.Run("BlackHole", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{}, quick)
		e.sb.AddFault(sandbox.Fault{Latency: time.Hour})
		start := time.Now()
		_, err := e.gw.Ping(ctx)
		wantError(t, err, plugin.EUnavailable, plugin.GatewayTimeout)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("ping took %v with a 100ms timeout", d)
		}
	})
	t.Run("TLS", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(http.NotFoundHandler())
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
		srv.StartTLS()                                   // a certificate nobody trusts
		defer srv.Close()
		e := newEnv(t, sandbox.Options{}, nil)
		cfg := e.cfg
		cfg.BaseURL = srv.URL
		_, err := mustGateway(t, cfg).Ping(ctx)
		wantError(t, err, plugin.EUnavailable, plugin.GatewayTLS)
	})
	t.Run("NotTheAPI", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "<html>Wi-Fi login</html>")
		}))
		defer srv.Close()
		// The portal answers at once: no 100 ms timeout, which a loaded
		// machine running -race once ran out of before the answer.
		e := newEnv(t, sandbox.Options{}, func(c *paymaster.Config) { c.RetryMax = -1 })
		cfg := e.cfg
		cfg.BaseURL = srv.URL
		got, err := mustGateway(t, cfg).Ping(ctx)
		wantError(t, err, plugin.EUnavailable, plugin.GatewayBadAnswer)
		if got.IsZero() {
			t.Error("the captive portal's Date header is lost")
		}
	})
}

func TestTransportReason(t *testing.T) {
	wrap := func(err error) error {
		return fmt.Errorf("paymaster: GET /x: %w", &url.Error{Op: "Get", URL: "https://paymaster.ru/x", Err: err})
	}
	cases := map[string]error{
		plugin.GatewayDNS:      wrap(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "paymaster.ru", IsNotFound: true}}),
		plugin.GatewayTimeout:  wrap(timeoutError{}),
		plugin.GatewayNoAnswer: wrap(errors.New("connection reset by peer")),
		plugin.GatewayCanceled: wrap(fmt.Errorf("x: %w", contextCanceled())),
	}
	for want, err := range cases {
		if got := paymaster.TransportReason(err); got != want {
			t.Errorf("TransportReason(%v) = %q, want %q", err, got, want)
		}
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func contextCanceled() error {
	c, cancel := context.WithCancel(ctx)
	cancel()
	return c.Err()
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// innermost is the text of the last error in err's chain.
func innermost(err error) string {
	for errors.Unwrap(err) != nil {
		err = errors.Unwrap(err)
	}
	return err.Error()
}
