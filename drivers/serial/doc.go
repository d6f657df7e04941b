// Package serial is the receipt printer's serial port: go.bug.st/serial
// narrowed to what the printer needs, plus the three things a kiosk daemon
// must add on top of the library.
//
// A Port is an io.ReadWriter with SetReadTimeout, Drain and
// ResetInputBuffer; go.bug.st/serial's fourteen-method Port never leaves
// this package. The device is opened 8N1 at Options.Baud (115200 by
// default) in raw mode, with no flow control (the library always clears
// CRTSCTS and IXON/IXOFF) and without touching the modem lines, so it works
// the same on a real UART, a USB adapter and a pseudo-terminal.
//
//   - One daemon per port. Open takes an exclusive, non-blocking flock on
//     <LockDir>/sbpd-<path>.lock (LockDir is /run/lock by default) before it
//     opens the device, so a second sbpd configured for the same port fails
//     at once with reason plugin.PrinterBusy instead of interleaving its
//     bytes with the first one's. The library's TIOCEXCL is not enough: it
//     does not stop a process running as root. The lock file holds the PID
//     of the owner; it is never removed. /run/lock is root's and sticky
//     and any user may create files there, so the lock file is opened with
//     O_NOFOLLOW|O_NONBLOCK|O_NOCTTY and taken only if it is a regular file
//     of one name holding at most a pid; the pid is written only into this
//     user's own file. Another user's file is refused (root's is locked
//     without writing; root takes over an unheld one), with a *LockError
//     that names the owner and the file to remove. There is no fallback
//     directory: a missing /run/lock is refused.
//
//   - Paced writes. Cheap receipt printers have a receive buffer of a few
//     KB and no working flow control, and a USB "virtual COM" printer takes
//     bytes far faster than its nominal baud. Write therefore sends
//     Options.ChunkSize bytes (64) at a time and sleeps after each chunk for
//     as long as those bytes take on the wire: 10 bit-times per byte in 8N1,
//     so len*10/Baud seconds (a 11 KB raster QR takes about 1 s at 115200,
//     12 s at 9600). Options.PaceRate paces below the wire rate for a printer
//     that prints slower than its line delivers. Options.NoPace turns pacing
//     off.
//
//   - Recovery from a pulled cable. When a Read, Write, Drain or
//     ResetInputBuffer fails, the Port closes the device, and the next call
//     opens Options.Path again. While the device is absent every call fails
//     with reason plugin.PrinterPortMissing; once it is back the calls work
//     again, so the daemon recovers without a restart. The lock is held for
//     the whole life of the Port, across reopens. Configure a stable path
//     such as /dev/serial/by-id/usb-…: a USB adapter that comes back while
//     its old node is still open gets the next number (ttyUSB1).
//
//   - Bounded writes. A USB printer that stops reading (its buffer is full,
//     its paper ran out mid-job) makes the kernel block a write forever, and
//     go.bug.st/serial has no write timeout. Every write syscall and Drain
//     runs in a goroutine and is given up after WriteBound of its bytes
//     (their wire time plus WriteMargin, at least MinWriteBound: 2 s for a
//     status query or a paced chunk), or Options.WriteTimeout, timed by
//     Options.Clock. The call then fails with reason
//     plugin.PrinterWriteStalled wrapping ErrStalled. Nothing interrupts
//     the stuck write (neither close nor TCOFLUSH wakes it), and a second
//     write to the same line would queue behind it, so until it returns
//     every call fails at once with the same reason; once it returns (the
//     printer reads again, or is unplugged) the device is closed and the
//     next call opens it again. Close never waits for it.
//
// Read keeps go.bug.st/serial's contract: it waits at most the read timeout
// (DefaultReadTimeout until SetReadTimeout is called) and a timeout returns
// (0, nil), not an error, so n == 0 means "nothing arrived".
//
// Errors are *plugin.Error with code plugin.EUnavailable and one of the
// printer reasons: PrinterBusy (the lock or the device is held by another
// process), PrinterPortMissing (the device cannot be opened; the OS error
// is wrapped), PrinterLockRefused (the lock file or its directory is
// refused; the *LockError is wrapped) and PrinterWriteFailed (an I/O error on an open port, for
// reads as well as writes; the cause is wrapped, for example
// "serial /dev/ttyUSB0: write: input/output error") and PrinterWriteStalled
// (a write or drain outlived its bound; see above).
//
// The package is for Linux (and other Unix systems with flock). Its fake,
// package serialtest, emulates an ESC/POS printer on a pseudo-terminal.
package serial
