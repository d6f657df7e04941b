package demo_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/display/demo"
	"github.com/sbpd/sbpd/plugin"
)

func TestRoutes(t *testing.T) {
	bank := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("bank " + r.URL.Path)) })
	cases := map[string]struct {
		stats             func() any
		path              string
		status            int
		contentType, body string
		csp               string
	}{
		"page":          {path: "/demo", contentType: "text/html; charset=utf-8", body: "<!doctype html", csp: "default-src 'self'; frame-src 'self'"},
		"script":        {path: "/demo/demo.js", contentType: "text/javascript; charset=utf-8"},
		"style":         {path: "/demo/demo.css", contentType: "text/css; charset=utf-8"},
		"bank":          {path: "/sandbox/payments/1/pay", body: "bank /sandbox/payments/1/pay"},
		"no printer":    {path: "/demo/printer", contentType: "application/json", body: `{"status":"not_configured"}`},
		"printer stats": {stats: func() any { return map[string]int{"slips": 2} }, path: "/demo/printer", contentType: "application/json", body: `{"slips":2}`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			mux := http.NewServeMux()
			for pattern, h := range demo.Routes("default-src 'self'", bank, c.stats) {
				mux.Handle(pattern, h)
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
			if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
				t.Fatalf("%d, %d bytes", rec.Code, rec.Body.Len())
			}
			if c.contentType != "" && rec.Header().Get("Content-Type") != c.contentType {
				t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
			}
			if !strings.HasPrefix(strings.ToLower(rec.Body.String()), strings.ToLower(c.body)) {
				t.Errorf("body starts %.40q", rec.Body.String())
			}
			if rec.Header().Get("Content-Security-Policy") != c.csp {
				t.Errorf("CSP %q", rec.Header().Get("Content-Security-Policy"))
			}
		})
	}
}

// TestScriptWordsAreGos: every word demo.js compares what sbpd sends with
// is sbpd's own spelling of it (a printer status of GET /demo/printer, a
// payment's state and mode from the till API), and each of them is
// compared: a renamed constant fails here, not silently in a browser.
func TestScriptWordsAreGos(t *testing.T) {
	js, err := os.ReadFile("demo.js")
	if err != nil {
		t.Fatal(err)
	}
	goWords := map[string]string{ // what the script compares -> Go's word
		"s.status":      plugin.PrinterNotConfigured,
		"payment.state": string(plugin.StateAwaitingPayment),
		"payment.mode":  strconv.Itoa(int(plugin.ModePrint)),
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`([\w.]+) === ("[^"]*"|\d+)`).FindAllStringSubmatch(string(js), -1) {
		want, ok := goWords[m[1]]
		if !ok {
			continue // the script's own values (amount, the HTTP status)
		}
		seen[m[1]] = true
		if got := strings.Trim(m[2], `"`); got != want {
			t.Errorf("demo.js compares %s with %s; sbpd sends %q", m[1], m[2], want)
		}
	}
	for expr := range goWords {
		if !seen[expr] {
			t.Errorf("demo.js no longer compares %s: update this test", expr)
		}
	}
}
