package export

import (
	"archive/zip"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sbpd/sbpd/plugin"
)

// Sheet is the name of the XLSX register's one sheet.
const Sheet = "Payments"

// MaxXLSXRows is the most payments one XLSX register holds: a sheet's
// rows less the header's.
const MaxXLSXRows = excelize.TotalRows - 1

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

// xlsxSink streams rows into one sheet: excelize's StreamWriter keeps
// written rows in a temporary file, not in memory.
type xlsxSink struct {
	out       io.Writer
	zone      *time.Location
	f         *excelize.File
	sw        *excelize.StreamWriter
	n         int
	money, dt int
	cells     []any
}

func newXLSXSink(w io.Writer, zone *time.Location) (_ *xlsxSink, err error) {
	f := excelize.NewFile()
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	if err := f.SetSheetName("Sheet1", Sheet); err != nil {
		return nil, err
	}
	s := &xlsxSink{out: w, zone: zone, f: f, cells: make([]any, len(Header))}
	fmtMoney, fmtDT := "0.00", "yyyy-mm-dd hh:mm:ss"
	if s.money, err = f.NewStyle(&excelize.Style{CustomNumFmt: &fmtMoney}); err != nil {
		return nil, err
	}
	if s.dt, err = f.NewStyle(&excelize.Style{CustomNumFmt: &fmtDT}); err != nil {
		return nil, err
	}
	if s.sw, err = f.NewStreamWriter(Sheet); err != nil {
		return nil, err
	}
	if err := s.sw.SetColWidth(1, 2, 20); err != nil {
		return nil, err
	}
	if err := s.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	head := make([]any, len(Header))
	for i, h := range Header {
		head[i] = h
	}
	s.n = 1
	return s, s.sw.SetRow("A1", head)
}

// wall is t's wall clock in zone as a zone-less time: a spreadsheet has
// no zones, and excelize must not shift it to UTC.
func wall(t time.Time, zone *time.Location) time.Time {
	t = t.In(zone)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

func (s *xlsxSink) row(p *plugin.Payment) error {
	rec := Row(p, s.zone)
	for i, v := range rec {
		s.cells[i] = v
	}
	s.cells[colCreated] = excelize.Cell{StyleID: s.dt, Value: wall(p.CreatedAt, s.zone)}
	s.cells[colUpdated] = excelize.Cell{StyleID: s.dt, Value: wall(p.UpdatedAt, s.zone)}
	// The number is parsed from the exact decimal string: the nearest double
	// to 259.90, which excelize writes back as the shortest "259.9".
	amount, err := strconv.ParseFloat(rec[colAmount], 64)
	if err != nil {
		return err
	}
	s.cells[colAmount] = excelize.Cell{StyleID: s.money, Value: amount}
	s.cells[colKopecks] = p.Amount
	s.cells[colStateCode] = p.State.Code()
	s.cells[colMode] = int(p.Mode)
	for _, i := range boolCols {
		s.cells[i] = rec[i] == "true"
	}
	if int64(s.n) > xlsxRows {
		return tooManyRows(-1)
	}
	s.n++
	cell, err := excelize.CoordinatesToCellName(1, s.n)
	if err != nil {
		return err
	}
	return s.sw.SetRow(cell, s.cells)
}

// abort closes the workbook (its temporary files) without zipping it:
// nothing of a failed register reaches the output.
func (s *xlsxSink) abort() { s.f.Close() }

func (s *xlsxSink) close() error {
	defer s.f.Close()
	if err := s.sw.Flush(); err != nil {
		return err
	}
	// excelize's WriteTo zips the workbook into a buffer in memory; with
	// its zip writer pointed at the output instead, the file goes out as
	// it is zipped (the sheet itself was streamed to a temporary file),
	// and the buffer stays empty.
	s.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(s.out) })
	_, err := s.f.WriteTo(io.Discard)
	return err
}
