// Package demo is the page of `sbpd demo`: a till's buttons to start a
// payment, the shopper's bank's buttons to pay or decline it, and the kiosk
// screen in a frame, all on one origin. Routes serves it with its script,
// its style, the bank's buttons (the PayMaster sandbox's control
// endpoints) and the virtual printer's counts.
package demo

import (
	"embed"
	"encoding/json"
	"net/http"

	"github.com/sbpd/sbpd/plugin"
)

//go:embed index.html demo.js demo.css
var files embed.FS

// Routes are the demo page's routes, to mount beside the till API and the
// kiosk screen: GET /demo (the page, under csp plus a frame of its own
// origin for the kiosk screen), GET /demo/demo.js and /demo/demo.css,
// /sandbox/ (the bank's buttons: sandbox) and GET /demo/printer (the
// virtual printer's stats as JSON, or {"status":"not_configured"}
// (plugin.PrinterNotConfigured) when printerStats is nil).
func Routes(csp string, sandbox http.Handler, printerStats func() any) map[string]http.Handler {
	page, _ := files.ReadFile("index.html")
	script, _ := files.ReadFile("demo.js")
	style, _ := files.ReadFile("demo.css")
	return map[string]http.Handler{
		"GET /demo": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", csp+"; frame-src 'self'")
			serve(w, page, "text/html; charset=utf-8")
		}),
		"GET /demo/demo.js":  asset(script, "text/javascript; charset=utf-8"),
		"GET /demo/demo.css": asset(style, "text/css; charset=utf-8"),
		"/sandbox/":          sandbox, // the bank's buttons, same origin as the page
		"GET /demo/printer": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if printerStats == nil {
				w.Write([]byte(`{"status":"` + plugin.PrinterNotConfigured + `"}`))
				return
			}
			json.NewEncoder(w).Encode(printerStats())
		}),
	}
}

func asset(body []byte, contentType string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serve(w, body, contentType) })
}

func serve(w http.ResponseWriter, body []byte, contentType string) {
	w.Header().Set("Content-Type", contentType)
	w.Write(body)
}
