package serialtest

import (
	"fmt"
	"time"
)

// Mode is the state the fake printer reports to DLE EOT n (10 04 n).
//
// Every reply has bits 1 and 4 set and bits 0 and 7 clear (b&0x93 == 0x12),
// as the ESC/POS reference requires; see Status for the bits. The replies:
//
//	mode              n=1   n=2   n=3   n=4   prints?
//	ModeOK            0x16  0x12  0x12  0x12  yes
//	ModePaperNearEnd  0x16  0x12  0x12  0x1E  yes
//	ModePaperEnd      0x1A  0x32  0x12  0x72  no
//	ModeCoverOpen     0x1A  0x16  0x12  0x12  no
//	ModeOffline       0x1A  0x12  0x12  0x12  no
//	ModeError         0x1A  0x52  0x1A  0x12  no
//	ModeSilent        —     —     —     —     yes
//	ModeSlow          as ModeOK, after the answer delay  yes
//
// "prints?" says whether the emulated buffer drains (PrinterOptions.PrintRate)
// in that mode: a printer that is offline keeps what it received.
type Mode int

// The modes of the fake printer.
const (
	// ModeOK is a healthy printer: online, paper present, cover closed.
	// n=1 answers 0x16 (drawer pin high, as the escpos-netprinter emulator
	// does; a real printer may answer 0x12), n=2..4 answer 0x12.
	ModeOK Mode = iota
	// ModePaperNearEnd still prints; only n=4 changes: 0x1E (bits 2+3,
	// the near-end sensor).
	ModePaperNearEnd
	// ModePaperEnd is out of paper and offline: n=1 0x1A (bit 3 offline),
	// n=2 0x32 (bit 5, stopped on paper end), n=4 0x72 (bits 5+6, no paper).
	ModePaperEnd
	// ModeCoverOpen is offline with the cover open: n=1 0x1A, n=2 0x16
	// (bit 2, cover open).
	ModeCoverOpen
	// ModeOffline is offline with no cause reported: n=1 0x1A, n=2..4 0x12.
	ModeOffline
	// ModeError is offline after an error: n=1 0x1A, n=2 0x52 (bit 6, an
	// error occurred), n=3 0x1A (bit 3, autocutter error).
	ModeError
	// ModeSilent answers nothing, like a printer without DLE EOT support
	// or a cable with only TX wired. It prints normally.
	ModeSilent
	// ModeSlow answers as ModeOK but only after the answer delay
	// (SetAnswerDelay; DefaultSlowDelay when none is set).
	ModeSlow
)

// DefaultSlowDelay is how late ModeSlow answers when no answer delay is set.
const DefaultSlowDelay = 300 * time.Millisecond

var modeNames = [...]string{"ok", "paper-near-end", "paper-end", "cover-open", "offline", "error", "silent", "slow"}

func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Bits of the DLE EOT replies (Epson ESC/POS; clones mostly follow it).
const (
	StatusFixed = 0x12 // bits 1 and 4: always set in a reply

	Status1Drawer  = 0x04 // n=1: drawer connector pin 3 high
	Status1Offline = 0x08 // n=1: offline

	Status2CoverOpen = 0x04 // n=2: cover open
	Status2PaperEnd  = 0x20 // n=2: printing stopped because of paper end
	Status2Error     = 0x40 // n=2: an error occurred

	Status3Cutter = 0x08 // n=3: autocutter error

	Status4NearEnd = 0x0C // n=4: paper near end (bits 2+3)
	Status4NoPaper = 0x60 // n=4: paper end (bits 5+6)
)

// Status returns the byte a printer in mode m answers to DLE EOT n, and
// false when it answers nothing (ModeSilent, or n outside 1..4).
func Status(m Mode, n byte) (byte, bool) {
	if n < 1 || n > 4 || m == ModeSilent {
		return 0, false
	}
	offline := m == ModePaperEnd || m == ModeCoverOpen || m == ModeOffline || m == ModeError
	b := byte(StatusFixed)
	switch n {
	case 1:
		if offline {
			b |= Status1Offline
		} else {
			b |= Status1Drawer
		}
	case 2:
		switch m {
		case ModePaperEnd:
			b |= Status2PaperEnd
		case ModeCoverOpen:
			b |= Status2CoverOpen
		case ModeError:
			b |= Status2Error
		}
	case 3:
		if m == ModeError {
			b |= Status3Cutter
		}
	case 4:
		switch m {
		case ModePaperNearEnd:
			b |= Status4NearEnd
		case ModePaperEnd:
			b |= Status4NoPaper
		}
	}
	return b, true
}

// prints says whether a printer in mode m takes bytes out of its buffer.
func (m Mode) prints() bool {
	switch m {
	case ModePaperEnd, ModeCoverOpen, ModeOffline, ModeError:
		return false
	}
	return true
}
