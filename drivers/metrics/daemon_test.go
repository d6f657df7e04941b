package metrics_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/drivers/metrics"
	"github.com/sbpd/sbpd/plugin"
)

func TestDaemonPrinter(t *testing.T) {
	cases := map[string]struct {
		body   string
		token  string
		ok     bool
		status string
	}{
		"printer part":   {body: `{"printer":{"port":"/dev/ttyS0","status":"paper_near_end","state":"online"}}`, ok: true, status: "paper_near_end"},
		"with the token": {body: `{"printer":{"status":"ok"}}`, token: "api-token-0123456789", ok: true, status: "ok"},
		"no printer":     {body: `{"journal":{"status":"ok"}}`},
		"not JSON":       {body: `<html>`},
		"too long":       {body: `{"printer":{"status":"ok","state":"` + strings.Repeat("x", 70<<10) + `"}}`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/healthz" || r.Header.Get("Authorization") != map[bool]string{true: "Bearer " + c.token}[c.token != ""] {
					http.Error(w, "no", http.StatusUnauthorized)
					return
				}
				w.Write([]byte(c.body))
			}))
			defer srv.Close()
			h, ok := metrics.DaemonPrinter(context.Background(), srv.Client(), srv.URL, c.token)
			if ok != c.ok || h.Status != c.status || (ok && h.Via != "daemon") {
				t.Fatalf("got %+v, %v", h, ok)
			}
		})
	}
	if _, ok := metrics.DaemonPrinter(context.Background(), http.DefaultClient, "http://127.0.0.1:1", ""); ok {
		t.Fatal("no daemon answered, yet ok")
	}
}

// fakeAsker is a printer that answers state and word, or fails with err.
type fakeAsker struct {
	state, word string
	err         error
}

func (f fakeAsker) StatusText(context.Context) (string, string, error) { return f.state, f.word, f.err }

// nilPrinter is a daemon's printer when printer.port is not set: a nil
// pointer, which must never be asked.
type nilPrinter struct{ fakeAsker }

func (p *nilPrinter) StatusText(ctx context.Context) (string, string, error) {
	return p.fakeAsker.StatusText(ctx)
}

// TestAskPrinter: the printer's answer, its error's reason, not
// configured, and the daemon asked only when the port is held by it.
func TestAskPrinter(t *testing.T) {
	daemon := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"printer":{"port":"/dev/ttyS0","status":"ok","state":"online"}}`))
	}))
	defer daemon.Close()
	busy := &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterBusy, Message: "held"}
	missing := &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterPortMissing, Message: "no such port"}
	cases := map[string]struct {
		p         metrics.PrinterAsker
		base      string
		noPort    bool
		want, via string
	}{
		"answers":            {p: fakeAsker{state: "online", word: "ok"}, base: daemon.URL, want: "ok"},
		"paper end":          {p: fakeAsker{state: "paper end", word: "paper_end"}, base: daemon.URL, want: "paper_end"},
		"port missing":       {p: fakeAsker{err: missing}, base: daemon.URL, want: plugin.PrinterPortMissing},
		"not configured":     {base: daemon.URL, want: "not_configured"},
		"no printer.port":    {p: (*nilPrinter)(nil), noPort: true, base: daemon.URL, want: "not_configured"},
		"busy: daemon asked": {p: fakeAsker{err: busy}, base: daemon.URL, want: "ok", via: "daemon"},
		"busy and no daemon": {p: fakeAsker{err: busy}, base: "http://127.0.0.1:1", want: plugin.PrinterBusy},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			port := "/dev/ttyS0"
			if c.noPort {
				port = ""
			}
			h := metrics.AskPrinterOrDaemon(context.Background(), c.p, port, daemon.Client(), c.base, "")
			if h.Status != c.want || h.Via != c.via || h.FromDaemon() != (c.via == "daemon") {
				t.Errorf("%+v, want status %q via %q", h, c.want, c.via)
			}
		})
	}
}
