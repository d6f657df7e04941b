package serialtest_test

import (
	"bytes"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/serial/serialtest"
)

// openTTY opens the fake's port directly, without go.bug.st/serial, so that
// these tests check the fake alone.
func openTTY(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// readByte reads one byte within timeout; ok is false on timeout.
func readByte(t *testing.T, f *os.File, timeout time.Duration) (byte, bool) {
	t.Helper()
	if err := f.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatalf("SetReadDeadline: %v", err)
	}
	var b [1]byte
	n, err := f.Read(b[:])
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, false
	}
	if err != nil || n != 1 {
		t.Fatalf("read: %d, %v", n, err)
	}
	return b[0], true
}

func TestPrinter_rawBytes(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	f := openTTY(t, prn.Path())
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if _, err := f.Write(all); err != nil {
		t.Fatal(err)
	}
	if got := prn.WaitForBytes(256, 2*time.Second); !bytes.Equal(got, all) {
		t.Fatalf("got % x\nwant % x", got, all)
	}
	// Nothing echoes back on a raw line.
	if b, ok := readByte(t, f, 50*time.Millisecond); ok {
		t.Fatalf("unexpected byte %#02x from the printer", b)
	}
}

func TestPrinter_answersStatusPerMode(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	f := openTTY(t, prn.Path())
	for _, m := range []serialtest.Mode{serialtest.ModeOK, serialtest.ModePaperNearEnd, serialtest.ModePaperEnd,
		serialtest.ModeCoverOpen, serialtest.ModeOffline, serialtest.ModeError} {
		prn.SetMode(m)
		for n := byte(1); n <= 4; n++ {
			want, _ := serialtest.Status(m, n)
			f.Write([]byte{0x10, 0x04, n})
			got, ok := readByte(t, f, time.Second)
			if !ok || got != want {
				t.Errorf("%v DLE EOT %d: got %#02x (answered %v), want %#02x", m, n, got, ok, want)
			}
		}
	}
	if got := prn.Bytes(); len(got) != 0 {
		t.Errorf("queries were recorded as data: % x", got)
	}
	if q := prn.Queries(); len(q) != 24 {
		t.Errorf("%d queries recorded, want 24", len(q))
	}
}

func TestPrinter_silentAndSlow(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{Mode: serialtest.ModeSilent})
	f := openTTY(t, prn.Path())
	f.Write([]byte{0x10, 0x04, 0x01})
	if b, ok := readByte(t, f, 100*time.Millisecond); ok {
		t.Fatalf("silent printer answered %#02x", b)
	}

	prn.SetMode(serialtest.ModeSlow)
	prn.SetAnswerDelay(300 * time.Millisecond)
	start := time.Now()
	f.Write([]byte{0x10, 0x04, 0x04})
	if _, ok := readByte(t, f, 50*time.Millisecond); ok {
		t.Fatal("slow printer answered before its delay")
	}
	b, ok := readByte(t, f, time.Second)
	if !ok || b != 0x12 {
		t.Fatalf("slow printer: %#02x, %v; want 0x12", b, ok)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("answered after %v, want at least 300ms", d)
	}
}

func TestPrinter_unplugPlug(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	f := openTTY(t, prn.Path())
	f.Write([]byte("one"))
	prn.WaitForBytes(3, time.Second)

	prn.Unplug()
	if _, err := f.Write([]byte("lost")); err == nil {
		t.Error("write to an unplugged printer succeeded")
	}
	if _, err := os.Stat(prn.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Path still there after Unplug: %v", err)
	}
	prn.Unplug() // twice is fine

	prn.Plug()
	g := openTTY(t, prn.Path())
	g.Write([]byte("two"))
	if got := prn.WaitForBytes(6, time.Second); string(got) != "onetwo" {
		t.Fatalf("got %q, want %q", got, "onetwo")
	}
	g.Write([]byte{0x10, 0x04, 0x02})
	if b, ok := readByte(t, g, time.Second); !ok || b != 0x12 {
		t.Fatalf("after Plug: status %#02x, %v", b, ok)
	}
}

func TestPrinter_reset(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{BufferSize: 2})
	f := openTTY(t, prn.Path())
	f.Write([]byte("abcd"))
	prn.WaitUntil(time.Second, func() bool { return prn.Received()+prn.Dropped() == 4 })
	if prn.Received() != 2 || prn.Dropped() != 2 {
		t.Fatalf("received %d dropped %d, want 2 and 2 (buffer never drains)", prn.Received(), prn.Dropped())
	}
	prn.Reset()
	if prn.Received() != 0 || prn.Dropped() != 0 {
		t.Fatalf("after Reset: received %d dropped %d", prn.Received(), prn.Dropped())
	}
	f.Write([]byte("ef"))
	if got := prn.WaitForBytes(2, time.Second); string(got) != "ef" {
		t.Fatalf("after Reset got %q", got)
	}
}
