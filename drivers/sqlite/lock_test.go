package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

// wantInUse checks that err is the refusal of a held journal: an
// *InUseError that is plugin.ErrJournalInUse, naming the journal, the lock
// file, the holder's pid and what to do.
func wantInUse(t *testing.T, err error, journal string, pid int) {
	t.Helper()
	var held *InUseError
	if !errors.As(err, &held) || !errors.Is(err, plugin.ErrJournalInUse) {
		t.Fatalf("error %v (%T), want an *InUseError that is plugin.ErrJournalInUse", err, err)
	}
	lock := filepath.Join(filepath.Dir(journal), LockFile)
	if held.Journal != journal || held.Lock != lock || held.PID != pid {
		t.Errorf("InUseError %+v, want journal %s, lock %s, pid %d", held, journal, lock, pid)
	}
	msg := err.Error()
	for _, want := range []string{journal, lock, fmt.Sprintf("pid %d", pid), "systemctl stop sbpd"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error %q is more than one line", msg)
	}
}

// TestClaim_SecondRefusedUntilReleased: while one claim holds a journal, a
// second claim of it (another open file, as another process would have)
// is refused with the holder's pid, and changes nothing in the directory;
// once the first is released the next claim succeeds.
func TestClaim_SecondRefusedUntilReleased(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	journal := filepath.Join(dir, plugin.JournalFile)
	first, err := ClaimJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(dir, LockFile)
	if first.Path() != lock {
		t.Errorf("Path %s, want %s", first.Path(), lock)
	}
	fi, err := os.Stat(lock)
	if err != nil || fi.Mode().Perm() != FileMode {
		t.Fatalf("lock file: %v, mode %v, want %04o", err, fi.Mode(), FileMode)
	}
	if b, _ := os.ReadFile(lock); string(b) != strconv.Itoa(os.Getpid())+"\n" {
		t.Errorf("lock file holds %q, want the pid", b)
	}
	before := plugintest.DirState(t, dir, true)
	for range 2 {
		second, err := ClaimJournal(journal)
		if second != nil {
			t.Fatal("a second claim was granted")
		}
		wantInUse(t, err, journal, os.Getpid())
	}
	if after := plugintest.DirState(t, dir, true); !slices.Equal(before, after) {
		t.Errorf("a refused claim changed the directory:\n%v\n%v", before, after)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	if err := first.Release(); err != nil {
		t.Errorf("a second Release: %v", err)
	}
	again, err := ClaimJournal(journal)
	if err != nil {
		t.Fatalf("after the release: %v", err)
	}
	again.Release()
	if _, err := os.Stat(lock); err != nil {
		t.Errorf("the lock file is gone after a release: %v (it stays: a process that opened it must lock the file at the path)", err)
	}
}

// TestCreateExclusive: the daemon's journal. A second CreateExclusive of
// the same journal is refused before it opens anything, the first keeps
// writing, and Close releases the claim.
func TestCreateExclusive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, plugin.JournalFile)
	db, err := CreateExclusive(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != DirMode {
		t.Fatalf("data_dir: %v %v", err, fi)
	}
	before := plugintest.DirState(t, dir, true)
	second, err := CreateExclusive(path)
	if second != nil {
		second.Close()
		t.Fatal("a second daemon's journal opened")
	}
	wantInUse(t, err, path, os.Getpid())
	if after := plugintest.DirState(t, dir, true); !slices.Equal(before, after) {
		t.Errorf("the refused open changed the directory:\n%v\n%v", before, after)
	}
	ctx := context.Background()
	p := newPayment("01", "C1", 100, base)
	if err := db.Journal().Create(ctx, p, plugin.Event{PaymentID: p.ID, At: base, Kind: plugin.EvCreated}); err != nil {
		t.Fatalf("the first journal after the refusal: %v", err)
	}
	// Readers (the CLI's journal and settings commands, doctor) open it
	// beside the daemon all the same.
	reader, err := Open(path)
	if err != nil {
		t.Fatalf("a reader beside the daemon: %v", err)
	}
	reader.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	next, err := CreateExclusive(path)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	next.Close()
}

// TestClaim_ReleasedWhenHolderDies: the claim of a process killed with
// SIGKILL (a crash, a power cut) is no claim: the kernel drops the lock
// with the process, so the next daemon starts with no stale lock to
// remove. The holder is this test binary run again as a child.
func TestClaim_ReleasedWhenHolderDies(t *testing.T) {
	journal := filepath.Join(t.TempDir(), plugin.JournalFile)
	cmd := exec.Command(os.Args[0], "-test.run=^TestClaim_HolderProcess$")
	cmd.Env = append(os.Environ(), "SBPD_TEST_HOLD_JOURNAL="+journal)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "held\n" {
		t.Fatalf("the holder said %q (%v)", line, err)
	}
	_, err = ClaimJournal(journal)
	wantInUse(t, err, journal, cmd.Process.Pid)
	cmd.Process.Kill()
	cmd.Wait()
	c, err := ClaimJournal(journal)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	c.Release()
}

// TestClaim_HolderProcess is the child of TestClaim_ReleasedWhenHolderDies:
// it claims the journal, says so and waits to be killed.
func TestClaim_HolderProcess(t *testing.T) {
	journal := os.Getenv("SBPD_TEST_HOLD_JOURNAL")
	if journal == "" {
		t.Skip("the holder process of TestClaim_ReleasedWhenHolderDies")
	}
	c, err := ClaimJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("held")
	io.Copy(io.Discard, os.Stdin) // until the parent kills it (or goes)
	runtime.KeepAlive(c)          // an unreachable file is closed by the collector, and its lock goes
}

// TestClaim_LockFileChecked: the lock file is read within bounds and is
// never a link or anything but a regular file; its mode is tightened to
// FileMode by the one who holds it.
func TestClaim_LockFileChecked(t *testing.T) {
	t.Run("pid unreadable", func(t *testing.T) {
		dir := t.TempDir()
		journal := filepath.Join(dir, plugin.JournalFile)
		c, err := ClaimJournal(journal)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
		for _, junk := range []string{"", "x\n", "-5\n", "0\n", strings.Repeat("9", 40) + "\n", "123\n" + strings.Repeat("z", 1<<20)} {
			if err := os.WriteFile(filepath.Join(dir, LockFile), []byte(junk), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := ClaimJournal(journal)
			var held *InUseError
			if !errors.As(err, &held) || held.PID != 0 || !strings.Contains(err.Error(), "pid unknown") {
				t.Errorf("lock file %.20q: %v, want in use with pid unknown", junk, err)
			}
		}
	})
	// A lock file that is another file's second name (a hard link to the
	// journal), or holds more than a pid, is refused and never truncated:
	// writing the pid over it would wipe what it holds.
	for name, make := range map[string]func(dir string) (string, error){
		"hard link to the journal": func(dir string) (string, error) {
			db := filepath.Join(dir, plugin.JournalFile)
			if err := os.WriteFile(db, []byte(strings.Repeat("journal page ", 1000)), 0o600); err != nil {
				return "", err
			}
			return db, os.Link(db, filepath.Join(dir, LockFile))
		},
		"more than a pid": func(dir string) (string, error) {
			lock := filepath.Join(dir, LockFile)
			return lock, os.WriteFile(lock, []byte("123\n"+strings.Repeat("z", 4096)), 0o600)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			kept, err := make(dir)
			if err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(kept)
			c, err := ClaimJournal(filepath.Join(dir, plugin.JournalFile))
			if c != nil || err == nil || !strings.Contains(err.Error(), "not sbpd's lock file") {
				t.Fatalf("claim: %v", err)
			}
			if after, _ := os.ReadFile(kept); !bytes.Equal(after, before) {
				t.Fatalf("%s changed: %d bytes, was %d", kept, len(after), len(before))
			}
		})
	}
	t.Run("symbolic link", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(t.TempDir(), "elsewhere")
		if err := os.Symlink(target, filepath.Join(dir, LockFile)); err != nil {
			t.Fatal(err)
		}
		c, err := ClaimJournal(filepath.Join(dir, plugin.JournalFile))
		if c != nil || err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Fatalf("a link as the lock file: %v", err)
		}
		if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the link's target was created: %v", err)
		}
	})
	t.Run("not a file", func(t *testing.T) {
		dir := t.TempDir()
		if err := syscall.Mkfifo(filepath.Join(dir, LockFile), 0o600); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := ClaimJournal(filepath.Join(dir, plugin.JournalFile)); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Fatalf("a FIFO as the lock file: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a FIFO as the lock file blocked the claim")
		}
	})
	t.Run("loose mode", func(t *testing.T) {
		dir := t.TempDir()
		lock := filepath.Join(dir, LockFile)
		if err := os.WriteFile(lock, []byte("1\n"), 0o666); err != nil {
			t.Fatal(err)
		}
		os.Chmod(lock, 0o666)
		c, err := ClaimJournal(filepath.Join(dir, plugin.JournalFile))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
		if fi, _ := os.Stat(lock); fi.Mode().Perm() != FileMode {
			t.Errorf("mode %04o, want %04o", fi.Mode().Perm(), FileMode)
		}
	})
}

// TestClaim_DirNotWritable: a data_dir where the lock file cannot be made
// is the journal's own refusal, plugin.ErrJournalDirNotWritable, with the
// fix (chattr +i, as root ignores modes).
func TestClaim_DirNotWritable(t *testing.T) {
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
			t.Skipf("chattr +i: %v: %s", err, out)
		}
		defer exec.Command("chattr", "-i", dir).Run()
	} else {
		os.Chmod(dir, 0o500)
		defer os.Chmod(dir, 0o700)
	}
	_, err := ClaimJournal(filepath.Join(dir, plugin.JournalFile))
	if !errors.Is(err, plugin.ErrJournalDirNotWritable) || !strings.Contains(err.Error(), "the directory "+dir+" is not writable") {
		t.Fatalf("%v, want the directory named as not writable", err)
	}
}
