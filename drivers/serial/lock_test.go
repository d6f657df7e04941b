package serial

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

func TestLockPath(t *testing.T) {
	tests := []struct{ device, want string }{
		{"/dev/ttyS0", "/run/lock/sbpd-dev_ttyS0.lock"},
		{"/dev/ttyUSB0", "/run/lock/sbpd-dev_ttyUSB0.lock"},
		{"/dev//ttyS0/", "/run/lock/sbpd-dev_ttyS0.lock"},
		{"/dev/serial/by-id/usb-1a86_USB2.0-Ser_-if00-port0", "/run/lock/sbpd-dev_serial_by-id_usb-1a86_USB2.0-Ser_-if00-port0.lock"},
		{"COM3", "/run/lock/sbpd-COM3.lock"},
		{"/dev/tty with space:x", "/run/lock/sbpd-dev_tty_with_space_x.lock"},
	}
	for _, tt := range tests {
		if got := lockPath("/run/lock", tt.device); got != tt.want {
			t.Errorf("lockPath(%q) = %q, want %q", tt.device, got, tt.want)
		}
	}
	long := "/dev/" + strings.Repeat("x", 300)
	name := filepath.Base(lockPath("/run/lock", long))
	if len(name) > 255 || name == filepath.Base(lockPath("/run/lock", long+"y")) {
		t.Errorf("long path: lock name %q (%d bytes) is too long or not unique", name, len(name))
	}
}

func TestAcquireLock(t *testing.T) {
	dir := t.TempDir()
	l, path, err := acquireLock(dir, "/dev/ttyS0")
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := os.ReadFile(path)
	if strings.TrimSpace(string(pid)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q, want our PID", pid)
	}
	if _, _, err := acquireLock(dir, "/dev/ttyS0"); !errors.Is(err, errLocked) {
		t.Fatalf("second lock: %v, want errLocked", err)
	}
	if _, _, err := acquireLock(dir, "/dev/ttyS1"); err != nil {
		t.Fatalf("another port's lock: %v", err)
	}
	if err := l.release(); err != nil {
		t.Fatal(err)
	}
	l, _, err = acquireLock(dir, "/dev/ttyS0")
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l.release()
}

func TestAcquireLock_fallsBackToTempDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	old := defaultLockDir
	defaultLockDir = filepath.Join(t.TempDir(), "missing")
	t.Cleanup(func() { defaultLockDir = old })

	l, path, err := acquireLock("", "/dev/ttyS0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.release()
	if want := filepath.Join(tmp, "sbpd-dev_ttyS0.lock"); path != want {
		t.Errorf("lock at %q, want %q", path, want)
	}
	// An explicit LockDir is used as given, without a fallback.
	_, err = Open(Options{Path: "/dev/ttyS0", LockDir: defaultLockDir})
	if plugin.ErrorReason(err) != plugin.PrinterPortMissing || !strings.Contains(err.Error(), "cannot be locked") {
		t.Errorf("Open with an unusable LockDir: %v", err)
	}
}

func TestOpen_failureReleasesLock(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(t.TempDir(), "ttyGONE")
	for range 2 { // the second attempt must not find the port busy
		_, err := Open(Options{Path: missing, LockDir: dir})
		if plugin.ErrorReason(err) != plugin.PrinterPortMissing {
			t.Fatalf("Open(%s): %v, want port_missing", missing, err)
		}
	}
	l, _, err := acquireLock(dir, missing)
	if err != nil {
		t.Fatalf("lock after failed Open: %v", err)
	}
	l.release()
}
