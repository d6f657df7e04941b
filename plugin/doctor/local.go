package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sbpd/sbpd/plugin"
)

func (k *Kiosk) printerUnused() string {
	if k.PrinterPort == "" && !k.Settings.bad("printer.port") {
		return fmt.Sprintf("not configured (printer.port is empty; sbp.qr_mode = %d: %s)", k.QRMode, QRModeName(k.QRMode))
	}
	return ""
}

func (k *Kiosk) checkPrinter(ctx context.Context) Result {
	ctx, cancel := withLimit(ctx, k.Limits.Local)
	defer cancel()
	return PrinterCheck(k.Printer(ctx), k.PrinterPort, k.PrinterBaud)
}

// PrinterCheck turns a printer's report into a checklist line.
func PrinterCheck(r plugin.PrinterHealth, port string, baud int) Result {
	via, on := "", "the printer on "+port
	if r.FromDaemon() {
		via = " (asked the running sbpd, which holds the port)"
	}
	switch r.Status {
	case plugin.PrinterOK:
		return Pass(fmt.Sprintf("%s answers: %s%s", on, r.State, via))
	case plugin.PrinterPaperNearEnd:
		return Warning(fmt.Sprintf("%s is near the end of its paper roll%s", on, via), "load a new paper roll soon")
	case plugin.PrinterNoAnswer:
		return Failf(fmt.Sprintf("check that it is powered on and cabled to %s, and that printer.baud (%d) matches its self-test page; `sbpd printer test` prints even without status", port, baud),
			"%s does not answer status queries%s", on, via)
	case plugin.PrinterPaperEnd:
		return Failf("load a paper roll and close the cover", "%s is out of paper%s", on, via)
	case plugin.PrinterCoverOpen:
		return Failf("close the printer's cover", "%s has its cover open%s", on, via)
	case plugin.PrinterOffline:
		return Failf("press the feed button or turn the printer off and on; check for a paper jam", "%s is offline%s", on, via)
	case plugin.PrinterError:
		return Failf("clear the jam or the cutter and turn the printer off and on", "%s reports an error: %s%s", on, r.State, via)
	case plugin.PrinterPortMissing:
		cause := r.Error
		if i := strings.LastIndex(cause, ": "); i >= 0 {
			cause = cause[i+2:] // "no such file or directory", "permission denied"
		}
		return Failf("set printer.port to the printer's device (ls /dev/ttyS* /dev/ttyUSB*) and check the cable and that sbpd's user may open it (group dialout)",
			"the serial port %s cannot be opened (%s)", port, cause)
	case plugin.PrinterLockRefused:
		return Failf("do what the message says (the lock file is in /run/lock; sbpd never overwrites one it did not make), then run sbpd doctor again",
			"the printer's lock file for %s is refused: %s", port, r.Error)
	case plugin.PrinterWriteStalled:
		return Failf("check the paper and clear the printer's error (turn it off and on); sbpd gives a write up after a few seconds and prints again once the printer takes bytes",
			"%s has stopped taking bytes (its buffer is full or the paper ran out mid-job)%s", on, via)
	case plugin.PrinterBusy:
		return Warning(fmt.Sprintf("another process holds %s, and no running sbpd answered /healthz about it", port),
			"find the holder (fuser "+port+") or check listen and api.token; stop it and run sbpd doctor again")
	}
	return Failf("run sbpd printer status and sbpd printer test", "%s cannot print: %s %s", on, r.Status, r.Error)
}

// Journal is an open journal.
type Journal interface {
	Check(ctx context.Context) error // SQLite's integrity check
	ModeFixes() []ModeFix
	Close() error
}

// JournalFile is the journal's path in dataDir.
func JournalFile(dataDir string) string { return filepath.Join(dataDir, plugin.JournalFile) }

// JournalState says whether there is a journal at path to open: opening
// an empty file would turn it into a new journal (SQLite takes a 0-byte
// file for an empty database), so neither doctor nor the settings it
// reads open one.
func JournalState(path string) (exists bool, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil && fi.Size() > 0, err
}

func (k *Kiosk) checkJournal(ctx context.Context) Result {
	path := JournalFile(k.DataDir)
	fix := fmt.Sprintf("stop sbpd, keep the damaged file for support (mv %s %s.damaged), then start sbpd to begin a new journal; the PayMaster cabinet still lists every payment", path, path)
	switch exists, err := JournalState(path); {
	case err != nil:
		return Failure("cannot read the journal: "+err.Error(), "check data_dir and the permissions of "+path)
	case !exists && fileExists(path):
		return Warning("no journal yet at "+path+": the file is empty (0 bytes), created but never written",
			"sbpd serve makes it a journal on its first start; if sbpd has taken payments on this kiosk, check data_dir and restore the journal")
	case !exists:
		return Warning("no journal yet at "+path, "sbpd serve creates it on its first start; if sbpd has run on this kiosk before, check data_dir")
	}
	ctx, cancel := withLimit(ctx, k.Limits.Local)
	defer cancel()
	db, err := k.OpenJournal(path)
	switch {
	case errors.Is(err, plugin.ErrJournalNewer):
		return Failf("install the sbpd version this kiosk ran before", "the journal %s was written by a newer sbpd than this one (sbpd %s)", path, k.Version)
	case errors.Is(err, plugin.ErrJournalDirNotWritable):
		dir := filepath.Dir(path)
		return Failf(fmt.Sprintf("make it writable by the user sbpd runs as (chown -R sbpd:sbpd %s && chmod 750 %s); if the file system is read-only (findmnt -no OPTIONS --target %s), check the disk (dmesg) and remount it read-write", dir, dir, dir),
			"the journal's directory %s is not writable, so the journal cannot be opened and no payment can be recorded", dir)
	case err != nil:
		return Failure("the journal cannot be opened: "+Innermost(err), fix)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		return Failure("the journal fails the integrity check: "+strings.TrimPrefix(err.Error(), "sqlite: "), fix)
	}
	return JournalModeCheck(path, append(append([]ModeFix(nil), k.ModeFixes...), db.ModeFixes()...))
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// JournalModeCheck is the Journal line for a sound journal: OK, or a
// warning naming each file that was open to other users, the mode it had
// and, when it could not be tightened, the command that does it.
func JournalModeCheck(path string, fixes []ModeFix) Result {
	if len(fixes) == 0 {
		return Pass("the journal " + path + " passes the integrity check")
	}
	lines := make([]string, len(fixes))
	var failed []string
	var mode fs.FileMode
	for i, f := range fixes {
		lines[i] = f.String()
		if f.Err != nil {
			failed, mode = append(failed, f.Path), max(mode, f.New)
		}
	}
	msg := "the journal " + path + " passes the integrity check, but its files were open to other users:\n" + strings.Join(lines, "\n")
	if len(failed) == 0 {
		return Warning(msg, "nothing more to do here: find what loosened them (a copy or restore made with umask 022?); sbpd creates them 0600")
	}
	return Warning(msg, fmt.Sprintf("chmod %o %s (as root or the files' owner); sbpd keeps the journal 0600 (0640 for the group of a data_dir closed to others)",
		mode, strings.Join(failed, " ")))
}

// Disk thresholds for data_dir.
const (
	DiskWarnBelow = 100 << 20
	DiskFailBelow = 10 << 20
)

func (k *Kiosk) checkDisk(context.Context) Result {
	dir := existingDir(k.DataDir)
	free, err := k.DiskFree(dir)
	if err != nil {
		return Failf("check data_dir", "cannot read the free space of %s: %v", dir, err)
	}
	msg := fmt.Sprintf("%s free in %s", HumanBytes(free), dir)
	fix := "free space on that file system: old logs (journalctl --vacuum-size=100M), apt-get clean, old exports"
	switch {
	case free < DiskFailBelow:
		return Failure(msg+": the journal cannot record payments safely", fix)
	case free < DiskWarnBelow:
		return Warning(msg, fix)
	}
	return Pass(msg)
}

// existingDir is dir or its nearest ancestor that exists: data_dir is
// created at the daemon's first start.
func existingDir(dir string) string {
	dir = filepath.Clean(dir)
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return dir
		}
		dir = parent
	}
}

// DiskFree is the space an unprivileged process may use in dir.
func DiskFree(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}

// HumanBytes is n as "3.0 GB".
func HumanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n)/unit, "KMGTPE"
	i := 0
	for v >= unit && i < len(suffix)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %cB", v, suffix[i])
}

// Innermost is the innermost error's text: "connection refused" rather
// than the whole chain with the request URL.
func Innermost(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
