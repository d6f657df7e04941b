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
	f := newFixture(t, "")
	f.plant("1", 100, plugin.StatePaid, "", 1)
	csrf := f.csrf("/backoffice/payments/P-1/resync")
	long := strings.Repeat("A", 30000)
	for _, c := range []struct {
		name   string
		a      answer
		status int
	}{
		{"no such page", f.get("/backoffice/" + long), 404},
		{"no such payment", f.get("/backoffice/payments/" + long), 404},
		{"an act on no such payment", f.post("/backoffice/payments/"+long+"/mark-paid", url.Values{"csrf": {csrf}, "reason": {"x"}}), 404},
		{"a page before", f.get("/backoffice/?before=" + long), 400},
	} {
		if c.a.status != c.status || strings.Contains(c.a.body, strings.Repeat("A", plugin.MaxEchoed+1)) || !strings.Contains(c.a.body, "A…") {
			t.Errorf("%s: %d, %d bytes: %.300s", c.name, c.a.status, len(c.a.body), c.a.body)
		}
	}
}
