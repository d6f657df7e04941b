package metrics_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/drivers/metrics"
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
