package web_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// The journal is rendered on the server, newest first; ?state=paid lists
// only paid payments, as `sbpd journal list --state paid` does.
func TestList_JournalAndStateFilter(t *testing.T) {
	f := newFixture(t, "")
	f.plant("1001", 25990, plugin.StatePaid, "PM-1", 1)
	f.plant("1002", 10000, plugin.StateNotPaid, "PM-2", 2)
	f.plant("1003", 5000, plugin.StatePaid, "PM-3", 3)
	f.plant("1004", 7000, plugin.StateNeedsAttention, "PM-4", 4)

	a := f.get("/backoffice/")
	want(t, a, 200, "<h1>Платежи</h1>", "Передано в учёт", "Статус от банка", "259,90 ₽", "K07-1001-1")
	got := rows(a.body)
	if fmt.Sprint(got) != "[[P-1004 needs_attention] [P-1003 paid] [P-1002 not_paid] [P-1001 paid]]" {
		t.Fatalf("rows %v: want every payment, newest first", got)
	}
	a = f.get("/backoffice/?state=paid")
	want(t, a, 200)
	if got := rows(a.body); fmt.Sprint(got) != "[[P-1003 paid] [P-1001 paid]]" {
		t.Fatalf("?state=paid lists %v", got)
	}
	// Search and the other filters mean what the CLI's flags mean.
	for q, ids := range map[string]string{
		"q=259,90":                   "[[P-1001 paid]]",
		"q=K07-1002-1":               "[[P-1002 not_paid]]",
		"q=PM-3":                     "[[P-1003 paid]]",
		"from=2026-06-01+09:03":      "[[P-1004 needs_attention] [P-1003 paid]]",
		"to=2026-06-01+09:02&mode=1": "[[P-1001 paid]]",
		"state=not_paid&mixed=true":  "[]",
	} {
		if got := rows(f.get("/backoffice/?" + q).body); fmt.Sprint(got) != ids {
			t.Errorf("?%s lists %v, want %s", q, got, ids)
		}
	}
}

// A filter the CLI refuses is refused with its reason.
func TestList_BadFilter(t *testing.T) {
	f := newFixture(t, "")
	want(t, f.get("/backoffice/?state=bogus"), 400, "Неверный фильтр", "not a state")
	want(t, f.get("/backoffice/?evil=1"), 400, "unknown query parameter")
	want(t, f.get("/backoffice/?from=2026-06-02&to=2026-06-01"), 400, "is empty")
	want(t, f.get("/backoffice/?q="+strings.Repeat("x", plugin.MaxQueryLen+1)), 400, "at most 256")
}

// Pages of 50, newest first, with links that keep the filter.
func TestList_Pages(t *testing.T) {
	f := newFixture(t, "")
	for i := range 60 {
		f.plant(fmt.Sprintf("%04d", i), 100, plugin.StatePaid, "", i)
	}
	a := f.get("/backoffice/?state=paid")
	got := rows(a.body)
	if len(got) != 50 || got[0][0] != "P-0059" || got[49][0] != "P-0010" {
		t.Fatalf("first page: %d rows, %v … %v", len(got), got[0], got[len(got)-1])
	}
	// The next page is a keyset link: older than the page's last row, as
	// fast at any depth.
	want(t, a, 200, `href="/backoffice/?before=P-0010&amp;state=paid"`, "Платежи 1–50")
	a = f.get("/backoffice/?before=P-0010&state=paid")
	if got := rows(a.body); len(got) != 10 || got[0][0] != "P-0009" || got[9][0] != "P-0000" {
		t.Fatalf("second page: %v", got)
	}
	want(t, a, 200, `href="/backoffice/?state=paid" id="first"`, "следующие 10")
	if strings.Contains(a.body, `id="next"`) {
		t.Errorf("the last page links to a next one")
	}
	// An offset still pages, up to a bound: deep offsets are slow.
	a = f.get("/backoffice/?offset=50&state=paid")
	if got := rows(a.body); len(got) != 10 || got[9][0] != "P-0000" {
		t.Fatalf("offset 50: %v", got)
	}
	want(t, a, 200, `href="/backoffice/?state=paid" id="prev"`, "Платежи 51–60")
	want(t, f.get("/backoffice/?offset=10001"), 400, "Неверный фильтр", "from 0 to 10000")
	// The page older than the oldest payment is empty; a before= the
	// journal does not know is refused, not shown as an empty page.
	if a = f.get("/backoffice/?before=P-0000&state=paid"); a.status != 200 || len(rows(a.body)) != 0 {
		t.Errorf("older than the oldest: %d, %d rows", a.status, len(rows(a.body)))
	}
	want(t, f.get("/backoffice/?before=P-nope&state=paid"), 400, "Неверный фильтр", `before &#34;P-nope&#34;: no payment has this id`)
}

// A full page of the most rows a page may hold still links to the next.
func TestList_FullPageLinksNext(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	for i := range plugin.MaxLimit + 1 {
		at := t0.Add(time.Duration(i) * time.Second)
		p := &plugin.Payment{ID: fmt.Sprintf("P-%05d", i), CheckID: fmt.Sprint(i), OrderNo: fmt.Sprintf("K07-%d-1", i), Amount: 100,
			State: plugin.StateCreating, IdempotencyKey: fmt.Sprint("k", i), ExpiresAt: at, CreatedAt: at, UpdatedAt: at}
		if err := f.db.Journal().Create(ctx, p, plugin.Event{Kind: plugin.EvCreated, Actor: "till", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	a := f.get(fmt.Sprintf("/backoffice/?limit=%d", plugin.MaxLimit))
	want(t, a, 200, fmt.Sprintf(`href="/backoffice/?before=P-00001&amp;limit=%d" id="next"`, plugin.MaxLimit))
}

// The export link carries the filter; the export streams as a download.
func TestExport(t *testing.T) {
	f := newFixture(t, "")
	a := f.get("/backoffice/export?format=csv&state=paid&offset=50")
	want(t, a, 200, "format=csv state=paid")
	if cd := a.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="sbpd-payments-`) || !strings.HasSuffix(cd, `.csv"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	if ct := a.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	want(t, f.get("/backoffice/export?format=xlsx"), 200, "format=xlsx")
	want(t, f.get("/backoffice/export?format=pdf"), 400, "use csv or xlsx")
	want(t, f.get("/backoffice/export?format=csv&state=bogus"), 400, "not a state")
	want(t, f.get("/backoffice/?state=paid"), 200, `href="/backoffice/export?format=csv&amp;state=paid"`)
}

// The filter form sends its empty fields too; the address is cut to what
// filters, so a bookmark holds only that.
func TestList_FormAddressIsClean(t *testing.T) {
	f := newFixture(t, "")
	a := f.get("/backoffice/?state=paid&from=&to=&q=&mode=&mixed=")
	if a.status != 303 || a.header.Get("Location") != "/backoffice/?state=paid" {
		t.Fatalf("%d to %q", a.status, a.header.Get("Location"))
	}
	if a := f.get("/backoffice/?state=&q="); a.status != 303 || a.header.Get("Location") != "/backoffice/" {
		t.Fatalf("%d to %q", a.status, a.header.Get("Location"))
	}
	want(t, f.get("/backoffice/stuck"), 200, "Оплачены без оповещения", "Нет: каждый оплаченный платёж")
}

// One export runs at a time: another gets 429 with Retry-After and a
// Russian page while the first streams; HEAD answers the headers only and
// runs nothing; a refusal before the first byte is a page, not a cut
// download.
func TestExport_OneAtATimeHeadRefusal(t *testing.T) {
	f := newFixture(t, "")
	entered, release := make(chan struct{}), make(chan struct{})
	calls := 0
	f.export = func(ctx context.Context, w io.Writer, flt plugin.Filter, format string) (int64, error) {
		calls++
		if flt.State == "paid" {
			return 0, &plugin.Error{Code: plugin.EInvalid, Reason: "too_many_rows", Message: "an XLSX sheet holds at most 1048575 payments: export as CSV"}
		}
		io.WriteString(w, "created_at\n")
		entered <- struct{}{}
		<-release
		io.WriteString(w, "row\n")
		return 1, nil
	}
	first := make(chan answer)
	go func() { first <- f.get("/backoffice/export?format=csv") }()
	<-entered
	a := f.get("/backoffice/export?format=xlsx")
	want(t, a, 429, "уже идёт другая выгрузка")
	if a.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	h := f.send("HEAD", "/backoffice/export?format=csv", nil)
	if h.status != 200 || !strings.HasPrefix(h.header.Get("Content-Disposition"), "attachment") || calls != 1 {
		t.Errorf("HEAD: %d %q, exports run %d", h.status, h.header.Get("Content-Disposition"), calls)
	}
	close(release)
	want(t, <-first, 200, "created_at\nrow\n")
	// The gate is free again; a refusal before any byte is a page.
	a = f.get("/backoffice/export?format=xlsx&state=paid")
	want(t, a, 422, "Слишком много платежей для XLSX", "выгрузите CSV", "export as CSV")
	if cd := a.header.Get("Content-Disposition"); cd != "" || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
		t.Errorf("a refused export is served as %q, %q", cd, a.header.Get("Content-Type"))
	}
}
