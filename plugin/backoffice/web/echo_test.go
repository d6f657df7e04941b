package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

// TestPages_ClipWhatTheyQuoteBack: a path, a payment reference or a page
// of 30 000 bytes is quoted back on the page as a short prefix and "…",
// never whole. (A search's q is quoted so in the message too, but stays
// whole in the search box, as typed.)
func TestPages_ClipWhatTheyQuoteBack(t *testing.T) {
	f := newActing(t)
	f.plant("1", 100, plugin.StatePaid, "", 1)
	csrf := f.csrf("/backoffice/payments/P-1/resync")
	rcsrf := f.csrf("/backoffice/reconcile")
	long := strings.Repeat("A", 30000)
	for _, c := range []struct {
		name   string
		a      answer
		status int
		cut    string // how the page shows it cut: "A…" (quoted in a message), or a form's field
	}{
		{"no such page", f.get("/backoffice/" + long), 404, "A…"},
		{"no such payment", f.get("/backoffice/payments/" + long), 404, "A…"},
		{"an act on no such payment", f.post("/backoffice/payments/"+long+"/mark-paid", url.Values{"csrf": {csrf}, "reason": {"x"}}), 404, "A…"},
		{"a page before", f.get("/backoffice/?before=" + long), 400, "A…"},
		{"mark-entered without a reason", f.post("/backoffice/payments/"+long+"/mark-entered", url.Values{"csrf": {csrf}}), 422, "A…"},
		{"a reconciliation's period", f.post("/backoffice/reconcile", url.Values{"csrf": {rcsrf}, "from": {long[:7000]}, "to": {long[:7000]}}), 400, `value="` + long[:64] + `"`}, // under the form's 16 KB
	} {
		if c.a.status != c.status || strings.Contains(c.a.body, strings.Repeat("A", plugin.MaxEchoed+1)) || !strings.Contains(c.a.body, c.cut) {
			t.Errorf("%s: %d, %d bytes: %.300s", c.name, c.a.status, len(c.a.body), c.a.body)
		}
	}
}
