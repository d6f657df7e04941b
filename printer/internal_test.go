package printer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		in   string
		cols int
		want []string
	}{
		{"", 10, nil},
		{"   ", 10, nil},
		{"short", 10, []string{"short"}},
		{"one two three", 7, []string{"one two", "three"}},
		{"one  two   three", 9, []string{"one two", "three"}},
		{"exactly10c", 10, []string{"exactly10c"}},
		{"a verylongwordhere b", 6, []string{"a", "verylo", "ngword", "here b"}},
		{"word", 0, []string{"w", "o", "r", "d"}},
	} {
		var got []string
		for _, l := range wrap([]byte(tc.in), tc.cols) {
			got = append(got, string(l))
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.in, tc.cols, got, tc.want)
		}
	}
}

func TestBalancedWrap(t *testing.T) {
	hint := string(EncodeCP866("Отсканируйте QR-код камерой телефона или в приложении банка"))
	for _, cols := range []int{32, 42, 48} {
		var got []string
		for _, l := range balancedWrap([]byte(hint), cols) {
			got = append(got, string(l))
			if len(l) > cols {
				t.Errorf("cols %d: line %d long", cols, len(l))
			}
		}
		if len(got) != 2 || strings.Join(got, " ") != hint {
			t.Errorf("cols %d: %d lines", cols, len(got))
		}
		if d := len(got[0]) - len(got[1]); d < -8 || d > 8 {
			t.Errorf("cols %d: uneven lines %d and %d", cols, len(got[0]), len(got[1]))
		}
	}
}

func TestFitModule(t *testing.T) {
	for _, tc := range []struct{ side, module, width, want int }{
		{49, 6, 576, 6},
		{49, 16, 576, 11},
		{49, 8, 384, 7},
		{53, 16, 384, 7},
		{185, 6, 128, 1},
	} {
		if got := fitModule(tc.side, tc.module, tc.width); got != tc.want {
			t.Errorf("fitModule(%d, %d, %d) = %d, want %d", tc.side, tc.module, tc.width, got, tc.want)
		}
	}
}

func TestOptions_Validate(t *testing.T) {
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero Options: %v", err)
	}
	ok := Options{Codepage: 255, QR: QRRaster, QRModule: 16, Width: 384, StripRows: 256, StatusTimeout: time.Second}
	if err := ok.Validate(); err != nil {
		t.Errorf("%+v: %v", ok, err)
	}
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Codepage: 256}, "printer.codepage must be 0..255"},
		{Options{Codepage: -1}, "printer.codepage"},
		{Options{QR: "image"}, `printer.qr must be "native" or "raster", got "image"`},
		{Options{QRModule: 17}, "printer.qr_module must be 1..16 dots, got 17"},
		{Options{Width: 100}, "printer.width"},
		{Options{StripRows: -5}, "printer.strip_rows"},
		{Options{StatusTimeout: -time.Second}, "printer.status_timeout"},
	} {
		err := tc.o.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
		}
	}
	err := Options{Codepage: 300, QRModule: 99}.Validate()
	if err == nil || !strings.Contains(err.Error(), "printer.codepage") || !strings.Contains(err.Error(), "printer.qr_module") {
		t.Errorf("two bad settings: %v, want both named", err)
	}
}

func TestOptions_Defaults(t *testing.T) {
	o := Options{}.withDefaults()
	if o.Codepage != 17 || o.QR != QRNative || o.QRModule != 6 || o.Width != 576 || o.StripRows != 128 ||
		o.StatusTimeout != 500*time.Millisecond || o.Location != time.Local {
		t.Errorf("defaults %+v", o)
	}
	if got := New(nil, Options{Width: 384}).Options(); got.Width != 384 || got.Codepage != 17 {
		t.Errorf("New kept %+v", got)
	}
}

// TestPrinter_LockHonoursContext: a job that cannot get the port gives up
// with port_busy when its context ends.
func TestPrinter_LockHonoursContext(t *testing.T) {
	p := New(nil, Options{})
	p.busy <- struct{}{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Status(ctx); plugin.ErrorReason(err) != plugin.PrinterBusy {
		t.Errorf("Status on a busy printer: %v", err)
	}
}
