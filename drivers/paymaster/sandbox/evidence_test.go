package sandbox_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
)

// documentedCodes are the six error codes PayMaster's API v2 documents.
var documentedCodes = map[string]bool{
	"validation_error":          true,
	"not_authorized":            true,
	"idempotency_key_violation": true,
	"invalid_operation":         true,
	"payment_token_revoked":     true,
	"payment_token_blocked":     true,
}

// confirmationURL creates a payment from body and returns its paymentUrl.
func confirmationURL(t *testing.T, base string, body map[string]any) (id, url string) {
	t.Helper()
	a := call(t, "POST", base+"/api/v2/payments", bearer, body)
	if a.Status != http.StatusOK {
		t.Fatalf("create: HTTP %d: %s", a.Status, a.Body)
	}
	var p struct {
		ID           string `json:"id"`
		Confirmation *struct {
			PaymentURL string `json:"paymentUrl"`
		} `json:"confirmation"`
	}
	if err := json.Unmarshal(a.Body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Confirmation == nil {
		t.Fatalf("create: no confirmation in %s", a.Body)
	}
	return p.ID, p.Confirmation.PaymentURL
}

// An NSPK QR id (the link's path) is 32 characters in all, as in real
// links such as https://qr.nspk.ru/AD100004BAL7227F9BNP6KNE007J9B3K.
func TestServer_NSPKIDs32(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{Stickers: []string{"st1"}})
	body := createBody("N-1")
	body["testMode"] = false
	id, link := confirmationURL(t, base, body)
	re := regexp.MustCompile(`^https://qr\.nspk\.ru/(AD[0-9A-Z]+)\?type=02&bank=100000000111&sum=25990&cur=RUB&crc=[0-9A-F]{4}$`)
	m := re.FindStringSubmatch(link)
	if m == nil || len(m[1]) != 32 {
		t.Fatalf("live-mode paymentUrl %q: want an NSPK dynamic link whose id is 32 characters", link)
	}
	if p, _ := s.Payment(id); p.PaymentURL != link {
		t.Errorf("snapshot PaymentURL %q, answer %q", p.PaymentURL, link)
	}

	a := call(t, "GET", base+"/api/v2/stickers/st1", bearer, nil)
	payload, _ := a.JSON(t)["payload"].(string)
	m = regexp.MustCompile(`^https://qr\.nspk\.ru/(AS[0-9A-Z]+)\?type=01&`).FindStringSubmatch(payload)
	if m == nil || len(m[1]) != 32 {
		t.Errorf("sticker payload %q: want an NSPK static link whose id is 32 characters", payload)
	}
}

// In test mode PayMaster answers a PayMaster mock page, not an NSPK link
// (the one public example: …/cpay/mock/sbp/…).
func TestServer_TestModeMockPage(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{})
	mock := regexp.MustCompile(`^https://paymaster\.ru/cpay/mock/sbp/[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for _, order := range []string{"M-1", "M-2"} {
		id, link := confirmationURL(t, base, createBody(order)) // testMode: true
		if !mock.MatchString(link) || strings.Contains(link, "nspk") {
			t.Fatalf("test-mode paymentUrl %q: want a PayMaster mock page", link)
		}
		if seen[link] {
			t.Errorf("two payments share the mock page %q", link)
		}
		seen[link] = true
		if p, _ := s.Payment(id); p.PaymentURL != link {
			t.Errorf("snapshot PaymentURL %q, answer %q", p.PaymentURL, link)
		}
		a := call(t, "GET", base+"/api/v2/payments/"+id, bearer, nil)
		if !strings.Contains(string(a.Body), `"paymentUrl":"`+link+`"`) {
			t.Errorf("GET does not answer the same mock page: %s", a.Body)
		}
	}
}

// Every error body of the API carries one of the six documented codes; a
// call about an id the sandbox does not know, for which no documented code
// fits, is a 404 with no body at all.
func TestServer_OnlyDocumentedErrorCodes(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{Stickers: []string{"st1"}})
	paid := mustCreate(t, base, "E-1", nil, "k-used")
	if err := s.Pay(paid); err != nil {
		t.Fatal(err)
	}
	refused := mustCreate(t, base, "E-2", nil, "")
	bad := createBody("E-3")
	bad["amount"] = map[string]any{"value": "1.00", "currency": "USD"}

	cases := []struct {
		name         string
		method, path string
		auth         string
		body         any
		hdr          []string
		cancelMode   sandbox.CancelMode
		status       int
		code         string // "" = no body
	}{
		{"no token", "GET", "/api/v2/payments/" + paid, "", nil, nil, sandbox.CancelAccept, 401, "not_authorized"},
		{"invalid create", "POST", "/api/v2/payments", bearer, bad, nil, sandbox.CancelAccept, 400, "validation_error"},
		{"not JSON", "POST", "/api/v2/payments", bearer, "{", nil, sandbox.CancelAccept, 400, "validation_error"},
		{"reused key", "POST", "/api/v2/payments", bearer, createBody("E-4"), []string{"Idempotency-Key", "k-used"}, sandbox.CancelAccept, 409, "idempotency_key_violation"},
		{"bad list", "GET", "/api/v2/payments?merchantId=" + merchant, bearer, nil, nil, sandbox.CancelAccept, 400, "validation_error"},
		{"cancel final", "PUT", "/api/v2/payments/" + paid + "/cancel", bearer, nil, nil, sandbox.CancelAccept, 400, "invalid_operation"},
		{"cancel refused", "PUT", "/api/v2/payments/" + refused + "/cancel", bearer, nil, nil, sandbox.CancelReject, 400, "invalid_operation"},
		{"unknown payment", "GET", "/api/v2/payments/999", bearer, nil, nil, sandbox.CancelAccept, 404, ""},
		{"cancel unknown payment", "PUT", "/api/v2/payments/999/cancel", bearer, nil, nil, sandbox.CancelAccept, 404, ""},
		{"unknown sticker", "GET", "/api/v2/stickers/zzz", bearer, nil, nil, sandbox.CancelAccept, 404, ""},
		{"unknown endpoint", "DELETE", "/api/v2/payments/" + paid, bearer, nil, nil, sandbox.CancelAccept, 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.SetCancelMode(c.cancelMode)
			a := call(t, c.method, base+c.path, c.auth, c.body, c.hdr...)
			if a.Status != c.status {
				t.Fatalf("HTTP %d, want %d: %s", a.Status, c.status, a.Body)
			}
			if c.code == "" {
				if len(a.Body) != 0 {
					t.Errorf("body %s, want none: no documented code names a missing resource", a.Body)
				}
				return
			}
			code, _ := a.apiErr(t)
			if code != c.code || !documentedCodes[code] {
				t.Errorf("code %q, want the documented %q: %s", code, c.code, a.Body)
			}
		})
	}
}
