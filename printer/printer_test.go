package printer_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/printer"
)

var errPort = errors.New("input/output error")

func testOptions() printer.Options {
	return printer.Options{StatusTimeout: testTimeout, Location: msk}
}

// jobAfterQueries splits writes into status queries and the rest.
func jobAfterQueries(t *testing.T, writes [][]byte) (queries int, job []byte) {
	t.Helper()
	for _, w := range writes {
		if len(w) == 3 && w[0] == 0x10 && w[1] == 0x04 {
			if job != nil {
				t.Fatalf("status query % x after the job started", w)
			}
			queries++
			continue
		}
		job = append(job, w...)
	}
	return queries, job
}

func TestPrinter_PrintSlip_OK(t *testing.T) {
	for _, qr := range []string{printer.QRNative, printer.QRRaster} {
		t.Run(qr, func(t *testing.T) {
			f := newFakePort(readyReplies())
			port := &fullPort{fakePort: f}
			o := testOptions()
			o.QR = qr
			if err := printer.New(port, o).PrintSlip(context.Background(), testSlip()); err != nil {
				t.Fatal(err)
			}
			queries, job := jobAfterQueries(t, f.written())
			if queries != 3 {
				t.Errorf("%d status queries, want 3", queries)
			}
			if want := printer.EncodeSlip(testSlip(), o); !bytes.Equal(job, want) {
				t.Errorf("wrote %d bytes after the queries, want EncodeSlip's %d", len(job), len(want))
			}
			if port.drains != 1 || port.resets != 1 {
				t.Errorf("Drain called %d times, ResetInputBuffer %d; want 1 and 1", port.drains, port.resets)
			}
		})
	}
}

// TestPrinter_PrintSlip_ShortWrites: a port that takes part of a write is
// given the rest.
func TestPrinter_PrintSlip_ShortWrites(t *testing.T) {
	f := newFakePort(readyReplies())
	f.chunk = 1000
	o := testOptions()
	o.QR = printer.QRRaster
	if err := printer.New(f, o).PrintSlip(context.Background(), testSlip()); err != nil {
		t.Fatal(err)
	}
	if _, job := jobAfterQueries(t, f.written()); !bytes.Equal(job, printer.EncodeSlip(testSlip(), o)) {
		t.Errorf("wrote %d bytes, want the whole slip", len(job))
	}
}

func TestPrinter_PrintSlip_Refused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replies map[byte][]byte
		reason  string
	}{
		{"paper end", map[byte][]byte{1: {0x1A}, 2: {0x32}, 4: {0x72}}, plugin.PrinterPaperEnd},
		{"cover open", map[byte][]byte{1: {0x1A}, 2: {0x16}, 4: {0x12}}, plugin.PrinterCoverOpen},
		{"offline", map[byte][]byte{1: {0x1A}, 2: {0x12}, 4: {0x12}}, plugin.PrinterOffline},
		{"error", map[byte][]byte{1: {0x1A}, 2: {0x52}, 3: {0x52}, 4: {0x12}}, plugin.PrinterError},
		{"silent", nil, plugin.PrinterNoAnswer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakePort(tc.replies)
			err := printer.New(f, testOptions()).PrintSlip(context.Background(), testSlip())
			var pe *plugin.Error
			if !errors.As(err, &pe) || pe.Code != plugin.EUnavailable || pe.Reason != tc.reason || pe.Message == "" {
				t.Fatalf("PrintSlip = %#v, want EUnavailable/%s", err, tc.reason)
			}
			if _, job := jobAfterQueries(t, f.written()); job != nil {
				t.Errorf("wrote %d bytes of a job to a printer that cannot print", len(job))
			}
		})
	}
}

func TestPrinter_PrintSlip_WriteFailed(t *testing.T) {
	f := newFakePort(readyReplies())
	f.writeErr = errPort
	err := printer.New(f, testOptions()).PrintSlip(context.Background(), testSlip())
	if plugin.ErrorCode(err) != plugin.EUnavailable || plugin.ErrorReason(err) != plugin.PrinterWriteFailed {
		t.Errorf("PrintSlip = %v (%s/%s), want unavailable/write_failed", err, plugin.ErrorCode(err), plugin.ErrorReason(err))
	}
	if !errors.Is(err, errPort) {
		t.Errorf("PrintSlip = %v does not wrap the port's error", err)
	}
}

func TestPrinter_PrintSlip_Invalid(t *testing.T) {
	f := newFakePort(readyReplies())
	s := testSlip()
	s.QRPayload = ""
	if err := printer.New(f, testOptions()).PrintSlip(context.Background(), s); plugin.ErrorCode(err) != plugin.EInvalid {
		t.Errorf("empty payload: %v, want invalid", err)
	}
	o := testOptions()
	o.QRModule = 40
	if err := printer.New(f, o).PrintSlip(context.Background(), testSlip()); plugin.ErrorCode(err) != plugin.EInvalid {
		t.Errorf("bad options: %v, want invalid", err)
	}
	if w := f.written(); len(w) != 0 {
		t.Errorf("wrote %d times for an invalid job", len(w))
	}
}

// TestPrinter_OneJobAtATime: concurrent jobs never interleave on the port
// (run with -race).
func TestPrinter_OneJobAtATime(t *testing.T) {
	f := newFakePort(readyReplies())
	p := printer.New(f, testOptions())
	const jobs = 6
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				err = p.PrintSlip(context.Background(), testSlip())
			} else {
				_, err = p.Status(context.Background())
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	slip := printer.EncodeSlip(testSlip(), testOptions())
	w := f.written()
	for i := 0; i < len(w); {
		// Each job is DLE EOT 1, 2, 4, optionally followed by the slip.
		for _, n := range []byte{1, 2, 4} {
			if i >= len(w) || !bytes.Equal(w[i], []byte{0x10, 0x04, n}) {
				t.Fatalf("write %d is % .10x, want DLE EOT %d: jobs interleaved", i, w[min(i, len(w)-1)], n)
			}
			i++
		}
		if i < len(w) && len(w[i]) > 3 {
			if !bytes.Equal(w[i], slip) {
				t.Fatalf("write %d is not the slip", i)
			}
			i++
		}
	}
}

// TestPrinter_Busy: a job waiting for the port gives up when its context
// ends.
func TestPrinter_Busy(t *testing.T) {
	f := newFakePort(readyReplies())
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	f.jobHook = func() {
		once.Do(func() { close(entered) })
		<-release
	}
	p := printer.New(f, testOptions())
	done := make(chan error)
	go func() { done <- p.PrintSlip(context.Background(), testSlip()) }()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := p.PrintSlip(ctx, testSlip())
	if plugin.ErrorReason(err) != plugin.PrinterBusy || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second job: %v, want port_busy wrapping the deadline", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("first job: %v", err)
	}
}

func TestPrinter_PrintTest(t *testing.T) {
	t.Run("silent printer still prints", func(t *testing.T) {
		f := newFakePort(nil)
		if err := printer.New(f, testOptions()).PrintTest(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, job := jobAfterQueries(t, f.written()); !bytes.Equal(job, printer.EncodeTestPage(testOptions())) {
			t.Errorf("wrote %d bytes, want the test page", len(job))
		}
	})
	t.Run("paper end refused", func(t *testing.T) {
		f := newFakePort(map[byte][]byte{1: {0x1A}, 2: {0x32}, 4: {0x72}})
		err := printer.New(f, testOptions()).PrintTest(context.Background())
		if plugin.ErrorReason(err) != plugin.PrinterPaperEnd {
			t.Errorf("PrintTest = %v, want paper_end", err)
		}
	})
}
