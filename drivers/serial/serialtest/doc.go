// Package serialtest is a fake ESC/POS receipt printer for tests: it sits on
// the master side of a pseudo-terminal (github.com/creack/pty) and the code
// under test opens the slave as the printer's serial port, with
// go.bug.st/serial as in production. No socat, no hardware.
//
//	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
//	port, _ := serial.Open(serial.Options{Path: prn.Path(), LockDir: t.TempDir()})
//	port.Write([]byte{0x1B, 0x40, 'h', 'i', '\n'})
//	got := prn.WaitForBytes(5, time.Second) // 1B 40 68 69 0A
//	prn.SetMode(serialtest.ModePaperEnd)
//	port.Write([]byte{0x10, 0x04, 0x04})     // DLE EOT 4
//	port.Read(b[:1])                         // 0x72: paper end
//
// What the fake does:
//
//   - It records every data byte it receives, unchanged (the pty is raw),
//     and answers real-time status queries DLE EOT n (10 04 n, n = 1..4)
//     with one byte according to its Mode; queries are not recorded as
//     data. Like a real serial printer it answers a 10 04 n that happens to
//     sit inside image data too, so test payloads must avoid that sequence.
//   - It can emulate a printer without flow control: a receive buffer of
//     PrinterOptions.BufferSize bytes that the mechanism empties at
//     PrintRate bytes per second (only while the mode prints). It reads the
//     line eagerly, as a UART does, and drops what arrives while the buffer
//     is full (Dropped), so a test can show that unpaced bursts lose bytes
//     and paced writes do not.
//   - Stall makes it stop reading and fills the pseudo-terminal until a
//     non-blocking write finds no room (EAGAIN), so the port's next write
//     blocks in the kernel as on a USB printer with a full buffer; Resume
//     reads again (the filler is not recorded).
//   - Path is a symlink that stays put while Unplug and Plug pull and
//     replug the cable: Unplug removes it and closes the pty, so an open
//     port fails with an I/O error and a reopen fails with "no such file";
//     Plug opens a new pty and points the symlink at it.
//
// Everything is closed when the test ends. The package needs a Unix system
// with /dev/ptmx.
package serialtest
