package export

import (
	"fmt"
	"io"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Sheet is the name of the XLSX register's one sheet.
const Sheet = "Payments"

// MaxXLSXRows is the most payments one XLSX register holds: a sheet's
// rows less the header's.
const MaxXLSXRows = sheetRows - 1

// xlsxRows is the bound the sink enforces; tests lower it.
var xlsxRows int64 = MaxXLSXRows

// RTooManyRows is the reason of an XLSX export refused for its size.
const RTooManyRows = plugin.RefusedTooManyRows

// tooManyRows refuses an XLSX register of n payments (n < 0: more than
// the bound, counted while writing).
func tooManyRows(n int64) error {
	sel := "more"
	if n >= 0 {
		sel = fmt.Sprint(n)
	}
	return &plugin.Error{Code: plugin.EInvalid, Reason: RTooManyRows, Message: fmt.Sprintf(
		"an XLSX sheet holds at most %d payments and this filter selects %s: export as CSV, or choose a shorter period", xlsxRows, sel)}
}

// registerLayout: the header row stays in view, the two times are wide
// enough to read.
var registerLayout = sheetLayout{Name: Sheet, FrozenRows: 1, Widths: []colWidth{{First: 1, Last: 2, Width: 20}}}

// xlsxSink streams rows into the sheet of an xlsxWriter.
type xlsxSink struct {
	x     *xlsxWriter
	zone  *time.Location
	n     int64
	cells []xlsxCell
}

func newXLSXSink(w io.Writer, zone *time.Location) (*xlsxSink, error) {
	x, err := newXLSXWriter(w, registerLayout)
	if err != nil {
		return nil, err
	}
	s := &xlsxSink{x: x, zone: zone, cells: make([]xlsxCell, len(Header))}
	for i, h := range Header {
		s.cells[i] = textCell(h)
	}
	return s, x.writeRow(s.cells)
}

// row writes p: the texts as Row renders them (escaped by
// plugin.Printable), the times as date-times in the zone, the amount as
// roubles, kopecks, mode and state code as integers, the flags as
// booleans.
func (s *xlsxSink) row(p *plugin.Payment) error {
	if s.n >= xlsxRows {
		return tooManyRows(-1)
	}
	s.n++
	for i, v := range Row(p, s.zone) {
		s.cells[i] = textCell(v)
	}
	s.cells[colCreated] = timeCell(p.CreatedAt, s.zone)
	s.cells[colUpdated] = timeCell(p.UpdatedAt, s.zone)
	s.cells[colAmount] = moneyCell(p.Amount)
	s.cells[colKopecks] = intCell(p.Amount)
	s.cells[colStateCode] = intCell(int64(p.State.Code()))
	s.cells[colMode] = intCell(int64(p.Mode))
	for i, b := range []bool{p.Mixed, p.CancelRequested, p.CancelSent, p.LateSettle} {
		s.cells[boolCols[i]] = boolCell(b)
	}
	return s.x.writeRow(s.cells)
}

// abort leaves the workbook unclosed: nothing more is written, and what
// went out has no central directory, so it opens as no workbook.
func (s *xlsxSink) abort() {}

func (s *xlsxSink) close() error { return s.x.close() }
