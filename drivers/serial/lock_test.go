package serial

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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

// Without a LockDir, a missing /run/lock is refused: no fallback to the
// world-writable /tmp, which under systemd's PrivateTmp is the daemon's
// own, so a lock there would exclude nothing.
func TestAcquireLock_noFallback(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	old := defaultLockDir
	defaultLockDir = filepath.Join(t.TempDir(), "missing")
	t.Cleanup(func() { defaultLockDir = old })

	_, path, err := acquireLock("", "/dev/ttyS0")
	var le *LockError
	if !errors.As(err, &le) || le.Code != LockDirUnusable || !strings.HasPrefix(path, defaultLockDir) {
		t.Errorf("acquireLock without /run/lock: %q, %v, want a LockError %q in %s", path, err, LockDirUnusable, defaultLockDir)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("TMPDIR now holds %v", entries)
	}
	_, err = Open(Options{Path: "/dev/ttyS0"})
	if plugin.ErrorReason(err) != plugin.PrinterLockRefused || !strings.Contains(err.Error(), "cannot be locked") {
		t.Errorf("Open with an unusable lock dir: %v", err)
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

// victim is a file that must come through a lock attempt unchanged.
func victim(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(path, []byte("DATA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func unchanged(t *testing.T, path string) {
	t.Helper()
	if b, err := os.ReadFile(path); err != nil || string(b) != "DATA\n" {
		t.Errorf("%s now holds %q (%v), want DATA", path, b, err)
	}
}

// The red team's attack: a symbolic link at the lock's path aimed at a
// file sbpd's user may write. sbpd must not follow it.
func TestAcquireLock_refusesSymlink(t *testing.T) {
	dir, v := t.TempDir(), victim(t)
	path := lockPath(dir, "/dev/ttyRT9")
	if err := os.Symlink(v, path); err != nil {
		t.Fatal(err)
	}
	_, _, err := acquireLock(dir, "/dev/ttyRT9")
	var le *LockError
	if !errors.As(err, &le) || le.Code != LockSymlink || !strings.Contains(err.Error(), "rm "+path) {
		t.Errorf("acquireLock through a symlink: %v, want a LockError %q naming rm %s", err, LockSymlink, path)
	}
	unchanged(t, v)
}

func TestAcquireLock_refusesHardLinkAndBigFile(t *testing.T) {
	dir, v := t.TempDir(), victim(t)
	if err := os.Link(v, lockPath(dir, "/dev/ttyS0")); err != nil {
		t.Fatal(err)
	}
	_, _, err := acquireLock(dir, "/dev/ttyS0")
	var le *LockError
	if !errors.As(err, &le) || le.Code != LockNotOurs || !strings.Contains(err.Error(), "2 names") {
		t.Errorf("acquireLock on a hard link: %v, want a LockError %q", err, LockNotOurs)
	}
	unchanged(t, v)

	big := lockPath(dir, "/dev/ttyS1")
	if err := os.WriteFile(big, []byte(strings.Repeat("x", 33)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := acquireLock(dir, "/dev/ttyS1"); !errors.As(err, &le) || le.Code != LockNotOurs {
		t.Errorf("acquireLock on a 33-byte file: %v, want a LockError %q", err, LockNotOurs)
	}
	if b, _ := os.ReadFile(big); len(b) != 33 {
		t.Errorf("the 33-byte file now holds %q", b)
	}
}

// A FIFO at the lock's path: the open must not wait for a writer, and the
// lock must be refused.
func TestAcquireLock_refusesFIFO(t *testing.T) {
	dir := t.TempDir()
	path := lockPath(dir, "/dev/ttyS0")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := acquireLock(dir, "/dev/ttyS0")
	var le *LockError
	if !errors.As(err, &le) || le.Code != LockNotRegular {
		t.Errorf("acquireLock on a FIFO: %v, want a LockError %q", err, LockNotRegular)
	}
}

func TestOpen_refusedLockSaysWhy(t *testing.T) {
	dir, v := t.TempDir(), victim(t)
	if err := os.Symlink(v, lockPath(dir, "/dev/ttyRT9")); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Options{Path: "/dev/ttyRT9", LockDir: dir})
	if plugin.ErrorReason(err) != plugin.PrinterLockRefused || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Open with a symlinked lock: %v (%s), want lock_refused naming the link", err, plugin.ErrorReason(err))
	}
	unchanged(t, v)
}

func TestLockOwner(t *testing.T) {
	tests := []struct {
		owner, self uint32
		want        ownerVerdict
	}{
		{1000, 1000, ownerSelf},
		{0, 0, ownerSelf},
		{0, 998, ownerRoot},
		{65534, 998, ownerOther},
		{998, 0, ownerAdopt},
	}
	for _, tt := range tests {
		if got := lockOwner(tt.owner, tt.self); got != tt.want {
			t.Errorf("lockOwner(%d, %d) = %v, want %v", tt.owner, tt.self, got, tt.want)
		}
	}
}

// asUser makes the lock code see self as the current user.
func asUser(t *testing.T, self int) {
	old := geteuid
	geteuid = func() int { return self }
	t.Cleanup(func() { geteuid = old })
}

// A lock file of another user (not root): refused, never written, and the
// refusal names the user; when that user holds it, it says so, not "busy".
func TestAcquireLock_otherUsersFile(t *testing.T) {
	dir := t.TempDir()
	path := lockPath(dir, "/dev/ttyS0")
	if err := os.WriteFile(path, []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	owner, self := os.Geteuid(), os.Geteuid()+1
	if owner == 0 { // root's files are trusted: give it to nobody
		owner, self = 65534, 998
		if err := os.Chown(path, owner, owner); err != nil {
			t.Fatal(err)
		}
	}
	asUser(t, self)
	_, _, err := acquireLock(dir, "/dev/ttyS0")
	var le *LockError
	if !errors.As(err, &le) || le.Code != LockOtherUser || le.Held {
		t.Errorf("another user's lock file: %v, want LockError %q, not held", err, LockOtherUser)
	}
	holder, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := flock(holder, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	_, _, err = acquireLock(dir, "/dev/ttyS0")
	if !errors.As(err, &le) || le.Code != LockOtherUser || !le.Held || errors.Is(err, errLocked) ||
		!strings.Contains(err.Error(), "uid "+strconv.Itoa(owner)) || !strings.Contains(err.Error(), "fuser") {
		t.Errorf("another user's held lock file: %v, want LockError %q, held, naming uid %d", err, LockOtherUser, owner)
	}
	if b, _ := os.ReadFile(path); string(b) != "4242\n" {
		t.Errorf("another user's lock file now holds %q", b)
	}
}

// Root's lock file (left by `sudo sbpd printer test`) serves the daemon's
// user too: locked through a read-only descriptor, never written.
func TestAcquireLock_rootsFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to own the file")
	}
	dir := t.TempDir()
	path := lockPath(dir, "/dev/ttyS0")
	if err := os.WriteFile(path, []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	asUser(t, 998)
	l, _, err := acquireLock(dir, "/dev/ttyS0")
	if err != nil {
		t.Fatalf("root's lock file: %v", err)
	}
	defer l.release()
	if b, _ := os.ReadFile(path); string(b) != "4242\n" {
		t.Errorf("root's lock file now holds %q", b)
	}
	if _, _, err := acquireLock(dir, "/dev/ttyS0"); !errors.Is(err, errLocked) {
		t.Errorf("second lock: %v, want errLocked", err)
	}
}

// Root takes over a lock file the daemon's user left, when nobody holds
// it: it becomes root's, so its old owner can no longer remove it from
// the sticky lock directory under root's lock.
func TestAcquireLock_rootAdopts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	dir := t.TempDir()
	path := lockPath(dir, "/dev/ttyS0")
	if err := os.WriteFile(path, []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 998, 998); err != nil {
		t.Fatal(err)
	}
	holder, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := flock(holder, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	// Held, it is the daemon's (user sbpd's) as likely as anyone's: busy,
	// so that sbpd printer status asks the daemon, with the owner named.
	_, _, err = acquireLock(dir, "/dev/ttyS0")
	if !errors.Is(err, errLocked) || !strings.Contains(err.Error(), "uid 998") {
		t.Errorf("a held lock of uid 998 as root: %v, want errLocked naming uid 998", err)
	}
	_, err = Open(Options{Path: "/dev/ttyS0", LockDir: dir})
	if msg := err.Error(); plugin.ErrorReason(err) != plugin.PrinterBusy || !strings.Contains(msg, "a file of ") || !strings.Contains(msg, "uid 998") {
		t.Errorf("Open on a held lock of uid 998 as root: %v, want port_busy naming uid 998", err)
	}
	holder.Close()
	l, _, err := acquireLock(dir, "/dev/ttyS0")
	if err != nil {
		t.Fatalf("an unheld lock of uid 998 as root: %v", err)
	}
	defer l.release()
	fi, _ := os.Stat(path)
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 {
		t.Errorf("the adopted lock is uid %d's, want root's", st.Uid)
	}
	if b, _ := os.ReadFile(path); strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("the adopted lock holds %q, want our pid", b)
	}
}

// A lock directory any user can write without the sticky bit lets any
// user swap the lock file: refused.
func TestAcquireLock_refusesOpenDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	_, _, err := acquireLock(dir, "/dev/ttyS0")
	var le *LockError
	if !errors.As(err, &le) || le.Code != LockDirUnsafe {
		t.Errorf("a lock dir of mode 0777: %v, want a LockError %q", err, LockDirUnsafe)
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	l, _, err := acquireLock(dir, "/dev/ttyS0")
	if err != nil {
		t.Fatalf("a sticky lock dir: %v", err)
	}
	l.release()
}
