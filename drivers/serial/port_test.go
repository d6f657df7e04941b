package serial_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/serial"
	"github.com/sbpd/sbpd/drivers/serial/serialtest"
	"github.com/sbpd/sbpd/plugin"
)

// mustOpen opens the fake printer's port with a per-test lock directory
// (unless o sets one) and closes it when the test ends.
func mustOpen(tb testing.TB, prn *serialtest.Printer, o serial.Options) *serial.Port {
	tb.Helper()
	o.Path = prn.Path()
	if o.LockDir == "" {
		o.LockDir = tb.TempDir()
	}
	p, err := serial.Open(o)
	if err != nil {
		tb.Fatalf("Open(%s): %v", o.Path, err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// wantReason fails unless err is a *plugin.Error with code unavailable and
// one of the reasons.
func wantReason(tb testing.TB, err error, reasons ...string) *plugin.Error {
	tb.Helper()
	var pe *plugin.Error
	if !errors.As(err, &pe) {
		tb.Fatalf("err = %v (%T), want a *plugin.Error with reason %v", err, err, reasons)
	}
	if pe.Code != plugin.EUnavailable {
		tb.Errorf("code = %q, want %q (%v)", pe.Code, plugin.EUnavailable, err)
	}
	for _, r := range reasons {
		if pe.Reason == r {
			return pe
		}
	}
	tb.Fatalf("reason = %q, want one of %v (%v)", pe.Reason, reasons, err)
	return nil
}

// raster returns a GS v 0 image of 38 bytes x 300 rows (11,408 bytes, the
// size of the raster QR fallback) with random dots. The dots never contain
// DLE EOT n, which a real printer would answer in the middle of the image.
func raster() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	img := []byte{0x1D, 0x76, 0x30, 0x00, 38, 0, 300 % 256, 300 / 256}
	for range 38 * 300 {
		img = append(img, byte(r.UintN(256)))
	}
	for i := 1; i < len(img); i++ {
		if img[i-1] == 0x10 && img[i] == 0x04 {
			img[i] = 0x05
		}
	}
	return img
}

func TestPort_Write_allByteValues(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	p := mustOpen(t, prn, serial.Options{})
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	n, err := p.Write(all)
	if n != 256 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if got := prn.WaitForBytes(256, 2*time.Second); !bytes.Equal(got, all) {
		t.Fatalf("printer got % x\nwant % x", got, all)
	}
	// A raw line echoes nothing back.
	p.SetReadTimeout(50 * time.Millisecond)
	var b [16]byte
	if n, err := p.Read(b[:]); n != 0 || err != nil {
		t.Fatalf("Read = %d (% x), %v; want 0, nil", n, b[:n], err)
	}
	if p.Path() != prn.Path() || p.Baud() != serial.DefaultBaud {
		t.Errorf("Path, Baud = %q, %d", p.Path(), p.Baud())
	}
}

func TestPort_Read_statusPerMode(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	p := mustOpen(t, prn, serial.Options{})
	if err := p.SetReadTimeout(time.Second); err != nil {
		t.Fatal(err)
	}
	modes := []serialtest.Mode{serialtest.ModeOK, serialtest.ModePaperNearEnd, serialtest.ModePaperEnd,
		serialtest.ModeCoverOpen, serialtest.ModeOffline, serialtest.ModeError}
	for _, m := range modes {
		prn.SetMode(m)
		for n := byte(1); n <= 4; n++ {
			want, _ := serialtest.Status(m, n)
			if _, err := p.Write([]byte{0x10, 0x04, n}); err != nil {
				t.Fatal(err)
			}
			var b [1]byte
			got, err := p.Read(b[:])
			if got != 1 || err != nil || b[0] != want {
				t.Errorf("%v DLE EOT %d: Read = %d, %v, %#02x; want %#02x", m, n, got, err, b[0], want)
			}
		}
	}
}

func TestPort_Read_silentTimesOut(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{Mode: serialtest.ModeSilent})
	p := mustOpen(t, prn, serial.Options{})
	p.SetReadTimeout(100 * time.Millisecond)
	p.Write([]byte{0x10, 0x04, 0x01})
	start := time.Now()
	var b [1]byte
	n, err := p.Read(b[:])
	if n != 0 || err != nil {
		t.Fatalf("Read = %d, %v; want 0, nil (a timeout is not an error)", n, err)
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Fatalf("Read returned after %v, before the 100ms timeout", d)
	}
	if q := prn.Queries(); !bytes.Equal(q, []byte{1}) {
		t.Fatalf("printer saw queries % x", q)
	}
}

func TestPort_Read_slowAnswer(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{Mode: serialtest.ModeSlow})
	prn.SetAnswerDelay(300 * time.Millisecond)
	p := mustOpen(t, prn, serial.Options{})
	var b [1]byte

	p.Write([]byte{0x10, 0x04, 0x04})
	p.SetReadTimeout(30 * time.Millisecond)
	if n, err := p.Read(b[:]); n != 0 || err != nil {
		t.Fatalf("early Read = %d, %v; want 0, nil", n, err)
	}
	p.SetReadTimeout(2 * time.Second)
	if n, err := p.Read(b[:]); n != 1 || err != nil || b[0] != 0x12 {
		t.Fatalf("late Read = %d, %v, %#02x; want the reply 0x12", n, err, b[0])
	}

	// A late reply left unread is discarded by ResetInputBuffer.
	p.Write([]byte{0x10, 0x04, 0x01})
	if !prn.WaitUntil(2*time.Second, func() bool { return prn.Answered() == 2 }) {
		t.Fatal("printer did not answer the second query")
	}
	time.Sleep(10 * time.Millisecond) // let the byte cross the pty
	if err := p.ResetInputBuffer(); err != nil {
		t.Fatal(err)
	}
	p.SetReadTimeout(50 * time.Millisecond)
	if n, err := p.Read(b[:]); n != 0 || err != nil {
		t.Fatalf("Read after ResetInputBuffer = %d, %v, %#02x; want 0, nil", n, err, b[0])
	}
}

func TestOpen_lock(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	dir := t.TempDir()
	first := mustOpen(t, prn, serial.Options{LockDir: dir})
	if !strings.HasPrefix(first.LockFile(), dir) {
		t.Errorf("LockFile() = %q, not in %s", first.LockFile(), dir)
	}

	_, err := serial.Open(serial.Options{Path: prn.Path(), LockDir: dir})
	pe := wantReason(t, err, plugin.PrinterBusy)
	want := "serial port " + prn.Path() + " is in use by another process (lock " + first.LockFile() + ")"
	if pe.Message != want {
		t.Errorf("message = %q\nwant      %q", pe.Message, want)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err := serial.Open(serial.Options{Path: prn.Path(), LockDir: dir})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	second.Write([]byte("ok"))
	prn.WaitForBytes(2, time.Second)
	second.Close()
}

func TestOpen_missingPath(t *testing.T) {
	path := t.TempDir() + "/ttyNONE"
	_, err := serial.Open(serial.Options{Path: path, LockDir: t.TempDir()})
	wantReason(t, err, plugin.PrinterPortMissing)
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "no such file") {
		t.Errorf("error %q does not name the path and the OS error", msg)
	}

	_, err = serial.Open(serial.Options{})
	if plugin.ErrorCode(err) != plugin.EInvalid {
		t.Errorf("Open without a path: %v", err)
	}
}

func TestPort_Write_pacing(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	data := bytes.Repeat([]byte("0123456789"), 100) // 1000 bytes, 16 chunks of 64

	tests := []struct {
		name   string
		opts   serial.Options
		total  time.Duration
		sleeps int
	}{
		// 1000 bytes * 10 bits / 9600 baud = 1.0416666 s
		{"wire rate", serial.Options{Baud: 9600}, 1041666666 * time.Nanosecond, 16},
		{"wire rate, chunks of 100", serial.Options{Baud: 19200, ChunkSize: 100}, serial.WireTime(1000, 19200), 10},
		{"pace rate", serial.Options{Baud: 115200, PaceRate: 2000}, 500 * time.Millisecond, 16},
		{"no pace", serial.Options{Baud: 9600, NoPace: true}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prn.Reset()
			var total time.Duration
			var sleeps int
			tt.opts.Sleep = func(d time.Duration) { total += d; sleeps++ }
			p := mustOpen(t, prn, tt.opts)
			if n, err := p.Write(data); n != len(data) || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
			p.Close()
			if total != tt.total || sleeps != tt.sleeps {
				t.Errorf("slept %v in %d calls, want %v in %d", total, sleeps, tt.total, tt.sleeps)
			}
			if got := prn.WaitForBytes(len(data), 2*time.Second); !bytes.Equal(got, data) {
				t.Errorf("printer got %d bytes, not the data", len(got))
			}
		})
	}
	if got := serial.WireTime(11408, 115200); got.Round(10*time.Millisecond) != 990*time.Millisecond {
		t.Errorf("WireTime(11408, 115200) = %v, want about 0.99s", got)
	}
}

// clock is a virtual clock shared by the Port's Sleep and the fake
// printer's buffer emulation.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestPort_Write_backPressure sends a raster QR (11,408 bytes) to a printer
// with a 4 KB buffer that prints 20 KB/s, over a 115200-baud line (11.5 KB/s
// on the wire). The Port's Sleep advances a virtual clock that the printer
// drains its buffer by, and waits until the printer has read the chunk, as
// a wire would deliver it; so the test takes milliseconds and does not
// depend on goroutine scheduling. Paced, every byte arrives; unpaced, the
// burst overflows the buffer as on a real printer without flow control.
func TestPort_Write_backPressure(t *testing.T) {
	img := raster()
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{BufferSize: 4096, PrintRate: 20_000, Now: clk.Now})
	arrived := func(n int) func() bool {
		return func() bool { return prn.Received()+prn.Dropped() >= n }
	}

	t.Run("paced", func(t *testing.T) {
		prn.Reset()
		var calls int
		var slept time.Duration
		sleep := func(d time.Duration) {
			calls++
			slept += d
			// The chunk has left: let it reach the printer, then let
			// its wire time pass.
			if !prn.WaitUntil(5*time.Second, arrived(min(calls*serial.DefaultChunkSize, len(img)))) {
				t.Errorf("chunk %d did not reach the printer", calls)
			}
			clk.Advance(d)
		}
		p := mustOpen(t, prn, serial.Options{Baud: 115200, Sleep: sleep})
		if n, err := p.Write(img); n != len(img) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
		if prn.Dropped() != 0 || !bytes.Equal(prn.Bytes(), img) {
			t.Fatalf("paced write: dropped %d, received %d of %d", prn.Dropped(), prn.Received(), len(img))
		}
		if want := serial.WireTime(len(img), 115200); slept != want {
			t.Errorf("slept %v, want the wire time %v", slept, want)
		}
		t.Logf("paced: %d bytes in %d chunks over %v of line time, none dropped", len(img), calls, slept.Round(time.Millisecond))
	})

	t.Run("unpaced", func(t *testing.T) {
		prn.Reset()
		p := mustOpen(t, prn, serial.Options{Baud: 115200, NoPace: true})
		if n, err := p.Write(img); n != len(img) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
		if !prn.WaitUntil(5*time.Second, arrived(len(img))) {
			t.Fatalf("only %d+%d of %d bytes arrived", prn.Received(), prn.Dropped(), len(img))
		}
		// No time passed on the printer's clock: it kept what fitted.
		if prn.Received() != 4096 || prn.Dropped() != len(img)-4096 {
			t.Fatalf("unpaced burst: received %d, dropped %d; want 4096 and %d", prn.Received(), prn.Dropped(), len(img)-4096)
		}
		t.Logf("unpaced: %d of %d bytes dropped", prn.Dropped(), len(img))
	})
}

func TestPort_unplugAndReplug(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	p := mustOpen(t, prn, serial.Options{})
	if _, err := p.Write([]byte("one")); err != nil {
		t.Fatal(err)
	}
	prn.WaitForBytes(3, time.Second)

	prn.Unplug()
	_, err := p.Write([]byte("lost"))
	pe := wantReason(t, err, plugin.PrinterWriteFailed, plugin.PrinterPortMissing)
	t.Logf("first write after Unplug: %v", err)
	if pe.Reason == plugin.PrinterWriteFailed && !strings.HasPrefix(err.Error(), "serial "+prn.Path()+": write: ") {
		t.Errorf("error = %q, want it to start with %q", err, "serial "+prn.Path()+": write: ")
	}
	// The device is gone: every call fails with port_missing until it is back.
	_, err = p.Write([]byte("lost"))
	wantReason(t, err, plugin.PrinterPortMissing)
	t.Logf("second write after Unplug: %v", err)
	var b [1]byte
	_, err = p.Read(b[:])
	wantReason(t, err, plugin.PrinterPortMissing)

	prn.Plug()
	if n, err := p.Write([]byte("two")); n != 3 || err != nil {
		t.Fatalf("Write after Plug = %d, %v", n, err)
	}
	if got := prn.WaitForBytes(6, time.Second); string(got) != "onetwo" {
		t.Fatalf("printer got %q, want %q", got, "onetwo")
	}
	// Reads work on the reopened device too.
	p.SetReadTimeout(time.Second)
	p.Write([]byte{0x10, 0x04, 0x04})
	if n, err := p.Read(b[:]); n != 1 || err != nil || b[0] != 0x12 {
		t.Fatalf("status after Plug: %d, %v, %#02x", n, err, b[0])
	}
}

func TestPort_Read_failsWhenUnplugged(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{Mode: serialtest.ModeSilent})
	p := mustOpen(t, prn, serial.Options{})
	p.SetReadTimeout(2 * time.Second)
	errc := make(chan error, 1)
	go func() {
		var b [1]byte
		_, err := p.Read(b[:])
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	prn.Unplug()
	select {
	case err := <-errc:
		wantReason(t, err, plugin.PrinterWriteFailed)
		t.Logf("Read when unplugged: %v", err)
		if !errors.Is(err, serial.ErrHangup) && !strings.Contains(err.Error(), "input/output error") {
			t.Errorf("Read error %q names neither a hangup nor an I/O error", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Read did not return when the printer was unplugged")
	}
}

func TestPort_Close(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{Mode: serialtest.ModeSilent})
	dir := t.TempDir()
	p := mustOpen(t, prn, serial.Options{LockDir: dir})

	// Close wakes a Read that would wait forever.
	p.SetReadTimeout(serial.NoTimeout)
	errc := make(chan error, 1)
	go func() {
		var b [1]byte
		_, err := p.Read(b[:])
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, serial.ErrClosed) {
			t.Errorf("Read after Close: %v, want ErrClosed", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Close did not wake Read")
	}

	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := p.Write([]byte("x")); !errors.Is(err, serial.ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if err := p.Drain(); !errors.Is(err, serial.ErrClosed) {
		t.Errorf("Drain after Close: %v, want ErrClosed", err)
	}
	// The lock is free again.
	q := mustOpen(t, prn, serial.Options{LockDir: dir})
	if err := q.Drain(); err != nil {
		t.Errorf("Drain: %v", err)
	}
}

// TestPort_Write_realSlips: the receipts the printer package encodes (its
// golden slips, shared in the repository's testdata/escpos) reach the
// printer byte for byte through the port's chunking and pacing: the
// native-QR slip and the 11 KB raster one.
func TestPort_Write_realSlips(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	for _, name := range []string{"slip_native.bin", "slip_raster.bin"} {
		t.Run(name, func(t *testing.T) {
			slip, err := os.ReadFile(filepath.Join("..", "..", "testdata", "escpos", name))
			if err != nil {
				t.Fatal(err)
			}
			prn.Reset()
			var paced time.Duration
			p := mustOpen(t, prn, serial.Options{Sleep: func(d time.Duration) { paced += d }})
			if n, err := p.Write(slip); n != len(slip) || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
			if want := serial.WireTime(len(slip), serial.DefaultBaud); paced < want*9/10 {
				t.Errorf("paced %v for %d bytes, want about the wire time %v", paced, len(slip), want)
			}
			if got := prn.WaitForBytes(len(slip), 5*time.Second); !bytes.Equal(got, slip) {
				t.Fatalf("the printer got %d bytes, the slip has %d", len(got), len(slip))
			}
		})
	}
}
