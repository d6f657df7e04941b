package sandbox_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
)

// TestStart_APIOnlyAndWrap: with APIOnly the sandbox's own port serves
// PayMaster's API and not the bank's controls (the demo serves those
// behind its guard); Wrap sees every request Start serves.
func TestStart_APIOnlyAndWrap(t *testing.T) {
	wrapped := 0
	sb := sandbox.New(sandbox.Options{Token: "tok", APIOnly: true, Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { wrapped++; h.ServeHTTP(w, r) })
	}})
	base, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer tok")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, b := get("/sandbox/payments"); st != http.StatusNotFound || !strings.Contains(b, "sbpd demo") {
		t.Errorf("the controls on an APIOnly port: %d %s", st, b)
	}
	if st, b := get("/api/v2/payments/40211873"); st == http.StatusNotFound && strings.Contains(b, "sbpd demo") {
		t.Errorf("the API on an APIOnly port: %d %s", st, b)
	}
	if wrapped != 2 {
		t.Errorf("Wrap saw %d requests, want 2", wrapped)
	}
}
