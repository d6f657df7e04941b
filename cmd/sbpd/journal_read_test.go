package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
)

var msk = time.FixedZone("MSK", 3*60*60)

// journalFixture is a data_dir with a journal of four payments, and a
// config naming it. Times show in MSK.
type journalFixture struct {
	t       *testing.T
	dataDir string
	config  string
}

func newJournalFixture(t *testing.T) *journalFixture {
	t.Helper()
	old := journalZone
	journalZone = func() *time.Location { return msk }
	t.Cleanup(func() { journalZone = old })
	dir := t.TempDir()
	fx := &journalFixture{t: t, dataDir: filepath.Join(dir, "data"), config: filepath.Join(dir, "sbpd.yaml")}
	if err := os.MkdirAll(fx.dataDir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fx.config, []byte("data_dir: "+fx.dataDir+"\ntill:\n  id: K07\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return fx
}

// seed records the four fixture payments:
//
//	p1 2025-03-14 10:00 check 100234 K07-100234-1 259,90 screen paid pm-111
//	p2 2025-03-15 12:00 check 100235 K07-100235-1 120,00 print mixed not_paid insufficient_funds pm-222
//	p3 2025-03-16 09:30 check 100236 K07-100236-1 259,90 sticker needs_attention cancel_failed pm-333
//	p4 2025-03-16 18:00 check 100234 K07-100234-2 259,90 screen creating (no PayMaster id yet)
func (fx *journalFixture) seed() {
	t := fx.t
	t.Helper()
	db, err := sqlite.Open(filepath.Join(fx.dataDir, "sbpd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	j := db.Journal()
	ctx := context.Background()
	type step struct {
		kind   string
		state  plugin.State
		detail string
	}
	add := func(id, check, order string, amount int64, mode plugin.Mode, mixed bool, at time.Time, pm string, final plugin.State, reason plugin.Reason) {
		p := &plugin.Payment{ID: id, CheckID: check, OrderNo: order, Amount: amount, Mode: mode, Mixed: mixed,
			State: plugin.StateCreating, IdempotencyKey: "key-" + id, ExpiresAt: at.Add(5 * time.Minute), CreatedAt: at, UpdatedAt: at}
		if err := j.Create(ctx, p, plugin.Event{Kind: plugin.EvCreated, At: at, Actor: "till"}); err != nil {
			t.Fatal(err)
		}
		if pm == "" {
			return
		}
		at = at.Add(time.Second)
		p.State, p.PayMasterID, p.UpdatedAt, p.QRPayload = plugin.StateAwaitingPayment, pm, at, "https://qr.nspk.ru/"+pm
		if err := j.Update(ctx, p, plugin.Event{Kind: plugin.EvRemoteCreated, At: at, Actor: "sbpd", Detail: "paymaster id " + pm}); err != nil {
			t.Fatal(err)
		}
		if final == plugin.StateAwaitingPayment {
			return
		}
		at = at.Add(30 * time.Second)
		p.State, p.Reason, p.UpdatedAt = final, reason, at
		switch final {
		case plugin.StatePaid:
			p.PayMasterStatus, p.ResultCode = "Settled", "0"
		case plugin.StateNotPaid:
			p.PayMasterStatus, p.ResultCode = "Rejected", "51"
		case plugin.StateNeedsAttention:
			p.PayMasterStatus, p.CancelRequested = "Pending", true
			p.Error = &plugin.APIError{Code: string(reason), Message: plugin.TextNeedsAttention}
		}
		kind := plugin.EvFinal
		if final == plugin.StateNeedsAttention {
			kind = plugin.EvAttention
		}
		if err := j.Update(ctx, p, plugin.Event{Kind: kind, At: at, Actor: "sbpd", Detail: string(reason)}); err != nil {
			t.Fatal(err)
		}
	}
	add("p1", "100234", "K07-100234-1", 25990, plugin.ModeScreen, false, time.Date(2025, 3, 14, 10, 0, 0, 0, msk), "pm-111", plugin.StatePaid, "")
	add("p2", "100235", "K07-100235-1", 12000, plugin.ModePrint, true, time.Date(2025, 3, 15, 12, 0, 0, 0, msk), "pm-222", plugin.StateNotPaid, plugin.ReasonInsufficientFunds)
	add("p3", "100236", "K07-100236-1", 25990, plugin.ModeSticker, false, time.Date(2025, 3, 16, 9, 30, 0, 0, msk), "pm-333", plugin.StateNeedsAttention, plugin.ReasonCancelFailed)
	add("p4", "100234", "K07-100234-2", 25990, plugin.ModeScreen, false, time.Date(2025, 3, 16, 18, 0, 0, 0, msk), "", "", "")
}

// run runs sbpd journal ARGS against the fixture and returns its output.
func (fx *journalFixture) run(args ...string) (stdout, stderr string, err error) {
	fx.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o, e, done := runCLI(ctx, append([]string{"--config", fx.config, "journal"}, args...)...)
	err = <-done
	return o.String(), e.String(), err
}

func (fx *journalFixture) mustRun(args ...string) string {
	fx.t.Helper()
	out, errOut, err := fx.run(args...)
	if err != nil {
		fx.t.Fatalf("journal %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// listIDs runs list --json with args and returns the ids in order.
func (fx *journalFixture) listIDs(args ...string) []string {
	fx.t.Helper()
	out := fx.mustRun(append([]string{"list", "--json"}, args...)...)
	var ps []plugin.Payment
	if err := json.Unmarshal([]byte(out), &ps); err != nil {
		fx.t.Fatalf("list --json %v: %v\n%s", args, err, out)
	}
	ids := []string{}
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return ids
}

func TestJournalList_FiltersAndSearch(t *testing.T) {
	fx := newJournalFixture(t)
	fx.seed()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "p4 p3 p2 p1"},
		{[]string{"--state", "paid"}, "p1"},
		{[]string{"--state", "needs_attention"}, "p3"},
		{[]string{"--state", "canceling"}, ""},
		{[]string{"--from", "2025-03-15"}, "p4 p3 p2"},
		{[]string{"--to", "2025-03-15"}, "p2 p1"}, // a date --to includes that day
		{[]string{"--from", "2025-03-15", "--to", "2025-03-15"}, "p2"},
		{[]string{"--from", "2025-03-16T09:30:00+03:00"}, "p4 p3"},
		{[]string{"--to", "2025-03-16T09:30:00+03:00"}, "p2 p1"}, // an RFC3339 --to is exclusive
		{[]string{"--from", "2025-03-16T06:00:00Z", "--to", "2025-03-16T07:00:00Z"}, "p3"},
		{[]string{"--mode", "0"}, "p2"},
		{[]string{"--mode", "1"}, "p4 p1"},
		{[]string{"--mode", "2"}, "p3"},
		{[]string{"--mixed", "true"}, "p2"},
		{[]string{"--mixed", "false"}, "p4 p3 p1"},
		{[]string{"--check", "100234"}, "p4 p1"},
		{[]string{"--check", "100234", "--state", "paid"}, "p1"},
		{[]string{"-q", "100236"}, "p3"},                // check id
		{[]string{"-q", "K07-100234-2"}, "p4"},          // order number
		{[]string{"-q", "pm-222"}, "p2"},                // PayMaster id
		{[]string{"-q", "p3"}, "p3"},                    // our id
		{[]string{"-q", "25990"}, "p4 p3 p1"},           // kopecks
		{[]string{"-q", "259,90"}, "p4 p3 p1"},          // roubles, comma
		{[]string{"-q", "259.90"}, "p4 p3 p1"},          // roubles, dot
		{[]string{"--query", " 120,00 "}, "p2"},         // trimmed
		{[]string{"-q", "259,90", "--mode", "2"}, "p3"}, // search and filter
		{[]string{"-q", "nothing"}, ""},
		{[]string{"--limit", "2"}, "p4 p3"},
		{[]string{"--limit", "2", "--page", "2"}, "p2 p1"},
		{[]string{"--limit", "2", "--page", "3"}, ""},
		{[]string{"--limit", "2", "--offset", "1"}, "p3 p2"},
	} {
		if got := strings.Join(fx.listIDs(tc.args...), " "); got != tc.want {
			t.Errorf("list %v = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestJournalList_Table(t *testing.T) {
	fx := newJournalFixture(t)
	fx.seed()
	out, errOut, err := fx.run("list", "--limit", "3")
	if err != nil {
		t.Fatal(err, errOut)
	}
	want := `CREATED              CHECK   ORDER NO      AMOUNT  MODE       STATE            PAYMASTER ID  REASON
2025-03-16 18:00:00  100234  K07-100234-2  259,90  1 screen   creating         -             -
2025-03-16 09:30:00  100236  K07-100236-1  259,90  2 sticker  needs_attention  pm-333        cancel_failed
2025-03-15 12:00:00  100235  K07-100235-1  120,00  0 print    not_paid         pm-222        insufficient_funds
`
	if out != want {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(errOut, "payments 1-3 shown; more with --page 2") {
		t.Errorf("stderr %q: want a hint about the next page", errOut)
	}
	out, errOut, err = fx.run("list", "--state", "canceling")
	if err != nil || out != "" || !strings.Contains(errOut, "no payments match") {
		t.Errorf("empty list: out %q, err %v, stderr %q", out, err, errOut)
	}
}

func TestJournalList_JSON(t *testing.T) {
	fx := newJournalFixture(t)
	fx.seed()
	out := fx.mustRun("list", "--json", "-q", "pm-222")
	var ps []map[string]any
	if err := json.Unmarshal([]byte(out), &ps); err != nil {
		t.Fatal(err, out)
	}
	if len(ps) != 1 {
		t.Fatalf("got %d payments, want 1", len(ps))
	}
	p := ps[0]
	for k, want := range map[string]any{
		"id": "p2", "check_id": "100235", "order_no": "K07-100235-1", "amount": 12000.0, "mixed": true,
		"mode": 0.0, "state": "not_paid", "state_code": 6.0, "paymaster_id": "pm-222", "reason": "insufficient_funds",
		"message": plugin.TextInsufficient, "created_at": "2025-03-15T09:00:00Z",
	} {
		if p[k] != want {
			t.Errorf("%s = %v, want %v", k, p[k], want)
		}
	}
	if out := fx.mustRun("list", "--json", "-q", "none"); strings.TrimSpace(out) != "[]" {
		t.Errorf("empty --json = %q, want []", out)
	}
}

func TestJournalShow(t *testing.T) {
	fx := newJournalFixture(t)
	fx.seed()
	for _, ref := range []string{"p3", "K07-100236-1", "pm-333"} {
		out := fx.mustRun("show", ref)
		for _, want := range []string{
			"id:                p3\n", "check:             100236\n", "order no:          K07-100236-1\n", "till:              K07\n",
			"amount:            259,90 RUB (25990 kopecks)\n", "mode:              2 sticker\n",
			"state:             needs_attention (7)\n", "reason:            cancel_failed\n",
			"paymaster status:  Pending\n", "cancel requested:  true\n",
			"created:           2025-03-16 09:30:00 +03:00\n",
			"events (3):\n",
			"2025-03-16 09:30:00.000  created          creating          till   -\n",
			"2025-03-16 09:30:01.000  remote_created   awaiting_payment  sbpd   paymaster id pm-333\n",
			"2025-03-16 09:30:31.000  needs_attention  needs_attention   sbpd   cancel_failed\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("show %s: missing %q in\n%s", ref, want, out)
			}
		}
	}
	out := fx.mustRun("show", "K07-100234-1", "--json")
	var v struct {
		Payment plugin.Payment `json:"payment"`
		TillID  string         `json:"till_id"`
		Events  []plugin.Event `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err, out)
	}
	if v.Payment.ID != "p1" || v.Payment.State != plugin.StatePaid || v.TillID != "K07" || len(v.Events) != 3 ||
		v.Events[2].Kind != plugin.EvFinal || v.Events[0].Actor != "till" {
		t.Errorf("show --json = %+v", v)
	}
}

func TestJournal_BadInput(t *testing.T) {
	fx := newJournalFixture(t)
	// No journal yet: a read command says so and does not create one.
	for _, args := range [][]string{{"list"}, {"show", "p1"}, {"export", "--format", "csv"}} {
		_, _, err := fx.run(args...)
		if err == nil || !strings.Contains(err.Error(), "no journal at") {
			t.Errorf("%v without a journal: %v", args, err)
		}
	}
	if _, err := os.Stat(filepath.Join(fx.dataDir, "sbpd.db")); !os.IsNotExist(err) {
		t.Fatalf("a read command created the journal: %v", err)
	}
	fx.seed()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "--state", "done"}, `--state "done" is not a state: use one of creating, awaiting_payment, status_unknown, canceling, paid, not_paid, needs_attention`},
		{[]string{"list", "--from", "14.03.2025"}, `--from "14.03.2025": not a time: use RFC3339 (2025-03-14T09:00:00+03:00) or a date YYYY-MM-DD`},
		{[]string{"list", "--to", "yesterday"}, `--to "yesterday": not a time`},
		{[]string{"list", "--from", "2025-03-16", "--to", "2025-03-15"}, "is not before --to"},
		{[]string{"list", "--mode", "3"}, `--mode "3" is not a mode: use 0 (print), 1 (screen) or 2 (sticker)`},
		{[]string{"list", "--mixed", "maybe"}, `--mixed "maybe": use true or false`},
		{[]string{"list", "--limit", "0"}, "--limit 0: use 1 to 1000"},
		{[]string{"list", "--page", "0"}, "--page 0: pages start at 1"},
		{[]string{"list", "--page", "2", "--offset", "5"}, "--page and --offset both given"},
		{[]string{"list", "--offset", "-1"}, "--offset -1: use 0 or more"},
		{[]string{"show", "nope"}, `no payment with id, order number or PayMaster id "nope"`},
		{[]string{"show"}, "accepts 1 arg(s)"},
		{[]string{"export"}, `--format "": use csv or xlsx`},
		{[]string{"export", "--format", "pdf"}, `--format "pdf": use csv or xlsx`},
		{[]string{"export", "--format", "csv", "-o", filepath.Join(fx.dataDir, "missing", "x.csv")}, "-o "},
	} {
		_, _, err := fx.run(tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want it to contain %q", tc.args, err, tc.want)
		}
	}
}

const csvHeader = "created_at,updated_at,id,till_id,check_id,order_no,paymaster_id,amount_rub,amount_kopecks,mode,mixed,state,state_code,paymaster_status,result_code,reason,error,cancel_requested,cancel_sent,late_settle\n"

func TestJournalExport_CSV(t *testing.T) {
	fx := newJournalFixture(t)
	fx.seed()
	want := csvHeader +
		"2025-03-14T10:00:00+03:00,2025-03-14T10:00:31+03:00,p1,K07,100234,K07-100234-1,pm-111,259.90,25990,1,false,paid,5,Settled,0,,,false,false,false\n" +
		"2025-03-15T12:00:00+03:00,2025-03-15T12:00:31+03:00,p2,K07,100235,K07-100235-1,pm-222,120.00,12000,0,true,not_paid,6,Rejected,51,insufficient_funds,,false,false,false\n" +
		"2025-03-16T09:30:00+03:00,2025-03-16T09:30:31+03:00,p3,K07,100236,K07-100236-1,pm-333,259.90,25990,2,false,needs_attention,7,Pending,,cancel_failed,cancel_failed: " + plugin.TextNeedsAttention + ",true,false,false\n" +
		"2025-03-16T18:00:00+03:00,2025-03-16T18:00:00+03:00,p4,K07,100234,K07-100234-2,,259.90,25990,1,false,creating,1,,,,,false,false,false\n"
	if got := fx.mustRun("export", "--format", "csv"); got != want {
		t.Errorf("csv to stdout:\n%s\nwant:\n%s", got, want)
	}
	// Filters as list's, to a file.
	path := filepath.Join(t.TempDir(), "paid.csv")
	_, errOut, err := fx.run("export", "--format", "csv", "-o", path, "-q", "259,90", "--from", "2025-03-16")
	if err != nil {
		t.Fatal(err, errOut)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(want, "\n")
	if got, want := string(b), csvHeader+lines[3]+"\n"+lines[4]+"\n"; got != want {
		t.Errorf("csv -o:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(errOut, "exported 2 payments to "+path) || strings.Contains(errOut, "\r") {
		t.Errorf("stderr %q: want the count and no progress bar (not a terminal)", errOut)
	}
	// An empty selection is the header alone.
	if got := fx.mustRun("export", "--format", "csv", "--state", "canceling"); got != csvHeader {
		t.Errorf("empty csv = %q", got)
	}
}

func TestJournalExport_XLSX(t *testing.T) {
	fx := newJournalFixture(t)
	fx.seed()
	path := filepath.Join(t.TempDir(), "all.xlsx")
	fx.mustRun("export", "--format", "xlsx", "-o", path)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(xlsxSheet)
	if err != nil {
		t.Fatal(err)
	}
	// The same cells as the CSV export, as the spreadsheet shows them.
	csvOut := fx.mustRun("export", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(recs) {
		t.Fatalf("xlsx has %d rows, csv %d", len(rows), len(recs))
	}
	for r := range recs {
		for c := range recs[r] {
			want := recs[r][c]
			if r > 0 {
				switch c {
				case 0, 1: // a date-time cell shown in local time
					tm, _ := time.Parse(time.RFC3339, want)
					want = tm.Format("2006-01-02 15:04:05")
				case 10, 17, 18, 19:
					want = strings.ToUpper(want)
				}
			}
			got := ""
			if c < len(rows[r]) {
				got = rows[r][c]
			}
			if got != want {
				t.Errorf("cell row %d col %d (%s) = %q, want %q", r+1, c+1, exportHeader[c], got, want)
			}
		}
	}
	// The amount is a number cell, exactly the decimal, shown with two decimals.
	for cell, want := range map[string]string{"H2": "259.9", "H3": "120", "H4": "259.9"} {
		raw, err := f.GetCellValue(xlsxSheet, cell, excelize.Options{RawCellValue: true})
		if err != nil || raw != want {
			t.Errorf("raw %s = %q, %v; want %q", cell, raw, err, want)
		}
		typ, _ := f.GetCellType(xlsxSheet, cell)
		if typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
			t.Errorf("%s type %v, want a number", cell, typ)
		}
		style, _ := f.GetCellStyle(xlsxSheet, cell)
		st, err := f.GetStyle(style)
		if err != nil || st.CustomNumFmt == nil || *st.CustomNumFmt != "0.00" {
			t.Errorf("%s style %+v, %v: want number format 0.00", cell, st, err)
		}
	}
	if v, _ := f.GetCellValue(xlsxSheet, "H3"); v != "120.00" {
		t.Errorf("H3 shows %q, want 120.00", v)
	}
	if raw, _ := f.GetCellValue(xlsxSheet, "I2", excelize.Options{RawCellValue: true}); raw != "25990" {
		t.Errorf("I2 = %q, want 25990", raw)
	}

	// An empty selection is the header row alone.
	empty := filepath.Join(t.TempDir(), "empty.xlsx")
	fx.mustRun("export", "--format", "xlsx", "-o", empty, "--state", "canceling")
	f2, err := excelize.OpenFile(empty)
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	if rows, _ := f2.GetRows(xlsxSheet); len(rows) != 1 || strings.Join(rows[0], ",")+"\n" != csvHeader {
		t.Errorf("empty xlsx rows %v", rows)
	}
	// To standard output when it is not a terminal.
	out := fx.mustRun("export", "--format", "xlsx", "--check", "100235")
	f3, err := excelize.OpenReader(bytes.NewReader([]byte(out)))
	if err != nil {
		t.Fatal(err)
	}
	defer f3.Close()
	if v, _ := f3.GetCellValue(xlsxSheet, "C2"); v != "p2" {
		t.Errorf("xlsx on stdout C2 = %q, want p2", v)
	}
}

// TestJournalExport_Streams exports more rows than any batch and checks
// that Each hands them over one at a time from a cursor: a consumer that
// stops early gets exactly as many as it asked for.
func TestJournalExport_Streams(t *testing.T) {
	fx := newJournalFixture(t)
	db, err := sqlite.Open(filepath.Join(fx.dataDir, "sbpd.db"))
	if err != nil {
		t.Fatal(err)
	}
	j := db.Journal()
	ctx := context.Background()
	const n = 3000
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		at := start.Add(time.Duration(i) * time.Minute)
		p := &plugin.Payment{ID: fmt.Sprintf("s%05d", i), CheckID: fmt.Sprint(200000 + i), OrderNo: fmt.Sprintf("K07-%d-1", 200000+i),
			Amount: int64(100 + i), Mode: plugin.ModeScreen, State: plugin.StatePaid, CreatedAt: at, UpdatedAt: at}
		if err := j.Create(ctx, p, plugin.Event{Kind: plugin.EvCreated, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	seen := 0
	stop := fmt.Errorf("enough")
	err = j.Each(ctx, plugin.Filter{}, func(p *plugin.Payment) error {
		if want := fmt.Sprintf("s%05d", seen); p.ID != want {
			t.Fatalf("row %d is %s, want %s (oldest first)", seen, p.ID, want)
		}
		seen++
		if seen == 10 {
			return stop
		}
		return nil
	})
	if err != stop || seen != 10 {
		t.Fatalf("Each stopped with %v after %d rows", err, seen)
	}
	if c, err := j.Count(ctx, plugin.Filter{From: start.Add(time.Hour)}); err != nil || c != n-60 {
		t.Fatalf("Count = %d, %v; want %d", c, err, n-60)
	}
	db.Close()

	out := fx.mustRun("export", "--format", "csv")
	if lines := strings.Count(out, "\n"); lines != n+1 {
		t.Fatalf("export has %d lines, want %d", lines, n+1)
	}
	if !strings.Contains(out, "\n2025-01-03T01:59:00+03:00,") || !strings.HasSuffix(out, ",false,false,false\n") {
		t.Errorf("export tail: %q", out[len(out)-200:])
	}
}

func TestJournalExport_Progress(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	p := &progress{w: &buf, total: 4, every: time.Second, now: func() time.Time { return now }}
	p.add() // drawn: the first call is past the zero last time
	p.add() // throttled
	now = now.Add(2 * time.Second)
	p.add()
	p.add() // the last row is always drawn
	p.finish()
	want := "\rexport [#######.......................] 1/4 rows  25%" +
		"\rexport [######################........] 3/4 rows  75%" +
		"\rexport [##############################] 4/4 rows 100%" +
		"\rexport [##############################] 4/4 rows 100%\n"
	if buf.String() != want {
		t.Errorf("progress %q\nwant     %q", buf.String(), want)
	}
	var nilp *progress
	nilp.add()
	nilp.finish()
}

func TestJournal_TillOf(t *testing.T) {
	for _, tc := range []struct{ check, order, want string }{
		{"100234", "K07-100234-1", "K07"},
		{"A-1", "KIOSK-2-A-1-12", "KIOSK-2"},
		{"100234", "100234-1", ""},
		{"100234", "K07-999-1", ""},
		{"100234", "K07-100234-x", ""},
	} {
		if got := tillOf(&plugin.Payment{CheckID: tc.check, OrderNo: tc.order}); got != tc.want {
			t.Errorf("tillOf(%s, %s) = %q, want %q", tc.check, tc.order, got, tc.want)
		}
	}
}
