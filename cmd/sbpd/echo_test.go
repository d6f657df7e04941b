package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestE2E_LongIDIsNotEchoed: a payment id of 30 000 bytes in the path is
// quoted back as a short prefix by every route that takes an id, through
// the real journal (its "payment … not found") and the screen's buttons.
func TestE2E_LongIDIsNotEchoed(t *testing.T) {
	h := newE2E(t)
	long := strings.Repeat("A", 30000)
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/api/v1/payments/" + long, http.StatusNotFound},
		{"POST", "/api/v1/payments/" + long + "/retry", http.StatusNotFound},
		{"POST", "/api/v1/payments/" + long + "/cancel", http.StatusNotFound},
		{"GET", "/api/v1/payments/" + long + "/events", http.StatusNotFound},
		{"POST", "/screen/payments/" + long + "/cancel", http.StatusConflict},
	} {
		st, b := h.do(c.method, c.path, "")
		if st != c.status || len(b) > 400 || !strings.Contains(string(b), "A…") {
			t.Errorf("%s %.40s…: %d, %d bytes: %.200s", c.method, c.path, st, len(b), b)
		}
	}
}
