package export

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sbpd/sbpd/plugin"
)

var msk = time.FixedZone("MSK", 3*60*60)

// fakeSource hands over its payments, or fails after failAfter of them.
type fakeSource struct {
	ps        []*plugin.Payment
	failAfter int
	got       plugin.Filter
}

var errRead = errors.New("disk I/O error")

func (s *fakeSource) Each(_ context.Context, f plugin.Filter, fn func(*plugin.Payment) error) error {
	s.got = f
	for i, p := range s.ps {
		if s.failAfter > 0 && i == s.failAfter {
			return errRead
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

func payment(id, check, order string, amount int64) *plugin.Payment {
	at := time.Date(2025, 3, 14, 7, 0, 0, 0, time.UTC)
	return &plugin.Payment{ID: id, CheckID: check, OrderNo: order, Amount: amount, Mode: plugin.ModeScreen,
		State: plugin.StatePaid, PayMasterID: "pm-" + id, PayMasterStatus: "Settled", ResultCode: "0",
		CreatedAt: at, UpdatedAt: at.Add(31 * time.Second)}
}

const header = "created_at,updated_at,id,till_id,check_id,order_no,paymaster_id,amount_rub,amount_kopecks,mode,mixed,state,state_code,paymaster_status,result_code,reason,error,cancel_requested,cancel_sent,late_settle"

func TestWrite_CSV(t *testing.T) {
	p2 := payment("p2", "100235", "K07-100235-1", 12000)
	p2.State, p2.Mixed, p2.Reason = plugin.StateNotPaid, true, plugin.ReasonInsufficientFunds
	p2.Error = &plugin.APIError{Code: "insufficient_funds", Message: "no money"}
	src := &fakeSource{ps: []*plugin.Payment{payment("p1", "100234", "K07-100234-1", 25990), p2}}
	var buf bytes.Buffer
	rows := 0
	f := plugin.Filter{CheckID: "x"}
	n, err := Write(context.Background(), src, f, CSV, &buf, Options{Zone: msk, OnRow: func() { rows++ }})
	if err != nil || n != 2 || rows != 2 || src.got.CheckID != "x" {
		t.Fatalf("Write = %d, %v; %d rows counted; filter %+v", n, err, rows, src.got)
	}
	want := header + "\n" +
		"2025-03-14T10:00:00+03:00,2025-03-14T10:00:31+03:00,p1,K07,100234,K07-100234-1,pm-p1,259.90,25990,1,false,paid,5,Settled,0,,,false,false,false\n" +
		"2025-03-14T10:00:00+03:00,2025-03-14T10:00:31+03:00,p2,K07,100235,K07-100235-1,pm-p2,120.00,12000,1,true,not_paid,6,Settled,0,insufficient_funds,insufficient_funds: no money,false,false,false\n"
	if buf.String() != want {
		t.Errorf("csv:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestWrite_Empty(t *testing.T) {
	var buf bytes.Buffer
	if n, err := Write(context.Background(), &fakeSource{}, plugin.Filter{}, CSV, &buf, Options{}); err != nil || n != 0 || buf.String() != header+"\n" {
		t.Errorf("empty = %d, %v, %q", n, err, buf.String())
	}
}

func TestCSVCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"100234", "100234"},
		{"K07-100234-1", "K07-100234-1"},
		{"-150", "-150"},     // a number stays a number
		{"-1.50", "-1.50"},   // with a point
		{"-1,50", "-1,50"},   // with a comma
		{"+7", "+7"},         // with a plus
		{"259.90", "259.90"}, // plain
		{"=1+1", "'=1+1"},
		{`=HYPERLINK("http://evil")`, `'=HYPERLINK("http://evil")`},
		{"+cmd|calc!A0", "'+cmd|calc!A0"},
		{"-2+3+cmd", "'-2+3+cmd"},
		{"@SUM(1+1)", "'@SUM(1+1)"},
		{"\t=1", "'\t=1"},
		{"\rx", "'\rx"},
		{"-", "'-"},
		{"-1.", "'-1."},
		{"-.5", "'-.5"},
		{"1-2", "1-2"},
		{"a=b", "a=b"},
	} {
		if got := CSVCell(tc.in); got != tc.want {
			t.Errorf("CSVCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRow_Escapes(t *testing.T) {
	p := payment("h1", "@SUM(1+1)", "\x1b]0;pwned\x07", -150)
	p.PayMasterStatus, p.ResultCode = "\rSettled", "-1"
	p.Error = &plugin.APIError{Code: "cancel_failed", Message: "\u202egnp.exe\u2066\u009b31m\x7f"}
	rec := Row(p, msk)
	for i, v := range rec {
		if v != plugin.Printable(v) {
			t.Errorf("%s = %q holds a raw control", Header[i], v)
		}
	}
	for col, want := range map[int]string{
		3: "", 5: `\x1b]0;pwned\x07`, colAmount: "-1.50", colKopecks: "-150", 13: `\x0dSettled`,
		16: `cancel_failed: \u202egnp.exe\u2066\u009b31m\x7f`,
	} {
		if rec[col] != want {
			t.Errorf("%s = %q, want %q", Header[col], rec[col], want)
		}
	}
	var buf bytes.Buffer
	if _, err := Write(context.Background(), &fakeSource{ps: []*plugin.Payment{p}}, plugin.Filter{}, CSV, &buf, Options{Zone: msk}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatal(recs, err)
	}
	for col, want := range map[int]string{4: "'@SUM(1+1)", colAmount: "-1.50", colKopecks: "-150", 14: "-1", 13: `\x0dSettled`} {
		if recs[1][col] != want {
			t.Errorf("csv %s = %q, want %q", Header[col], recs[1][col], want)
		}
	}
}

// TestWrite_XLSX: every cell of a register row, its value as a spreadsheet
// shows it, its raw value and its type; the number formats of the amount
// and the two times; the sheet's layout.
func TestWrite_XLSX(t *testing.T) {
	p := payment("p1", "=1+1", "K07-=1+1-2", 25990)
	p.Mixed, p.CancelRequested = true, true
	var buf bytes.Buffer
	n, err := Write(context.Background(), &fakeSource{ps: []*plugin.Payment{p}}, plugin.Filter{}, XLSX, &buf, Options{Zone: msk})
	if err != nil || n != 1 {
		t.Fatal(n, err)
	}
	checkParts(t, buf.Bytes())
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(Sheet)
	if err != nil || len(rows) != 2 || strings.Join(rows[0], ",") != header {
		t.Fatalf("rows %v, %v", rows, err)
	}
	checkLayout(t, f)
	for i, h := range Header {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		cellIs(t, f, cell, h, h, excelize.CellTypeInlineString)
	}
	text, num, boolean := excelize.CellTypeInlineString, excelize.CellTypeNumber, excelize.CellTypeBool
	for _, c := range []struct {
		cell, shown, raw string
		typ              excelize.CellType
	}{
		{"A2", "2025-03-14 10:00:00", "45730.4166666667", num}, {"B2", "2025-03-14 10:00:31", "45730.417025463", num},
		{"C2", "p1", "p1", text}, {"D2", "K07", "K07", text}, {"E2", "=1+1", "=1+1", text},
		{"F2", "K07-=1+1-2", "K07-=1+1-2", text}, {"G2", "pm-p1", "pm-p1", text}, {"H2", "259.90", "259.9", num},
		{"I2", "25990", "25990", num}, {"J2", "1", "1", num}, {"K2", "TRUE", "1", boolean}, {"L2", "paid", "paid", text},
		{"M2", "5", "5", num}, {"N2", "Settled", "Settled", text}, {"O2", "0", "0", text},
		{"P2", "", "", excelize.CellTypeUnset}, {"Q2", "", "", excelize.CellTypeUnset},
		{"R2", "TRUE", "1", boolean}, {"S2", "FALSE", "0", boolean}, {"T2", "FALSE", "0", boolean},
	} {
		cellIs(t, f, c.cell, c.shown, c.raw, c.typ)
		want := map[string]string{"A2": "yyyy-mm-dd hh:mm:ss", "B2": "yyyy-mm-dd hh:mm:ss", "H2": "0.00"}[c.cell]
		if got := numFmtOf(t, f, c.cell); got != want {
			t.Errorf("%s number format %q, want %q", c.cell, got, want)
		}
		// A text cell is text, never a formula.
		if formula, _ := f.GetCellFormula(Sheet, c.cell); formula != "" {
			t.Errorf("%s is a formula %q", c.cell, formula)
		}
	}
}

// TestWrite_XLSXHostileText: a text from outside holding every C0 control,
// DEL, a bidi override and U+FFFE/U+FFFF reaches the cell with the
// controls and the two non-characters XML 1.0 forbids shown as
// plugin.Printable shows them, as in the CSV: the sheet stays a
// well-formed document and drops nothing.
func TestWrite_XLSXHostileText(t *testing.T) {
	var c0 strings.Builder
	for r := range rune(0x20) {
		c0.WriteRune(r)
	}
	p := payment("p1", "1", "K07-1-1", 100)
	p.PayMasterStatus = "a" + c0.String() + "\x7f\u202e\uFFFE\uFFFF<&>z"
	var buf bytes.Buffer
	if _, err := Write(context.Background(), &fakeSource{ps: []*plugin.Payment{p}}, plugin.Filter{}, XLSX, &buf, Options{Zone: msk}); err != nil {
		t.Fatal(err)
	}
	checkParts(t, buf.Bytes())
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := `a\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f\u202e\ufffe\uffff<&>z`
	if v, _ := f.GetCellValue(Sheet, "N2"); v != want {
		t.Errorf("N2 = %q\nwant %q", v, want)
	}
}

func TestWrite_Errors(t *testing.T) {
	ps := []*plugin.Payment{payment("p1", "1", "K07-1-1", 100), payment("p2", "2", "K07-2-1", 100)}
	for _, format := range []Format{CSV, XLSX} {
		var buf bytes.Buffer
		n, err := Write(context.Background(), &fakeSource{ps: ps, failAfter: 1}, plugin.Filter{}, format, &buf, Options{})
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeWrite || !errors.Is(err, errRead) || n != 1 {
			t.Errorf("%s: a failed read = %d, %v", format, n, err)
		}
		// A failed XLSX is not completed: what the zip writer still held
		// (here all of it) is dropped, nothing more is written.
		if format == XLSX && buf.Len() != 0 {
			t.Errorf("a failed XLSX export wrote %d bytes (a partial workbook)", buf.Len())
		}
	}
	_, err := Write(context.Background(), &fakeSource{}, plugin.Filter{}, "pdf", &bytes.Buffer{}, Options{})
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeFormat || err.Error() != `format "pdf": use csv or xlsx` {
		t.Errorf("pdf: %v", err)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"csv": CSV, " XLSX ": XLSX, "Csv": CSV} {
		if got, err := ParseFormat(in); got != want || err != nil {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "pdf", "xls"} {
		if _, err := ParseFormat(in); err == nil || err.Error() != `format "`+in+`": use csv or xlsx` {
			t.Errorf("ParseFormat(%q) = %v", in, err)
		}
	}
}

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	p := &Progress{W: &buf, Total: 4, Every: time.Second, Now: func() time.Time { return now }}
	p.Add() // drawn: the first call is past the zero last time
	p.Add() // throttled
	now = now.Add(2 * time.Second)
	p.Add()
	p.Add() // the last row is always drawn
	p.Finish()
	want := "\rexport [#######.......................] 1/4 rows  25%" +
		"\rexport [######################........] 3/4 rows  75%" +
		"\rexport [##############################] 4/4 rows 100%" +
		"\rexport [##############################] 4/4 rows 100%\n"
	if buf.String() != want {
		t.Errorf("progress %q\nwant     %q", buf.String(), want)
	}
	var nilp *Progress
	nilp.Add()
	nilp.Finish()
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/march.csv"
	src := &fakeSource{ps: []*plugin.Payment{payment("p1", "1", "K07-1-1", 100)}}
	if n, err := WriteFile(context.Background(), src, plugin.Filter{}, CSV, path, Options{}); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Fatalf("%v, %v: want a 0640 file", st, err)
	}
	// A failed export leaves neither the file nor a temporary one.
	failed := dir + "/failed.csv"
	src = &fakeSource{ps: src.ps, failAfter: 1}
	src.ps = append(src.ps, src.ps[0])
	if _, err := WriteFile(context.Background(), src, plugin.Filter{}, CSV, failed, Options{}); !errors.Is(err, errRead) {
		t.Errorf("failed export: %v", err)
	}
	if _, err := WriteFile(context.Background(), src, plugin.Filter{}, XLSX, dir+"/failed.xlsx", Options{}); !errors.Is(err, errRead) {
		t.Errorf("failed XLSX export: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	if _, err := WriteFile(context.Background(), src, plugin.Filter{}, CSV, dir+"/missing/x.csv", Options{}); err == nil || !strings.HasPrefix(err.Error(), "-o ") {
		t.Errorf("missing directory: %v", err)
	}
}

// maxWriter records the largest single write it was handed.
type maxWriter struct {
	bytes.Buffer
	max, writes int
}

func (w *maxWriter) Write(b []byte) (int, error) {
	w.max, w.writes = max(w.max, len(b)), w.writes+1
	return w.Buffer.Write(b)
}

// TestWrite_XLSXStreams: the XLSX file goes out as it is zipped, in small
// writes, not built whole in memory and handed over in one write (125 MB
// for a million payments, and one write under one deadline on a slow
// link).
func TestWrite_XLSXStreams(t *testing.T) {
	var ps []*plugin.Payment
	for i := range 5000 {
		ps = append(ps, payment(fmt.Sprint("p", i), fmt.Sprint(100000+i), fmt.Sprint("K07-", 100000+i, "-1"), int64(100+i)))
	}
	var w maxWriter
	n, err := Write(context.Background(), &fakeSource{ps: ps}, plugin.Filter{}, XLSX, &w, Options{Zone: msk})
	if err != nil || n != 5000 {
		t.Fatal(n, err)
	}
	t.Logf("%d bytes in %d writes, the largest %d", w.Len(), w.writes, w.max)
	if w.max > 64<<10 {
		t.Errorf("a %d-byte file came in %d writes, the largest %d bytes: it was built in memory", w.Len(), w.writes, w.max)
	}
	f, err := excelize.OpenReader(&w.Buffer)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue(Sheet, "I5001"); v != "5099" {
		t.Errorf("I5001 = %q, want 5099", v)
	}
}

// TestWrite_XLSXFailsMidway: a register that fails after its first bytes
// went out (the sheet is streamed) is left without the zip's central
// directory, so no reader opens it as a workbook: WriteFile deletes it,
// the web cuts the download.
func TestWrite_XLSXFailsMidway(t *testing.T) {
	var ps []*plugin.Payment
	for i := range 5000 {
		ps = append(ps, payment(fmt.Sprint("p", i), fmt.Sprint(100000+i), fmt.Sprint("K07-", 100000+i, "-1"), int64(100+i)))
	}
	var buf bytes.Buffer
	n, err := Write(context.Background(), &fakeSource{ps: ps, failAfter: 4000}, plugin.Filter{}, XLSX, &buf, Options{Zone: msk})
	if !errors.Is(err, errRead) || n != 4000 {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if buf.Len() == 0 {
		t.Fatal("nothing was streamed before the failure: the test needs more rows")
	}
	if _, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err == nil {
		t.Errorf("the %d bytes of a failed register open as a zip", buf.Len())
	}
	if f, err := excelize.OpenReader(&buf); err == nil {
		f.Close()
		t.Error("a failed register opens as a workbook")
	}
}

// countedSource is a source that says how many payments it selects.
type countedSource struct {
	fakeSource
	n int64
}

func (s *countedSource) Count(context.Context, plugin.Filter) (int64, error) { return s.n, nil }

// TestWrite_XLSXTooManyRows: more payments than a sheet holds are refused
// before a byte is written, with a message that suggests CSV; a source
// that cannot count is stopped at the bound with the same refusal.
func TestWrite_XLSXTooManyRows(t *testing.T) {
	var buf bytes.Buffer
	src := &countedSource{n: MaxXLSXRows + 1}
	_, err := Write(context.Background(), src, plugin.Filter{}, XLSX, &buf, Options{})
	if plugin.ErrorReason(err) != RTooManyRows || buf.Len() != 0 || !strings.Contains(plugin.ErrorMessage(err), "CSV") {
		t.Errorf("XLSX of %d payments: %v, %d bytes written", src.n, err, buf.Len())
	}
	if _, err := Write(context.Background(), src, plugin.Filter{}, CSV, &buf, Options{}); err != nil {
		t.Errorf("CSV of as many: %v", err)
	}
	defer func(n int64) { xlsxRows = n }(xlsxRows)
	xlsxRows = 2
	ps := []*plugin.Payment{payment("p1", "1", "K07-1-1", 100), payment("p2", "2", "K07-2-1", 100), payment("p3", "3", "K07-3-1", 100)}
	buf.Reset()
	if _, err := Write(context.Background(), &fakeSource{ps: ps}, plugin.Filter{}, XLSX, &buf, Options{}); plugin.ErrorReason(err) != RTooManyRows || buf.Len() != 0 {
		t.Errorf("XLSX past the bound while writing: %v, %d bytes written", err, buf.Len())
	}
}
