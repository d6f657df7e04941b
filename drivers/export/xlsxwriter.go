package export

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A small SpreadsheetML (XLSX) writer of one sheet, enough for the
// register: the workbook is zipped straight into the output as it is
// written, the sheet last and row by row, so neither the rows nor a
// temporary file are kept. Text cells are inline strings, numbers plain,
// booleans t="b", times serial numbers of the 1900 date system with a
// date-time number format.

// sheetRows and sheetCols are the rows and columns a sheet holds.
const (
	sheetRows = 1 << 20
	sheetCols = 1 << 14
)

// maxCellText is the most UTF-16 units a cell's text may hold.
const maxCellText = 32767

// errSheetFull refuses a row past a sheet's last, or one wider than it.
var errSheetFull = errors.New("xlsx: the sheet holds no more rows or columns")

// numFmt is a cell's number format, one of the workbook's fixed styles.
type numFmt uint8

// The styles, by their index in styles.xml's cellXfs.
const (
	fmtGeneral  numFmt = iota
	fmtMoney           // 0.00
	fmtDateTime        // yyyy-mm-dd hh:mm:ss
)

type cellKind uint8

const (
	kindEmpty cellKind = iota // no cell
	kindText
	kindNumber
	kindBool
)

// xlsxCell is one cell: v is the text, or a number's lexical form ("0"
// or "1" for a boolean).
type xlsxCell struct {
	kind  cellKind
	style numFmt
	v     string
}

// textCell is s as text (no cell when empty): never a formula.
func textCell(s string) xlsxCell {
	if s == "" {
		return xlsxCell{}
	}
	return xlsxCell{kind: kindText, v: s}
}

func intCell(n int64) xlsxCell { return xlsxCell{kind: kindNumber, v: strconv.FormatInt(n, 10)} }

func boolCell(b bool) xlsxCell {
	if b {
		return xlsxCell{kind: kindBool, v: "1"}
	}
	return xlsxCell{kind: kindBool, v: "0"}
}

// moneyCell is kopecks as the exact decimal of roubles, by integer
// arithmetic, shown with two decimals.
func moneyCell(kopecks int64) xlsxCell {
	u, sign := uint64(kopecks), ""
	if kopecks < 0 {
		u, sign = -u, "-"
	}
	v := sign + strconv.FormatUint(u/100, 10)
	switch frac := u % 100; {
	case frac%10 == 0 && frac != 0:
		v += "." + strconv.FormatUint(frac/10, 10)
	case frac != 0:
		v += fmt.Sprintf(".%02d", frac)
	}
	return xlsxCell{kind: kindNumber, style: fmtMoney, v: v}
}

// The 1900 date system: serial 1 is 1 January 1900, and 60 the 29 February
// 1900 that never was, so from 1 March 1900 day n is n days after 30
// December 1899.
var (
	serialBase  = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	serialMarch = time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)
	serialFirst = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	serialLast  = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// timeCell is t's wall clock in zone, to the second, as a date-time: a
// spreadsheet has no zones. A time the 1900 system cannot hold (before
// 1900, after 9999) is written as text.
func timeCell(t time.Time, zone *time.Location) xlsxCell {
	t = t.In(zone)
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	if wall.Before(serialFirst) || !wall.Before(serialLast) {
		return textCell(wall.Format(time.DateTime))
	}
	secs := wall.Unix() - serialBase.Unix() // not Sub: a Duration spans 292 years
	if wall.Before(serialMarch) {
		secs -= 86400
	}
	days, rest := secs/86400, secs%86400
	v := strconv.FormatInt(days, 10)
	if rest != 0 {
		v = strconv.FormatFloat(float64(days)+float64(rest)/86400, 'f', -1, 64)
	}
	return xlsxCell{kind: kindNumber, style: fmtDateTime, v: v}
}

// colWidth sets the width of columns First to Last (1-based), in
// characters.
type colWidth struct {
	First, Last int
	Width       float64
}

// sheetLayout is the one sheet's name and view.
type sheetLayout struct {
	Name       string
	FrozenRows int // rows at the top kept in view when scrolling (0 or more)
	Widths     []colWidth
}

// checkSheetName refuses a name Excel does not take.
func checkSheetName(name string) error {
	control := func(r rune) bool { return r < 0x20 || r == 0xFFFE || r == 0xFFFF }
	if name == "" || utf8.RuneCountInString(name) > 31 || strings.ContainsAny(name, `[]:*?/\`) ||
		strings.IndexFunc(name, control) >= 0 || strings.HasPrefix(name, "'") || strings.HasSuffix(name, "'") {
		return fmt.Errorf("xlsx: sheet name %q: 1-31 characters, no control and none of []:*?/\\, not quoted", name)
	}
	return nil
}

// xlsxWriter writes one workbook of one sheet to its output.
type xlsxWriter struct {
	zw      *zip.Writer
	sheet   io.Writer
	rows    int
	maxRows int // sheetRows; tests lower it
	buf     []byte
}

// newXLSXWriter writes every part but the sheet's rows to w.
func newXLSXWriter(w io.Writer, l sheetLayout) (*xlsxWriter, error) {
	if err := checkSheetName(l.Name); err != nil {
		return nil, err
	}
	x := &xlsxWriter{zw: zip.NewWriter(w), maxRows: sheetRows}
	for _, p := range [...]struct{ name, body string }{
		{"[Content_Types].xml", contentTypesXML}, {"_rels/.rels", rootRelsXML},
		{"xl/workbook.xml", workbookXML(l.Name)}, {"xl/_rels/workbook.xml.rels", workbookRelsXML},
		{"xl/styles.xml", stylesXML},
	} {
		pw, err := x.zw.Create(p.name)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(pw, p.body); err != nil {
			return nil, err
		}
	}
	var err error
	if x.sheet, err = x.zw.Create("xl/worksheets/sheet1.xml"); err != nil {
		return nil, err
	}
	_, err = x.sheet.Write(sheetHead(l))
	return x, err
}

// writeRow appends a row of cells, the first in column A.
func (x *xlsxWriter) writeRow(cells []xlsxCell) error {
	if x.rows >= x.maxRows || len(cells) > sheetCols {
		return errSheetFull
	}
	x.rows++
	b := x.buf[:0]
	b = append(b, `<row r="`...)
	b = strconv.AppendInt(b, int64(x.rows), 10)
	b = append(b, `">`...)
	for i, c := range cells {
		if c.kind == kindEmpty {
			continue
		}
		b = append(b, `<c r="`...)
		b = appendColumn(b, i+1)
		b = strconv.AppendInt(b, int64(x.rows), 10)
		b = append(b, '"')
		if c.style != fmtGeneral {
			b = append(b, ` s="`...)
			b = strconv.AppendInt(b, int64(c.style), 10)
			b = append(b, '"')
		}
		switch c.kind {
		case kindText:
			b = append(b, ` t="inlineStr"><is><t`...)
			if strings.TrimSpace(c.v) != c.v {
				b = append(b, ` xml:space="preserve"`...)
			}
			b = append(b, '>')
			b = appendXMLText(b, c.v)
			b = append(b, `</t></is></c>`...)
			continue
		case kindBool:
			b = append(b, ` t="b"`...)
		}
		b = append(b, `><v>`...)
		b = append(b, c.v...)
		b = append(b, `</v></c>`...)
	}
	b = append(b, `</row>`...)
	x.buf = b
	_, err := x.sheet.Write(b)
	return err
}

// close ends the sheet and the zip (its central directory last). A
// writer never closed leaves what its zip writer still buffers (4 KB)
// unwritten, and what went out has no central directory: no reader opens
// it as a workbook.
func (x *xlsxWriter) close() error {
	if _, err := io.WriteString(x.sheet, `</sheetData></worksheet>`); err != nil {
		return err
	}
	return x.zw.Close()
}

// appendColumn appends the letters of column n (1 is A, 27 AA).
func appendColumn(b []byte, n int) []byte {
	var tmp [4]byte
	i := len(tmp)
	for ; n > 0; n = (n - 1) / 26 {
		i--
		tmp[i] = byte('A' + (n-1)%26)
	}
	return append(b, tmp[i:]...)
}

// appendXMLText appends s escaped as XML character data, without the
// characters XML 1.0 forbids, cut at maxCellText UTF-16 units with an
// ellipsis as its last, so that the cut shows. A carriage return is
// written as a reference: a parser would turn a raw one into a newline.
func appendXMLText(b []byte, s string) []byte {
	limit, cut := maxCellText, len(s) > maxCellText && utf16Units(s) > maxCellText
	if cut {
		limit-- // room for the ellipsis
	}
	units := 0
	for i, r := range s {
		if xmlForbids(r) {
			continue // invalid UTF-8 is U+FFFD here, which XML takes
		}
		n := 1
		if r > 0xFFFF {
			n = 2
		}
		if units += n; units > limit {
			break
		}
		switch r {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '\r':
			b = append(b, "&#13;"...)
		case '_':
			if looksEscaped(s[i+1:]) { // ST_Xstring: _xHHHH_ would be decoded
				b = append(b, "_x005F_"...)
			} else {
				b = append(b, '_')
			}
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	if cut {
		b = append(b, "…"...)
	}
	return b
}

// utf16Units counts s's characters as a cell does, without those XML 1.0
// forbids (appendXMLText drops them).
func utf16Units(s string) int {
	units := 0
	for _, r := range s {
		switch {
		case xmlForbids(r):
		case r > 0xFFFF:
			units += 2
		default:
			units++
		}
	}
	return units
}

// looksEscaped reports whether s starts with xHHHH_, the rest of an
// ST_Xstring escape after its underscore.
func looksEscaped(s string) bool {
	if len(s) < 6 || s[0] != 'x' && s[0] != 'X' || s[5] != '_' {
		return false
	}
	for _, c := range []byte(s[1:5]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// xmlForbids reports whether XML 1.0 forbids r in character data: the C0
// controls but tab, newline and carriage return, and U+FFFE, U+FFFF.
func xmlForbids(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF
}
