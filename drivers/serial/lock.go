package serial

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// DefaultLockDir is where lock files go when Options.LockDir is empty. When
// it is missing or not writable, os.TempDir() is used instead.
const DefaultLockDir = "/run/lock"

// defaultLockDir is DefaultLockDir; a variable so that tests can make it
// unusable.
var defaultLockDir = DefaultLockDir

// errLocked is returned by acquireLock when another open file description
// (another process, or another Port in this one) holds the lock.
var errLocked = errors.New("lock is held by another process")

// lockFile is an exclusive advisory flock(2) lock on a file.
type lockFile struct {
	f    *os.File
	path string
}

// lockName turns a device path into a file-name fragment:
// "/dev/ttyS0" -> "dev_ttyS0". Overlong names are cut and given a hash so
// that they stay unique and fit in a file name.
func lockName(device string) string {
	clean := strings.TrimLeft(filepath.Clean(device), "/")
	var b strings.Builder
	for _, r := range clean {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9',
			r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := b.String()
	const maxLen = 200
	if len(name) > maxLen {
		h := fnv.New64a()
		h.Write([]byte(clean))
		name = fmt.Sprintf("%s-%016x", name[:maxLen-17], h.Sum64())
	}
	return name
}

// lockPath is the lock file for device in dir.
func lockPath(dir, device string) string {
	return filepath.Join(dir, "sbpd-"+lockName(device)+".lock")
}

// acquireLock locks the lock file of device. With dir == "" it tries
// defaultLockDir and falls back to os.TempDir() when that directory cannot
// hold the file. It returns the path it tried last, also on error, and
// errLocked when the lock is taken.
func acquireLock(dir, device string) (*lockFile, string, error) {
	if dir != "" {
		return lockIn(dir, device)
	}
	l, path, err := lockIn(defaultLockDir, device)
	if err == nil || errors.Is(err, errLocked) {
		return l, path, err
	}
	return lockIn(os.TempDir(), device)
}

func lockIn(dir, device string) (*lockFile, string, error) {
	path := lockPath(dir, device)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	writable := err == nil
	if errors.Is(err, os.ErrPermission) {
		// The file belongs to another user (in the sticky /run/lock): a
		// read-only descriptor is enough for flock.
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, path, err
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, path, errLocked
		}
		return nil, path, fmt.Errorf("flock %s: %w", path, err)
	}
	if writable {
		// Best effort: tell a technician who holds the port.
		_ = f.Truncate(0)
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &lockFile{f: f, path: path}, path, nil
}

// release unlocks and closes the lock file; it leaves the file in place,
// because removing a flock file races with the next process locking it.
func (l *lockFile) release() error {
	if l == nil {
		return nil
	}
	err := flock(l.f, syscall.LOCK_UN)
	return errors.Join(err, l.f.Close())
}

func flock(f *os.File, how int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			ferr = syscall.Flock(int(fd), how)
			if ferr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return ferr
}
