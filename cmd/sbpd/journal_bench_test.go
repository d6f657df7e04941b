package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	mrand "math/rand"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/sbpd/sbpd/drivers/export"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice/web"
)

// The benchmark journal: 1 000 000 attempts over 2025, built once and
// cached under os.TempDir(); bump benchJournalVersion when its shape changes.
//
//	go test ./cmd/sbpd/ -run '^$' -bench 'Journal' -benchmem -benchtime 200x
const (
	benchJournalVersion = "v1"
	benchAttempts       = 1_000_000
	benchTill           = "K07"
)

var (
	benchOnce  sync.Once
	benchPath  string
	benchErr   error
	benchYear  = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	benchProbe struct {
		checks, orders, pmIDs []string
		amounts               []int64
	}
)

// benchJournal returns the path of the 1M-attempt journal, building it the
// first time, and fills benchProbe with values to search for.
func benchJournal(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		benchPath = filepath.Join(os.TempDir(), fmt.Sprintf("sbpd-bench-journal-%s-%d.db", benchJournalVersion, benchAttempts))
		if _, err := os.Stat(benchPath); err != nil {
			start := time.Now()
			if benchErr = buildBenchJournal(benchPath); benchErr != nil {
				return
			}
			fmt.Fprintf(os.Stderr, "built %s in %s\n", benchPath, time.Since(start).Round(time.Millisecond))
		}
		benchErr = loadBenchProbe(benchPath)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// buildBenchJournal writes the journal with direct batched INSERTs in one
// transaction: the schema from sqlite.Open, then the rows.
func buildBenchJournal(path string) error {
	tmp := path + ".building"
	for _, s := range []string{"", "-wal", "-shm"} {
		os.Remove(tmp + s)
	}
	db, err := sqlite.Open(tmp)
	if err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	raw, err := sql.Open("sqlite3", "file:"+tmp+"?_synchronous=OFF&_journal_mode=DELETE")
	if err != nil {
		return err
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := raw.ExecContext(ctx, "PRAGMA journal_mode=DELETE; PRAGMA cache_size=-200000"); err != nil {
		return err
	}
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	insP, err := tx.PrepareContext(ctx, `INSERT INTO payments (id, check_id, order_no, amount, mixed, mode, state,
		idempotency_key, paymaster_id, paymaster_status, result_code, reason, qr_payload, expires_at,
		cancel_requested, cancel_sent, late_settle, offline, error_code, error_message, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	insE, err := tx.PrepareContext(ctx, `INSERT INTO events (payment_id, at, kind, state, detail, actor) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	entropy := ulid.Monotonic(mrand.New(mrand.NewSource(1)), 0)
	step := int64(365*24*time.Hour) / benchAttempts
	at := benchYear.UnixNano()
	check := 100000
	attempt := 0
	for i := range benchAttempts {
		// Attempts per check: mostly one, sometimes a retry or two.
		if attempt == 0 || rng.IntN(100) < 85 || attempt >= 3 {
			check++
			attempt = 0
		}
		attempt++
		at += rng.Int64N(2 * step)
		created := time.Unix(0, at).UTC()
		id := ulid.MustNew(ulid.Timestamp(created), entropy).String()
		checkID := fmt.Sprint(check)
		orderNo := fmt.Sprintf("%s-%s-%d", benchTill, checkID, attempt)
		amount := int64(rng.IntN(5000)+50) * 10
		if rng.IntN(4) == 0 {
			amount = int64(rng.IntN(500)+1) * 1000
		}
		mode := plugin.ModeScreen
		switch r := rng.IntN(10); {
		case r < 2:
			mode = plugin.ModePrint
		case r < 3:
			mode = plugin.ModeSticker
		}
		mixed := rng.IntN(20) == 0
		if mixed {
			mode = plugin.ModeScreen
		}
		state, reason, pmStatus, result := plugin.StatePaid, plugin.ReasonNone, "Settled", "0"
		switch r := rng.IntN(1000); {
		case r < 100:
			state, reason, pmStatus, result = plugin.StateNotPaid, plugin.ReasonExpired, "Expired", "0"
		case r < 130:
			state, reason, pmStatus, result = plugin.StateNotPaid, plugin.ReasonInsufficientFunds, "Rejected", "51"
		case r < 150:
			state, reason, pmStatus, result = plugin.StateNotPaid, plugin.ReasonCancelled, "Cancelled", "0"
		case r < 155:
			state, reason, pmStatus, result = plugin.StateNeedsAttention, plugin.ReasonCancelFailed, "Pending", ""
		case r < 160:
			state, reason, pmStatus, result = plugin.StateNotPaid, plugin.ReasonTechnical, "", ""
		}
		pmID, qr := "", ""
		if pmStatus != "" {
			pmID = fmt.Sprint(3_000_000_000 + int64(i)*7 + int64(rng.IntN(7)))
			qr = "https://qr.nspk.ru/AS1000" + id
		}
		errCode, errMsg := "", ""
		if state == plugin.StateNeedsAttention || reason == plugin.ReasonTechnical {
			errCode, errMsg = string(reason), plugin.TextTechnical
		}
		final := at + int64(20+rng.IntN(100))*int64(time.Second)
		if _, err := insP.ExecContext(ctx, id, checkID, orderNo, amount, mixed, int(mode), string(state),
			"key-"+id, pmID, pmStatus, result, string(reason), qr, at+int64(5*time.Minute),
			reason == plugin.ReasonCancelled, reason == plugin.ReasonCancelled, false, errCode, errMsg, at, final); err != nil {
			return err
		}
		for _, ev := range []struct {
			at                  int64
			kind, state, detail string
			actor               string
		}{
			{at, plugin.EvCreated, string(plugin.StateCreating), "", "till"},
			{at + int64(300*time.Millisecond), plugin.EvRemoteCreated, string(plugin.StateAwaitingPayment), pmID, "sbpd"},
			{final, plugin.EvFinal, string(state), string(reason), "sbpd"},
		} {
			if _, err := insE.ExecContext(ctx, id, ev.at, ev.kind, ev.state, ev.detail, ev.actor); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if _, err := raw.ExecContext(ctx, "ANALYZE; PRAGMA journal_mode=WAL"); err != nil {
		return err
	}
	if err := raw.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// loadBenchProbe picks values to search for, spread over the journal.
func loadBenchProbe(path string) error {
	raw, err := sql.Open("sqlite3", "file:"+path+"?_query_only=on")
	if err != nil {
		return err
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT check_id, order_no, paymaster_id, amount FROM payments
		WHERE rowid % 997 = 0 AND paymaster_id <> '' LIMIT 1000`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c, o, pm string
		var a int64
		if err := rows.Scan(&c, &o, &pm, &a); err != nil {
			return err
		}
		benchProbe.checks = append(benchProbe.checks, c)
		benchProbe.orders = append(benchProbe.orders, o)
		benchProbe.pmIDs = append(benchProbe.pmIDs, pm)
		benchProbe.amounts = append(benchProbe.amounts, a)
	}
	return rows.Err()
}

func openBench(b *testing.B) *sqlite.Journal {
	b.Helper()
	path := benchJournal(b)
	db, err := sqlite.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if st, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(st.Size())/(1<<20), "db-MB")
	}
	return db.Journal()
}

func benchSearch(b *testing.B, f func(i int) plugin.Filter, wantSome bool) {
	j := openBench(b)
	ctx := context.Background()
	b.ResetTimer()
	var worst time.Duration
	for i := 0; b.Loop(); i++ {
		t := time.Now()
		ps, err := j.Search(ctx, f(i))
		if d := time.Since(t); d > worst {
			worst = d
		}
		if err != nil {
			b.Fatal(err)
		}
		if wantSome && len(ps) == 0 {
			b.Fatalf("no payments for %+v", f(i))
		}
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
}

func BenchmarkJournal_SearchCheck(b *testing.B) {
	benchSearch(b, func(i int) plugin.Filter {
		return plugin.Filter{Query: benchProbe.checks[i%len(benchProbe.checks)]}
	}, true)
}

func BenchmarkJournal_SearchOrderNo(b *testing.B) {
	benchSearch(b, func(i int) plugin.Filter {
		return plugin.Filter{Query: benchProbe.orders[i%len(benchProbe.orders)]}
	}, true)
}

func BenchmarkJournal_SearchPayMasterID(b *testing.B) {
	benchSearch(b, func(i int) plugin.Filter {
		return plugin.Filter{Query: benchProbe.pmIDs[i%len(benchProbe.pmIDs)]}
	}, true)
}

func BenchmarkJournal_SearchAmountInMonth(b *testing.B) {
	benchSearch(b, func(i int) plugin.Filter {
		from := benchYear.AddDate(0, i%12, 0)
		return plugin.Filter{Query: plugin.FormatRoubles(benchProbe.amounts[i%len(benchProbe.amounts)]), From: from, To: from.AddDate(0, 1, 0)}
	}, false)
}

// A page of a filtered list: a state in a month, the page a person opens.
func BenchmarkJournal_ListStatePeriod(b *testing.B) {
	states := []plugin.State{plugin.StatePaid, plugin.StateNotPaid, plugin.StateNeedsAttention}
	benchSearch(b, func(i int) plugin.Filter {
		from := benchYear.AddDate(0, i%12, 0)
		return plugin.Filter{State: states[i%len(states)], From: from, To: from.AddDate(0, 1, 0), Limit: 50, Offset: 50 * (i % 3)}
	}, true)
}

// The CSV export of the first 100 000 rows of the year, with the heap's
// high-water mark sampled every millisecond while it runs.
func BenchmarkJournal_ExportCSV100k(b *testing.B) { benchExport(b, "csv", 100_000) }

func BenchmarkJournal_ExportXLSX100k(b *testing.B) { benchExport(b, "xlsx", 100_000) }

func benchExport(b *testing.B, format string, rows int) {
	j := openBench(b)
	ctx := context.Background()
	raw, err := sql.Open("sqlite3", "file:"+benchPath+"?_query_only=on")
	if err != nil {
		b.Fatal(err)
	}
	var to int64
	err = raw.QueryRow("SELECT created_at FROM payments ORDER BY created_at LIMIT 1 OFFSET ?", rows).Scan(&to)
	raw.Close()
	if err != nil {
		b.Fatal(err)
	}
	f := plugin.Filter{From: benchYear, To: time.Unix(0, to)}

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	var w countingWriter
	b.ResetTimer()
	for b.Loop() {
		n, err := export.Write(ctx, j, f, export.Format(format), &w, export.Options{Zone: journalZone()})
		if err != nil {
			b.Fatal(err)
		}
		if n != int64(rows) {
			b.Fatalf("exported %d rows, want %d", n, rows)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(base.HeapInuse)/(1<<20), "base-heap-MB")
	b.ReportMetric(float64(w.n)/float64(b.N)/(1<<20), "out-MB")
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)

// BenchmarkBackoffice_Page is one page of the web back office's journal
// (plugin/backoffice/web) on the 1 000 000-attempt journal: the whole
// handler, the search, "Передано в учёт" of each row and the HTML, for the
// pages a technician opens: the first page, ?state=paid, a state in a
// month (pages 1–3), a search.
//
//	go test ./cmd/sbpd/ -run '^$' -bench 'Backoffice_Page' -benchtime 200x -timeout 30m
func BenchmarkBackoffice_Page(b *testing.B) {
	path := benchJournal(b)
	db, err := sqlite.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	h := web.New(web.Options{Service: journalService(db), Zone: time.UTC})
	// A paid payment half a million rows deep: the «Старее» link's keyset
	// from there costs what the first page does.
	deep, err := db.Journal().Search(context.Background(), plugin.Filter{State: plugin.StatePaid, Limit: 1, Offset: 500000})
	if err != nil || len(deep) != 1 {
		b.Fatal(len(deep), err)
	}
	for _, c := range []struct {
		name string
		url  func(i int) string
	}{
		{"first", func(int) string { return "/backoffice/" }},
		{"paid", func(int) string { return "/backoffice/?state=paid" }},
		{"paid-offset-1000", func(int) string { return "/backoffice/?state=paid&offset=1000" }},
		{"paid-offset-10000", func(int) string { return "/backoffice/?state=paid&offset=10000" }},
		{"paid-before-deep", func(int) string { return "/backoffice/?state=paid&before=" + deep[0].ID }},
		{"all-before-deep", func(int) string { return "/backoffice/?before=" + deep[0].ID }},
		{"state-month", func(i int) string {
			st := []string{"paid", "not_paid", "needs_attention"}[i%3]
			from := benchYear.AddDate(0, i%12, 0)
			return fmt.Sprintf("/backoffice/?state=%s&from=%s&to=%s&offset=%d", st, from.Format(time.DateOnly),
				from.AddDate(0, 1, -1).Format(time.DateOnly), 50*(i%3))
		}},
		{"search-order", func(i int) string { return "/backoffice/?q=" + benchProbe.orders[i%len(benchProbe.orders)] }},
	} {
		b.Run(c.name, func(b *testing.B) {
			var worst time.Duration
			var cookie *http.Cookie
			for i := 0; b.Loop(); i++ {
				req := httptest.NewRequest("GET", c.url(i), nil)
				if cookie != nil {
					req.AddCookie(cookie)
				}
				rec := httptest.NewRecorder()
				t := time.Now()
				h.ServeHTTP(rec, req)
				if d := time.Since(t); d > worst {
					worst = d
				}
				if rec.Code != 200 || !strings.Contains(rec.Body.String(), `<tr data-id=`) {
					b.Fatalf("%s: %d\n%.400s", c.url(i), rec.Code, rec.Body.String())
				}
				if cs := rec.Result().Cookies(); len(cs) > 0 {
					cookie = cs[0]
				}
			}
			b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
		})
	}
}
