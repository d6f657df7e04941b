package export

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Format is a file format of the register.
type Format string

// The formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// Error codes.
const (
	CodeFormat = "unknown_format" // not csv or xlsx
	CodeWrite  = "export_failed"  // the journal could not be read or the file written
)

// Error is a failed export: Code for the screen, Err the cause for the log.
type Error struct {
	Code  string
	Value string // the format asked for, for CodeFormat
	Err   error
}

func (e *Error) Error() string {
	if e.Code == CodeFormat {
		return fmt.Sprintf("format %q: use csv or xlsx", e.Value)
	}
	return "export: " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// ParseFormat reads a format name, in any case and with spaces around.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case CSV, XLSX:
		return f, nil
	}
	return "", &Error{Code: CodeFormat, Value: s}
}

// Source hands over the payments a filter selects, oldest first, one at
// a time (the journal's Each).
type Source interface {
	Each(ctx context.Context, f plugin.Filter, fn func(*plugin.Payment) error) error
}

// Header is the register's columns, in order.
var Header = []string{
	"created_at", "updated_at", "id", "till_id", "check_id", "order_no", "paymaster_id",
	"amount_rub", "amount_kopecks", "mode", "mixed", "state", "state_code", "paymaster_status",
	"result_code", "reason", "error", "cancel_requested", "cancel_sent", "late_settle",
}

// Column indexes of Header that the XLSX writer types.
const (
	colCreated, colUpdated = 0, 1
	colAmount, colKopecks  = 7, 8
	colMode, colMixed      = 9, 10
	colStateCode           = 12
)

// boolCols are the true/false columns.
var boolCols = []int{colMixed, 17, 18, 19}

// sink receives the export one row at a time; close completes the file,
// abort (after an error) only releases what the sink holds and writes
// nothing more.
type sink interface {
	row(p *plugin.Payment) error
	close() error
	abort()
}

// Options are an export's settings.
type Options struct {
	Zone  *time.Location // times are written in it; nil is time.Local
	OnRow func()         // called after each row, e.g. for a progress bar; may be nil
}

// Write writes the payments src selects with f to w as format, row by
// row, and returns how many it wrote.
func Write(ctx context.Context, src Source, f plugin.Filter, format Format, w io.Writer, opt Options) (int64, error) {
	if opt.Zone == nil {
		opt.Zone = time.Local
	}
	var (
		s   sink
		err error
	)
	switch format {
	case CSV:
		s, err = newCSVSink(w, opt.Zone)
	case XLSX:
		// Refused before anything is written when it cannot fit a sheet.
		if err := countForXLSX(ctx, src, f); err != nil {
			return 0, &Error{Code: CodeWrite, Err: err}
		}
		s, err = newXLSXSink(w, opt.Zone)
	default:
		return 0, &Error{Code: CodeFormat, Value: string(format)}
	}
	if err != nil {
		return 0, &Error{Code: CodeWrite, Err: err}
	}
	var n int64
	err = src.Each(ctx, f, func(p *plugin.Payment) error {
		n++
		if opt.OnRow != nil {
			opt.OnRow()
		}
		return s.row(p)
	})
	if err != nil {
		s.abort()
	} else {
		err = s.close()
	}
	if err != nil {
		return n, &Error{Code: CodeWrite, Err: err}
	}
	return n, nil
}

// countForXLSX refuses, before anything is written, an XLSX register
// larger than a sheet when src can count what f selects.
func countForXLSX(ctx context.Context, src Source, f plugin.Filter) error {
	c, ok := src.(Counter)
	if !ok {
		return nil
	}
	n, err := c.Count(ctx, f)
	if err != nil {
		return err
	}
	if n > xlsxRows {
		return tooManyRows(n)
	}
	return nil
}

// Roubles renders kopecks as "259.90", by integer arithmetic.
func Roubles(kopecks int64) string {
	return strings.Replace(plugin.FormatRoubles(kopecks), ",", ".", 1)
}

// Row is p as strings, one per Header column. Times are in zone, RFC 3339
// with the offset. Every cell goes through plugin.Printable, so no
// control or bidi character from outside reaches the file raw.
func Row(p *plugin.Payment, zone *time.Location) []string {
	errText := ""
	if p.Error != nil {
		errText = p.Error.Code
		if p.Error.Message != "" {
			errText += ": " + p.Error.Message
		}
	}
	till, _, _ := plugin.ParseOrderNo(p.OrderNo, p.CheckID)
	rec := []string{
		p.CreatedAt.In(zone).Format(time.RFC3339), p.UpdatedAt.In(zone).Format(time.RFC3339), p.ID, till,
		p.CheckID, p.OrderNo, p.PayMasterID, Roubles(p.Amount), strconv.FormatInt(p.Amount, 10),
		strconv.Itoa(int(p.Mode)), strconv.FormatBool(p.Mixed), string(p.State), strconv.Itoa(p.State.Code()),
		p.PayMasterStatus, p.ResultCode, string(p.Reason), errText,
		strconv.FormatBool(p.CancelRequested), strconv.FormatBool(p.CancelSent), strconv.FormatBool(p.LateSettle),
	}
	for i, v := range rec {
		rec[i] = plugin.Printable(v)
	}
	return rec
}

// CSVCell neutralises a cell a spreadsheet would take for a formula, as
// OWASP recommends against CSV injection: text that starts with =, +, -,
// @, tab or carriage return gets a leading single quote, and the csv
// writer quotes the cell if it holds quotes or commas. A plain number such
// as an amount (a negative one too) cannot be a formula and stays a
// number. Printable has already escaped a leading tab or CR; they are kept
// here so that CSVCell holds on its own.
func CSVCell(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || plainNumber(s) {
		return s
	}
	return "'" + s
}

// plainNumber reports whether s is an optional sign, digits, and an
// optional fraction after a point or a comma: -150, -1.50, +7.
func plainNumber(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	whole, frac, found := strings.Cut(s, ".")
	if !found {
		whole, frac, found = strings.Cut(s, ",")
	}
	return plugin.IsDigits(whole) && (!found || plugin.IsDigits(frac))
}

type csvSink struct {
	w    *csv.Writer
	zone *time.Location
}

func newCSVSink(w io.Writer, zone *time.Location) (*csvSink, error) {
	s := &csvSink{w: csv.NewWriter(w), zone: zone}
	return s, s.w.Write(Header)
}

func (s *csvSink) row(p *plugin.Payment) error {
	rec := Row(p, s.zone)
	for i, v := range rec {
		rec[i] = CSVCell(v)
	}
	return s.w.Write(rec)
}

func (s *csvSink) close() error { s.w.Flush(); return s.w.Error() }

// abort drops the rows still buffered: the ones written stay written.
func (s *csvSink) abort() {}
