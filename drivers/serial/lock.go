package serial

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// DefaultLockDir is where lock files go when Options.LockDir is empty:
// the system's lock directory, root's and sticky (mode 1777) on Debian, so
// that the daemon (user sbpd) and a command run by root share it and only
// a file's owner or root can remove a file there. There is no fallback:
// when it is missing, the port is not opened (a LockError).
const DefaultLockDir = "/run/lock"

// defaultLockDir is DefaultLockDir; a variable so that tests can make it
// unusable.
var defaultLockDir = DefaultLockDir

// geteuid is os.Geteuid; tests play another user with it.
var geteuid = os.Geteuid

// errLocked is what a LockError of code LockHeld Is: another open file
// description (another process, or another Port in this one) holds the
// lock on a lock file sbpd trusts.
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

// acquireLock locks the lock file of device in dir (defaultLockDir when
// dir is ""). It returns the lock file's path, also on error, and a
// *LockError when it refuses the directory or the file or another process
// holds the lock (that one Is errLocked).
func acquireLock(dir, device string) (*lockFile, string, error) {
	if dir == "" {
		dir = defaultLockDir
	}
	path := lockPath(dir, device)
	if err := checkLockDir(dir); err != nil {
		return nil, path, err
	}
	l, err := lockIn(path)
	return l, path, err
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
