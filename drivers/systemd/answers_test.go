package systemd_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sbpd/sbpd/drivers/systemd"
)

func TestAnswers(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte(strings.Repeat("x", 100<<10)))
		default:
			http.Error(w, "no", http.StatusServiceUnavailable)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	cases := map[string]struct {
		url  string
		want string
	}{
		"200":       {url: srv.URL + "/ok"},
		"503":       {url: srv.URL + "/down", want: "GET /down: HTTP 503"},
		"no server": {url: "http://127.0.0.1:1/ok", want: "connection refused"},
		"bad url":   {url: "http://[::1", want: "missing ']'"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			check := systemd.Answers(c.url)
			for range 2 {
				err := check(context.Background())
				if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
					t.Fatalf("got %v, want %q", err, c.want)
				}
			}
		})
	}
	if n := conns.Load(); n != 4 {
		t.Errorf("%d connections for 4 checks: each check needs its own", n)
	}
}
