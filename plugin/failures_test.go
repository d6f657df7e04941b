package plugin_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

func TestSourceOf(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:5000": "loopback", "127.9.9.9:1": "loopback", "[::1]:80": "loopback", "::ffff:127.0.0.2": "loopback",
		"192.168.1.10:443": "192.168.1.10", "[2001:db8::1]:80": "2001:db8::/64", "2001:db8::ffff": "2001:db8::/64", "pipe": "pipe",
	} {
		if got := plugin.SourceOf(addr); got != want {
			t.Errorf("SourceOf(%q) = %q, want %q", addr, got, want)
		}
	}
}

// Per source, over all sources, and past the table's size (one shared
// bucket, never uncounted); each block ends with its window.
func TestFailures(t *testing.T) {
	clock := plugintest.NewClock()
	f := &plugin.Failures{PerSource: 3, Total: 10, MaxSources: 2, Window: time.Minute, Clock: clock}
	for range 3 {
		f.Fail("a")
	}
	if wait, blocked := f.Blocked("a"); !blocked || wait != time.Minute {
		t.Fatalf("a after 3: %v %v", wait, blocked)
	}
	if _, blocked := f.Blocked("b"); blocked {
		t.Fatal("b blocked by a's failures")
	}
	// The table is full (a, b): c, d, e share one bucket, still counted.
	f.Fail("b")
	f.Fail("c")
	f.Fail("d")
	if _, blocked := f.Blocked("e"); blocked {
		t.Fatal("blocked after 2 in the shared bucket")
	}
	f.Fail("e")
	if _, blocked := f.Blocked("f"); !blocked {
		t.Fatal("new sources past the table are not counted")
	}
	// Over all sources: 10 failures block everyone.
	for i := range 3 {
		f.Fail("b")
		_ = i
	}
	if _, blocked := f.Blocked("b"); !blocked {
		t.Fatal("b not blocked after its 4 failures")
	}
	clock.Advance(30 * time.Second)
	f.Fail("a")
	f.Fail("a")
	if wait, blocked := f.Blocked("z"); !blocked || wait != 30*time.Second {
		t.Fatalf("after %d failures in all, z: %v %v", 10, wait, blocked)
	}
	clock.Advance(30 * time.Second)
	for _, s := range []string{"a", "b", "z", fmt.Sprint("n", 1)} {
		if _, blocked := f.Blocked(s); blocked {
			t.Errorf("%s still blocked after the window", s)
		}
	}
}
