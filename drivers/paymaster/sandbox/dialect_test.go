package sandbox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
)

// listRows lists the last hour's payments and returns the rows.
func listRows(t *testing.T, base string) []map[string]any {
	t.Helper()
	q := url.Values{"merchantId": {merchant}, "start": {time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)},
		"end": {time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}}
	a := call(t, "GET", base+"/api/v2/payments?"+q.Encode(), bearer, nil)
	if a.Status != http.StatusOK {
		t.Fatalf("list: HTTP %d: %s", a.Status, a.Body)
	}
	items, _ := a.JSON(t)["items"].([]any)
	var rows []map[string]any
	for _, it := range items {
		rows = append(rows, it.(map[string]any))
	}
	return rows
}

func TestDialect_ListRows(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{})
	id := mustCreate(t, base, "D-1", nil, "")
	if s.Dialect() != (sandbox.Dialect{}) {
		t.Fatalf("a new server's dialect is %+v", s.Dialect())
	}

	inv := func(row map[string]any) map[string]any { m, _ := row["invoice"].(map[string]any); return m }
	rows := listRows(t, base)
	if len(rows) != 1 || inv(rows[0])["orderNo"] != "D-1" {
		t.Fatalf("default rows: %v", rows)
	}

	s.SetDialect(sandbox.Dialect{ListRowsWithoutOrderNo: true})
	rows = listRows(t, base)
	if len(rows) != 1 || rows[0]["id"] != id {
		t.Fatalf("rows: %v", rows)
	}
	if _, has := inv(rows[0])["orderNo"]; has {
		t.Errorf("the row still has invoice.orderNo: %v", rows[0])
	}
	if inv(rows[0])["description"] == nil || inv(rows[0])["params"] == nil {
		t.Errorf("the row lost the rest of its invoice: %v", rows[0])
	}
	if v := rows[0]["amount"].(map[string]any)["value"]; v != 259.9 {
		t.Errorf("amount %v", v)
	}
	// The amount is written as the default rows write it.
	a := call(t, "GET", base+"/api/v2/payments?merchantId="+merchant+"&start="+url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))+
		"&end="+url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339)), bearer, nil)
	if !strings.Contains(string(a.Body), `"value":259.9000`) {
		t.Errorf("amount rewritten: %s", a.Body)
	}
	// GET of one payment keeps the order number.
	if g := call(t, "GET", base+"/api/v2/payments/"+id, bearer, nil).JSON(t); g["invoice"].(map[string]any)["orderNo"] != "D-1" {
		t.Errorf("GET lost the order number: %v", g)
	}

	s.SetDialect(sandbox.Dialect{ListRowsWithoutInvoice: true})
	if rows = listRows(t, base); len(rows) != 1 || rows[0]["invoice"] != nil {
		t.Errorf("rows: %v", rows)
	}
}

func TestDialect_ListRowsPaged(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{PageSize: 2})
	s.SetDialect(sandbox.Dialect{ListRowsWithoutOrderNo: true})
	for _, o := range []string{"P-1", "P-2", "P-3"} {
		mustCreate(t, base, o, nil, "")
	}
	q := url.Values{"merchantId": {merchant}, "start": {time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)},
		"end": {time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}}
	first := call(t, "GET", base+"/api/v2/payments?"+q.Encode(), bearer, nil).JSON(t)
	cursor, _ := first["cursor"].(string)
	if len(first["items"].([]any)) != 2 || cursor == "" {
		t.Fatalf("first page: %v", first)
	}
	q.Set("cursor", cursor)
	second := call(t, "GET", base+"/api/v2/payments?"+q.Encode(), bearer, nil).JSON(t)
	if items := second["items"].([]any); len(items) != 1 || second["cursor"] != nil {
		t.Fatalf("second page: %v", second)
	}
}

func TestDialect_KeyReuse(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{})
	id := mustCreate(t, base, "K-1", nil, "key-1")
	again := call(t, "POST", base+"/api/v2/payments", bearer, createBody("K-1"), "Idempotency-Key", "key-1")
	if code, _ := again.apiErr(t); again.Status != http.StatusConflict || code != "idempotency_key_violation" {
		t.Fatalf("default: HTTP %d %s", again.Status, again.Body)
	}

	s.SetDialect(sandbox.Dialect{KeyReuse: sandbox.KeyReuseReplayed})
	again = call(t, "POST", base+"/api/v2/payments", bearer, createBody("K-1"), "Idempotency-Key", "key-1")
	if again.Status != http.StatusOK || again.JSON(t)["id"] != id {
		t.Fatalf("replayed: HTTP %d %s", again.Status, again.Body)
	}
	if n := len(s.Payments()); n != 1 {
		t.Fatalf("%d payments", n)
	}
	if sandbox.KeyReuseReplayed.String() != "replayed" || sandbox.KeyReuseRefused.String() != "refused" {
		t.Error("KeyReuse names")
	}
}

func TestDialect_MethodExact(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{})
	s.SetDialect(sandbox.Dialect{MethodExact: true})
	a := call(t, "POST", base+"/api/v2/payments", bearer, createBody("M-1")) // "SBP"
	code, errs := a.apiErr(t)
	if a.Status != http.StatusBadRequest || code != "validation_error" || len(errs) != 1 || !strings.Contains(errs[0], "sbp") {
		t.Fatalf("SBP: HTTP %d %s", a.Status, a.Body)
	}
	body := createBody("M-2")
	body["paymentData"] = map[string]any{"paymentMethod": "sbp"}
	mustCreate(t, base, "M-2", body, "")
	if n := len(s.Payments()); n != 1 {
		t.Fatalf("%d payments", n)
	}
}
