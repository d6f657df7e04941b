package export

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sbpd/sbpd/plugin"
)

// The XLSX writer is tested through excelize, used here only as a reader:
// the daemon's binary does not link it (cmd/sbpd/deps_test.go).

var testLayout = sheetLayout{Name: "Payments", FrozenRows: 1, Widths: []colWidth{{First: 1, Last: 2, Width: 20}}}

// writeSheet writes rows with the writer and opens the result with excelize.
func writeSheet(t *testing.T, l sheetLayout, rows ...[]xlsxCell) (*excelize.File, []byte) {
	t.Helper()
	var buf bytes.Buffer
	x, err := newXLSXWriter(&buf, l)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := x.writeRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.close(); err != nil {
		t.Fatal(err)
	}
	b := bytes.Clone(buf.Bytes())
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, b
}

// cellIs checks what a spreadsheet shows, the raw value (excelize reads a
// number to 15 significant digits, as Excel keeps it) and the type.
func cellIs(t *testing.T, f *excelize.File, cell, shown, raw string, typ excelize.CellType) {
	t.Helper()
	if v, err := f.GetCellValue(Sheet, cell); err != nil || v != shown {
		t.Errorf("%s shows %q (%v), want %q", cell, v, err, shown)
	}
	if v, _ := f.GetCellValue(Sheet, cell, excelize.Options{RawCellValue: true}); v != raw {
		t.Errorf("%s raw %q, want %q", cell, v, raw)
	}
	got, _ := f.GetCellType(Sheet, cell)
	if typ == excelize.CellTypeNumber && got == excelize.CellTypeUnset {
		got = excelize.CellTypeNumber // a cell without t= is a number
	}
	if got != typ {
		t.Errorf("%s type %v, want %v", cell, got, typ)
	}
}

// numFmtOf is the custom number format of a cell's style ("" for none).
func numFmtOf(t *testing.T, f *excelize.File, cell string) string {
	t.Helper()
	idx, err := f.GetCellStyle(Sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(idx)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt == nil {
		return ""
	}
	return *st.CustomNumFmt
}

// checkLayout: one sheet of the name, the header row frozen, columns 1-2
// 20 wide and the rest at the default.
func checkLayout(t *testing.T, f *excelize.File) {
	t.Helper()
	if got := f.GetSheetList(); len(got) != 1 || got[0] != Sheet {
		t.Errorf("sheets %q, want [%s]", got, Sheet)
	}
	p, err := f.GetPanes(Sheet)
	if err != nil || !p.Freeze || p.YSplit != 1 || p.XSplit != 0 || p.TopLeftCell != "A2" {
		t.Errorf("panes %+v, %v: want the first row frozen", p, err)
	}
	for col, want := range map[string]float64{"A": 20, "B": 20, "C": 9.140625} {
		if w, err := f.GetColWidth(Sheet, col); err != nil || w != want {
			t.Errorf("column %s width %v, %v; want %v", col, w, err, want)
		}
	}
}

func TestXLSXWriter_CellsTypesAndLayout(t *testing.T) {
	at := time.Date(2025, 3, 14, 7, 0, 0, 0, time.UTC)
	f, _ := writeSheet(t, testLayout,
		[]xlsxCell{textCell("created_at"), textCell("amount"), textCell("n"), textCell("ok"), textCell("text")},
		[]xlsxCell{timeCell(at, msk), moneyCell(25990), intCell(25990), boolCell(true), textCell("=1+1")},
		[]xlsxCell{timeCell(at.Add(31*time.Second), msk), moneyCell(12000), intCell(-7), boolCell(false), textCell("  two  spaces ")},
		[]xlsxCell{timeCell(at, time.UTC), moneyCell(-150), intCell(0), textCell(""), textCell(`<a href="x">&amp;</a>`)},
	)
	checkLayout(t, f)
	cellIs(t, f, "A1", "created_at", "created_at", excelize.CellTypeInlineString)
	cellIs(t, f, "A2", "2025-03-14 10:00:00", "45730.4166666667", excelize.CellTypeNumber)
	cellIs(t, f, "A3", "2025-03-14 10:00:31", "45730.417025463", excelize.CellTypeNumber)
	cellIs(t, f, "A4", "2025-03-14 07:00:00", "45730.2916666667", excelize.CellTypeNumber)
	cellIs(t, f, "B2", "259.90", "259.9", excelize.CellTypeNumber)
	cellIs(t, f, "B3", "120.00", "120", excelize.CellTypeNumber)
	cellIs(t, f, "B4", "-1.50", "-1.5", excelize.CellTypeNumber)
	cellIs(t, f, "C2", "25990", "25990", excelize.CellTypeNumber)
	cellIs(t, f, "C3", "-7", "-7", excelize.CellTypeNumber)
	cellIs(t, f, "D2", "TRUE", "1", excelize.CellTypeBool)
	cellIs(t, f, "D3", "FALSE", "0", excelize.CellTypeBool)
	cellIs(t, f, "E2", "=1+1", "=1+1", excelize.CellTypeInlineString)
	cellIs(t, f, "E3", "  two  spaces ", "  two  spaces ", excelize.CellTypeInlineString)
	cellIs(t, f, "E4", `<a href="x">&amp;</a>`, `<a href="x">&amp;</a>`, excelize.CellTypeInlineString)
	cellIs(t, f, "D4", "", "", excelize.CellTypeUnset) // an empty text is no cell
	if formula, _ := f.GetCellFormula(Sheet, "E2"); formula != "" {
		t.Errorf("E2 is a formula %q", formula)
	}
	for cell, want := range map[string]string{"A1": "", "A2": "yyyy-mm-dd hh:mm:ss", "A4": "yyyy-mm-dd hh:mm:ss",
		"B2": "0.00", "B4": "0.00", "C2": "", "D2": "", "E2": ""} {
		if got := numFmtOf(t, f, cell); got != want {
			t.Errorf("%s number format %q, want %q", cell, got, want)
		}
	}
}

// TestXLSXWriter_Money: kopecks become the exact decimal of roubles, by
// integer arithmetic, for every int64.
func TestXLSXWriter_Money(t *testing.T) {
	for k, want := range map[int64]string{
		0: "0", 1: "0.01", 10: "0.1", 100: "1", 25990: "259.9", 25999: "259.99", -1: "-0.01", -150: "-1.5",
		math.MaxInt64: "92233720368547758.07", math.MinInt64: "-92233720368547758.08",
	} {
		if c := moneyCell(k); c.v != want || c.kind != kindNumber || c.style != fmtMoney {
			t.Errorf("moneyCell(%d) = %+v, want the number %s as money", k, c, want)
		}
	}
}

// TestXLSXWriter_TimeSerial: a time is the serial number of its wall clock
// in the zone, in the 1900 date system (with its phantom 29 February
// 1900); whole seconds. A time the system cannot hold is written as text.
func TestXLSXWriter_TimeSerial(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want string
		kind cellKind
	}{
		{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), "1", kindNumber},
		{time.Date(1900, 2, 28, 12, 0, 0, 0, time.UTC), "59.5", kindNumber},
		{time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC), "61", kindNumber},
		{time.Date(2025, 3, 14, 7, 0, 0, 999_999_999, time.UTC), "45730.291666666664", kindNumber},
		{time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), "2958465.999988426", kindNumber},
		{time.Date(1899, 12, 31, 23, 59, 59, 0, time.UTC), "1899-12-31 23:59:59", kindText},
		{time.Time{}, "0001-01-01 00:00:00", kindText},
	} {
		c := timeCell(tc.t, time.UTC)
		if c.v != tc.want || c.kind != tc.kind || (c.kind == kindNumber) != (c.style == fmtDateTime) {
			t.Errorf("timeCell(%v) = %+v, want %q kind %d", tc.t, c, tc.want, tc.kind)
		}
	}
	// The wall clock in the zone, not the instant in UTC.
	if c := timeCell(time.Date(2025, 3, 13, 22, 30, 0, 0, time.UTC), msk); c.v != "45730.0625" {
		t.Errorf("MSK serial %q, want 45730.0625 (14 March 01:30)", c.v)
	}
}

// TestXLSXWriter_XMLText: every text is escaped, and the characters XML 1.0
// forbids (C0 controls but tab, newline and carriage return; U+FFFE,
// U+FFFF) are dropped, so the sheet stays well-formed; a carriage return
// survives the parser's newline normalisation; a text longer than a cell
// holds (32,767 UTF-16 units) is cut there, its last character an
// ellipsis, so that the cut shows (the CSV keeps the whole text); one
// that fits exactly is whole.
func TestXLSXWriter_XMLText(t *testing.T) {
	var c0 strings.Builder
	for r := range rune(0x20) {
		c0.WriteRune(r)
	}
	long := strings.Repeat("я", 40000)
	astral := strings.Repeat("😀", 20000) // two UTF-16 units each
	f, raw := writeSheet(t, testLayout,
		[]xlsxCell{textCell("a" + c0.String() + "b\uFFFEc\uFFFFd</t>]]>&e"), textCell(long), textCell(astral), textCell("\r\n")})
	if v, _ := f.GetCellValue(Sheet, "A1"); v != "a\t\n\rb"+"cd</t>]]>&e" {
		t.Errorf("A1 = %q", v)
	}
	if v, _ := f.GetCellValue(Sheet, "B1"); v != long[:2*32766]+"…" {
		t.Errorf("B1 holds %d characters ending %q, want 32,766 and …", len([]rune(v)), v[len(v)-6:])
	}
	if v, _ := f.GetCellValue(Sheet, "C1"); v != astral[:4*16383]+"…" {
		t.Errorf("C1 holds %d characters, want 16383 (32,766 UTF-16 units) and …", len([]rune(v)))
	}
	exact := strings.Repeat("я", 32767)
	g, _ := writeSheet(t, testLayout, []xlsxCell{textCell(exact)})
	if v, _ := g.GetCellValue(Sheet, "A1"); v != exact {
		t.Errorf("a text of exactly 32,767 characters is cut to %d", len([]rune(v)))
	}
	if v, _ := f.GetCellValue(Sheet, "D1"); v != "\r\n" {
		t.Errorf("D1 = %q, want CR LF", v)
	}
	checkParts(t, raw)
}

// checkParts reads the file as a zip: the parts in order (the sheet last,
// as it is streamed), each one's content type declared, every part
// well-formed XML 1.0, every CRC right.
func checkParts(t *testing.T, raw []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml"}
	var names []string
	parts := map[string][]byte{}
	for _, zf := range zr.File {
		names = append(names, zf.Name)
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc) // checks the CRC at the end
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		if zf.Method != zip.Deflate {
			t.Errorf("%s stored with method %d, want deflate", zf.Name, zf.Method)
		}
		parts[zf.Name] = b
		dec := xml.NewDecoder(bytes.NewReader(b))
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Errorf("%s is not well-formed XML: %v", zf.Name, err)
				break
			}
		}
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("parts %q, want %q", names, want)
	}
	var types struct {
		Default []struct {
			Extension, ContentType string `xml:",attr"`
		}
		Override []struct {
			PartName, ContentType string `xml:",attr"`
		}
	}
	if err := xml.Unmarshal(parts["[Content_Types].xml"], &types); err != nil {
		t.Fatal(err)
	}
	declared := map[string]string{}
	for _, d := range types.Default {
		declared["*."+d.Extension] = d.ContentType
	}
	for _, o := range types.Override {
		declared[o.PartName] = o.ContentType
	}
	const ml = "application/vnd.openxmlformats-officedocument.spreadsheetml."
	for part, ctype := range map[string]string{
		"*.rels": "application/vnd.openxmlformats-package.relationships+xml", "/xl/workbook.xml": ml + "sheet.main+xml",
		"/xl/styles.xml": ml + "styles+xml", "/xl/worksheets/sheet1.xml": ml + "worksheet+xml",
	} {
		if declared[part] != ctype {
			t.Errorf("content type of %s = %q, want %q", part, declared[part], ctype)
		}
	}
}

// TestXLSXWriter_Bounds: a row past the sheet's last is refused, as is a
// sheet name Excel would not take; a small workbook never closed wrote
// nothing (TestWrite_XLSXFailsMidway: a large one is no workbook).
func TestXLSXWriter_Bounds(t *testing.T) {
	var buf bytes.Buffer
	x, err := newXLSXWriter(&buf, testLayout)
	if err != nil {
		t.Fatal(err)
	}
	x.maxRows = 2
	for i := range 3 {
		err = x.writeRow([]xlsxCell{intCell(int64(i))})
	}
	if !errors.Is(err, errSheetFull) {
		t.Errorf("row 3 of 2: %v", err)
	}
	x.maxRows = sheetRows
	if err := x.writeRow(make([]xlsxCell, sheetCols+1)); !errors.Is(err, errSheetFull) {
		t.Errorf("a row of %d cells: %v", sheetCols+1, err)
	}
	for n, want := range map[int]string{1: "A", 26: "Z", 27: "AA", 52: "AZ", 702: "ZZ", 703: "AAA", sheetCols: "XFD"} {
		if got := string(appendColumn(nil, n)); got != want {
			t.Errorf("column %d = %s, want %s", n, got, want)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("a small workbook never closed wrote %d bytes", buf.Len())
	}
	for _, name := range []string{"", "a/b", "a[1]", "x?", "*", `a\b`, "a:b", "'quoted'", strings.Repeat("x", 32)} {
		l := testLayout
		l.Name = name
		if _, err := newXLSXWriter(io.Discard, l); err == nil {
			t.Errorf("sheet name %q taken", name)
		}
	}
	l := testLayout
	l.Name = "Платежи & <сводка>"
	if f, _ := writeSheet(t, l, []xlsxCell{textCell("x")}); f.GetSheetList()[0] != l.Name {
		t.Errorf("sheets %q", f.GetSheetList())
	}
}

// TestWrite_XLSXTextEscapesStayText: SpreadsheetML decodes _xHHHH_ in
// cell text (ECMA-376 ST_Xstring), so a valid check id such as
// _x003D_1+1, or PayMaster's text, could turn into other characters: a
// bidi override, a line break, a leading =. Our underscore before such a
// sequence is written as _x005F_, and the register shows what the journal
// holds. (excelize did the same; the first own writer did not.)
func TestWrite_XLSXTextEscapesStayText(t *testing.T) {
	p := payment("p1", "_x003D_1+1", "K07-_x003D_1+1-1", 100)
	p.PayMasterStatus, p.ResultCode = "ok_x202E_gnp.exe", "a_x000D__x000A_b"
	var buf bytes.Buffer
	if _, err := Write(context.Background(), &fakeSource{ps: []*plugin.Payment{p}}, plugin.Filter{}, XLSX, &buf, Options{Zone: msk}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for cell, want := range map[string]string{"E2": p.CheckID, "N2": p.PayMasterStatus, "O2": p.ResultCode} {
		if got, _ := f.GetCellValue(Sheet, cell); got != want {
			t.Errorf("%s shows %q, want %q", cell, got, want)
		}
	}
}
