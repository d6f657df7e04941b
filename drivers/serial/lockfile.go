package serial

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// The codes of a LockError.
const (
	LockDirUnusable = "lock_dir_unusable" // the lock directory is missing, or sbpd's user cannot create the file in it
	LockDirUnsafe   = "lock_dir_unsafe"   // another user owns the directory, or any user may rename files in it
	LockSymlink     = "lock_symlink"      // a symbolic link at the lock's path: never followed
	LockNotRegular  = "lock_not_regular"  // a FIFO, device, socket or directory at the lock's path
	LockNotOurs     = "lock_not_ours"     // a second name of another file, or more than a pid in it
	LockOtherUser   = "lock_other_user"   // a file of another user (not root), held or not
	LockChanged     = "lock_changed"      // the path named another file once the lock was taken
	LockHeld        = "lock_held"         // a trusted lock file another process holds: the port is busy
)

// LockError is a printer lock sbpd refuses or cannot take: Code says why.
// Its message names the file and what to do (which file to remove). A
// LockError never comes with a change to the file: sbpd writes its pid
// only into a lock file it owns, after the checks.
type LockError struct {
	Code string
	Path string // the lock file (the directory for the LockDir codes)
	UID  int    // the file's owner, for LockOtherUser and LockHeld; -1 when unknown
	Held bool   // another process holds the lock (LockHeld, and LockOtherUser when it does)
	Err  error  // the operating system's error, if one caused it
	msg  string
}

func (e *LockError) Error() string { return e.msg }

func (e *LockError) Unwrap() error { return e.Err }

// Is makes a LockError of code LockHeld errLocked: the port is busy.
func (e *LockError) Is(target error) bool { return target == errLocked && e.Code == LockHeld }

// heldBy is ", a file of user NAME (uid N)" for a held lock file that is
// not this user's (root's, or the daemon's seen by root), else "".
func heldBy(err error) string {
	var le *LockError
	if !errors.As(err, &le) || le.UID < 0 || le.UID == geteuid() {
		return ""
	}
	return ", a file of " + userName(le.UID)
}

// maxLockBytes is the most an sbpd lock file holds: a pid and a newline,
// with room to spare. Anything longer is some other file.
const maxLockBytes = 32

// lockOpenFlags open a lock file never through a symbolic link, never
// waiting for a FIFO's writer or a device, never as a controlling terminal.
const lockOpenFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK | syscall.O_CLOEXEC | syscall.O_NOCTTY

// checkLockDir refuses a lock directory that is missing, or that a user
// other than root or this one could rename lock files in: one that user
// owns, or one any user may write without the sticky bit.
func checkLockDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		if err == nil {
			err = syscall.ENOTDIR
		}
		return &LockError{Code: LockDirUnusable, Path: dir, UID: -1, Err: err,
			msg: fmt.Sprintf("the lock directory %s is missing (%v) and sbpd keeps the printer's lock nowhere else; create it as root the way the system does at boot (systemd-tmpfiles --create, or mkdir -m 1777 %s)", dir, osErr(err), dir)}
	}
	uid := ownerOf(fi)
	if (uid != 0 && uid != geteuid()) || (fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0) {
		return &LockError{Code: LockDirUnsafe, Path: dir, UID: uid,
			msg: fmt.Sprintf("the lock directory %s (mode %v, %s) lets another user replace the lock file, so sbpd does not lock the printer there; it must be root's or sbpd's own and, if others may write it, sticky (chmod +t %s)", dir, fi.Mode(), userName(uid), dir)}
	}
	return nil
}

// lockIn opens, checks and locks the lock file at path.
func lockIn(path string) (*lockFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|lockOpenFlags, 0o644)
	writable := err == nil
	if err != nil && errors.Is(err, fs.ErrPermission) && exists(path) {
		// Another user's file (in the sticky /run/lock, where
		// fs.protected_regular refuses even root an O_CREAT open of it):
		// a read-only descriptor is enough for flock.
		f, err = os.OpenFile(path, os.O_RDONLY|lockOpenFlags, 0)
	}
	if err != nil {
		return nil, openLockError(path, err)
	}
	fi, err := checkLockFile(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	l, err := takeLock(f, path, fi, writable)
	if err != nil {
		f.Close()
	}
	return l, err
}

// openLockError explains why the lock file did not open.
func openLockError(path string, err error) error {
	switch {
	case errors.Is(err, syscall.ELOOP):
		return &LockError{Code: LockSymlink, Path: path, UID: -1, Err: err,
			msg: fmt.Sprintf("the printer's lock %s is a symbolic link, which sbpd never follows (it could aim sbpd's pid at another file), so the port is not opened; remove it as root (rm %s)", path, path)}
	case !exists(path):
		return &LockError{Code: LockDirUnusable, Path: path, UID: -1, Err: err,
			msg: fmt.Sprintf("the printer's lock %s cannot be created (%v), so sbpd cannot lock the port; its user's user must be able to create files in %s (mode 1777, as /run/lock is)", path, osErr(err), filepath.Dir(path))}
	}
	return &LockError{Code: LockNotRegular, Path: path, UID: -1, Err: err,
		msg: fmt.Sprintf("the printer's lock %s cannot be opened (%v); remove it as root (rm %s)", path, osErr(err), path)}
}

// checkLockFile refuses what is no sbpd lock file: not a regular file, a
// second name of another file, more than a pid. Writing a pid into one of
// those would overwrite whatever it is.
func checkLockFile(f *os.File, path string) (fs.FileInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, &LockError{Code: LockNotRegular, Path: path, UID: -1, Err: err,
			msg: fmt.Sprintf("the printer's lock %s cannot be examined (%v)", path, osErr(err))}
	}
	if !fi.Mode().IsRegular() {
		return nil, &LockError{Code: LockNotRegular, Path: path, UID: ownerOf(fi),
			msg: fmt.Sprintf("the printer's lock %s is not a regular file (%v), so sbpd neither waits on it nor writes it; remove it as root (rm %s)", path, fi.Mode().Type(), path)}
	}
	names := uint64(1)
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		names = uint64(st.Nlink)
	}
	if names != 1 || fi.Size() > maxLockBytes {
		return nil, &LockError{Code: LockNotOurs, Path: path, UID: ownerOf(fi),
			msg: fmt.Sprintf("the printer's lock %s is no lock file of sbpd's (%d names, %d bytes, where sbpd's has one name and at most a pid), so sbpd leaves it as it is; move it away as root (mv %s %s.old)", path, names, fi.Size(), path, path)}
	}
	return fi, nil
}

// ownerVerdict is what sbpd does with a lock file given its owner.
type ownerVerdict int

const (
	ownerSelf  ownerVerdict = iota // this user's: lock it and write the pid
	ownerRoot                      // root's, seen by another user: lock it, never write it
	ownerAdopt                     // another user's, seen by root: lock it, then make it root's
	ownerOther                     // another user's, seen by a user who is not root: refuse
)

// lockOwner judges a lock file of owner seen by user self. Only its owner
// and root can remove or rename a file in the sticky lock directory, so a
// lock file of a third user is one that user could pull from under the
// lock (and then two processes would hold "the" lock) or hold forever.
func lockOwner(owner, self uint32) ownerVerdict {
	switch {
	case owner == self:
		return ownerSelf
	case owner == 0:
		return ownerRoot
	case self == 0:
		return ownerAdopt
	}
	return ownerOther
}

// takeLock locks the checked lock file f as its owner allows; writable
// says whether f was opened for writing.
func takeLock(f *os.File, path string, fi fs.FileInfo, writable bool) (*lockFile, error) {
	uid := ownerOf(fi)
	verdict := lockOwner(uint32(uid), uint32(geteuid()))
	err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB)
	held := errors.Is(err, syscall.EWOULDBLOCK)
	switch {
	case verdict == ownerOther:
		return nil, otherUserError(path, uid, held)
	case held:
		return nil, &LockError{Code: LockHeld, Path: path, UID: uid, Held: true,
			msg: fmt.Sprintf("another process holds the printer's lock %s (a file of %s)", path, userName(uid))}
	case err != nil:
		return nil, &LockError{Code: LockNotRegular, Path: path, UID: uid, Err: err,
			msg: fmt.Sprintf("the printer's lock %s cannot be locked (%v)", path, osErr(err))}
	}
	if verdict == ownerAdopt {
		if err := f.Chown(0, 0); err != nil {
			return nil, &LockError{Code: LockOtherUser, Path: path, UID: uid, Err: err,
				msg: fmt.Sprintf("the printer's lock %s of %s cannot be made root's (%v); remove it (rm %s) once no sbpd runs", path, userName(uid), osErr(err), path)}
		}
		verdict = ownerSelf
	}
	if now, err := os.Lstat(path); err != nil || !os.SameFile(now, fi) {
		return nil, &LockError{Code: LockChanged, Path: path, UID: uid,
			msg: fmt.Sprintf("the printer's lock %s was replaced while sbpd locked it; try again", path)}
	}
	if verdict == ownerSelf {
		writePID(f, path, fi, writable)
	}
	return &lockFile{f: f, path: path}, nil
}

// otherUserError refuses a lock file of another user who is not root.
func otherUserError(path string, uid int, held bool) error {
	if held {
		return &LockError{Code: LockOtherUser, Path: path, UID: uid, Held: true,
			msg: fmt.Sprintf("the printer's lock %s belongs to %s, not to sbpd's user or root, and a process of that user holds it, which keeps the printer from sbpd; find that process (fuser -v %s) and remove the file as root (rm %s)", path, userName(uid), path, path)}
	}
	return &LockError{Code: LockOtherUser, Path: path, UID: uid,
		msg: fmt.Sprintf("the printer's lock %s belongs to %s, not to sbpd's user or root, and that user could remove or hold it under sbpd, so sbpd does not use it; remove it as root (rm %s)", path, userName(uid), path)}
}

// writePID writes this process's pid into its own lock file, best effort:
// it tells a technician who holds the port. A descriptor that is read-only
// (another user's file that root has just made its own) is
// reopened for writing, but only if the path still names the same file.
func writePID(f *os.File, path string, fi fs.FileInfo, writable bool) {
	w := f
	if !writable {
		var err error
		w, err = os.OpenFile(path, os.O_WRONLY|lockOpenFlags, 0)
		if err != nil {
			return
		}
		defer w.Close() // another open file description: f's lock stays
		if now, err := w.Stat(); err != nil || !os.SameFile(now, fi) {
			return
		}
	}
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if n, err := w.WriteAt(pid, 0); err == nil {
		w.Truncate(int64(n))
	}
}

// ownerOf is the uid of fi's owner, -1 when unknown.
func ownerOf(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

// userName is "user NAME (uid N)", or "uid N" when the name is unknown.
func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return fmt.Sprintf("user %s (uid %d)", u.Username, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}

// osErr is the operating system's own words in err ("permission
// denied"), without the path and operation, which the message has.
func osErr(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
