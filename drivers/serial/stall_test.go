package serial_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/serial"
	"github.com/sbpd/sbpd/drivers/serial/serialtest"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

// patience is how long a test waits in real time for a call that must
// return at once; only a broken Port makes it wait that long.
const patience = 20 * time.Second

type result struct {
	n   int
	err error
}

// writeAsync writes b in a goroutine, so that a write that blocks forever
// fails the test instead of hanging it.
func writeAsync(w interface{ Write([]byte) (int, error) }, b []byte) <-chan result {
	out := make(chan result, 1)
	go func() {
		n, err := w.Write(b)
		out <- result{n, err}
	}()
	return out
}

func await(tb testing.TB, c <-chan result, what string) result {
	tb.Helper()
	select {
	case r := <-c:
		return r
	case <-time.After(patience):
		tb.Fatalf("%s still blocked after %v of real time", what, patience)
		return result{}
	}
}

// writeUntilTaken writes b until the port takes it again, after the stuck
// write has returned; it fails the test if it keeps failing for reasons
// other than write_stalled, or for too long.
func writeUntilTaken(tb testing.TB, w interface{ Write([]byte) (int, error) }, b []byte) {
	tb.Helper()
	end := time.Now().Add(patience)
	for {
		r := await(tb, writeAsync(w, b), "a write after Resume")
		if r.err == nil {
			return
		}
		if plugin.ErrorReason(r.err) != plugin.PrinterWriteStalled || time.Now().After(end) {
			tb.Fatalf("write after Resume: %v", r.err)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPort_Write_stalledPrinterIsGivenUp: a printer that stops reading (a
// USB printer with a full buffer) makes the kernel block the write of a
// status query. The Port gives it up after WriteBound on its clock with
// reason write_stalled, refuses every call at once while the write is
// still stuck, and opens the device again once the printer reads.
func TestPort_Write_stalledPrinterIsGivenUp(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	clk := plugintest.NewClock()
	p := mustOpen(t, prn, serial.Options{Clock: clk})
	prn.Stall()

	query := []byte{0x10, 0x04, 0x01}
	pending := writeAsync(p, query)
	clk.WaitForTimers(t, 1)
	select {
	case r := <-pending:
		t.Fatalf("the write to a stalled printer returned before its bound: %d, %v", r.n, r.err)
	default:
	}
	bound := serial.WriteBound(len(query), serial.DefaultBaud)
	clk.Advance(bound - time.Millisecond)
	clk.Advance(time.Millisecond)
	r := await(t, pending, "the write to a stalled printer")
	pe := wantReason(t, r.err, plugin.PrinterWriteStalled)
	if !errors.Is(r.err, serial.ErrStalled) || r.n != 0 {
		t.Errorf("Write = %d, %v; want 0 and ErrStalled", r.n, r.err)
	}
	t.Logf("stalled: %v", pe)

	// While the write is stuck in the kernel, every call fails at once,
	// without a timer of its own.
	r = await(t, writeAsync(p, query), "the second write")
	wantReason(t, r.err, plugin.PrinterWriteStalled)
	var b [1]byte
	_, err := p.Read(b[:])
	wantReason(t, err, plugin.PrinterWriteStalled)
	wantReason(t, p.Drain(), plugin.PrinterWriteStalled)
	t.Logf("while stuck: %v", r.err)

	// The printer reads again: the stuck write completes and the next
	// call opens the device anew.
	prn.Resume()
	writeUntilTaken(t, p, []byte("ok"))
	if got := prn.WaitForBytes(2, patience); string(got[len(got)-2:]) != "ok" {
		t.Fatalf("the printer got %q after Resume", got)
	}
	p.SetReadTimeout(time.Second)
	if r := await(t, writeAsync(p, []byte{0x10, 0x04, 0x04}), "a status query"); r.err != nil {
		t.Fatal(r.err)
	}
	// The stuck DLE EOT 1 reached the printer too: its late reply (0x16)
	// may come first.
	var got []byte
	for len(got) < 2 && (len(got) == 0 || got[len(got)-1] != 0x12) {
		n, err := p.Read(b[:])
		if n == 0 || err != nil {
			t.Fatalf("status after Resume: %d, %v after % x", n, err, got)
		}
		got = append(got, b[0])
	}
	if got[len(got)-1] != 0x12 {
		t.Fatalf("status after Resume: % x, want 12 (after 16)", got)
	}
}

// TestPort_Write_stalledMidJob: a paced job whose printer stops reading
// part way is given up at the chunk that blocks, with the count of bytes
// written before it.
func TestPort_Write_stalledMidJob(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	clk := plugintest.NewClock()
	stallAt := 10 // chunks
	var chunks int
	stalled := make(chan struct{})
	sleep := func(time.Duration) {
		if chunks++; chunks == stallAt {
			prn.WaitForBytes(stallAt*serial.DefaultChunkSize, patience)
			prn.Stall()
			close(stalled)
		}
	}
	p := mustOpen(t, prn, serial.Options{Clock: clk, Sleep: sleep, WriteTimeout: 3 * time.Second})
	pending := writeAsync(p, raster())
	// The chunks before the stall return at once (their timers are
	// stopped); the next one blocks until the clock passes WriteTimeout.
	select {
	case <-stalled:
	case <-time.After(patience):
		t.Fatal("the job never reached the stall")
	}
	// The kernel may still find room for a chunk or two, each with its
	// own timer: move the clock on until the write gives up.
	var r result
	for end := time.Now().Add(patience); ; {
		clk.WaitForTimers(t, 1)
		clk.Advance(3 * time.Second)
		select {
		case r = <-pending:
		case <-time.After(10 * time.Millisecond):
			if time.Now().Before(end) {
				continue
			}
			t.Fatal("a paced job to a printer that stalled is still blocked")
		}
		break
	}
	wantReason(t, r.err, plugin.PrinterWriteStalled)
	// The kernel may find room for a few more chunks after the stall.
	if r.n < stallAt*serial.DefaultChunkSize || r.n >= len(raster()) || r.n%serial.DefaultChunkSize != 0 {
		t.Errorf("Write wrote %d bytes before the stall, want whole chunks from %d on", r.n, stallAt*serial.DefaultChunkSize)
	}
	t.Logf("stalled after %d bytes", r.n)
}

// TestPort_Close_doesNotWaitForAStuckWrite: SIGTERM closes the port while
// a write is stuck in the kernel; Close returns at once and the stuck
// write's caller gets its answer at the bound.
func TestPort_Close_doesNotWaitForAStuckWrite(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	clk := plugintest.NewClock()
	p := mustOpen(t, prn, serial.Options{Clock: clk})
	prn.Stall()
	pending := writeAsync(p, []byte{0x10, 0x04, 0x01})
	clk.WaitForTimers(t, 1)
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(patience):
		t.Fatal("Close waits for the stuck write")
	}
	clk.Advance(serial.MinWriteBound)
	r := await(t, pending, "the stuck write after Close")
	if r.err == nil {
		t.Fatal("the stuck write succeeded")
	}
	if r := await(t, writeAsync(p, []byte("x")), "a write after Close"); !errors.Is(r.err, serial.ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", r.err)
	}
}

// TestLazy_stalledPrinter: the lazily opened port gives a stalled write
// up too, and takes bytes again once the printer reads.
func TestLazy_stalledPrinter(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	clk := plugintest.NewClock()
	l := serial.NewLazy(serial.Options{Path: prn.Path(), LockDir: t.TempDir(), Clock: clk})
	t.Cleanup(func() { l.Close() })
	prn.Stall()
	pending := writeAsync(l, []byte{0x10, 0x04, 0x01})
	clk.WaitForTimers(t, 1)
	clk.Advance(serial.MinWriteBound)
	wantReason(t, await(t, pending, "the lazy port's write").err, plugin.PrinterWriteStalled)
	prn.Resume()
	writeUntilTaken(t, l, []byte("ok"))
}

func TestWriteBound(t *testing.T) {
	for _, c := range []struct {
		n, baud int
		want    time.Duration
	}{
		{3, 115200, 2 * time.Second},
		{64, 9600, 2 * time.Second},
		{11408, 115200, 2 * time.Second},
		{11408, 9600, serial.WireTime(11408, 9600) + time.Second}, // 12.9 s
		{3, 0, 2 * time.Second},
	} {
		if got := serial.WriteBound(c.n, c.baud); got != c.want {
			t.Errorf("WriteBound(%d, %d) = %v, want %v", c.n, c.baud, got, c.want)
		}
	}
}
