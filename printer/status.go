package printer

import (
	"fmt"
	"strings"

	"github.com/sbpd/sbpd/plugin"
)

// Status is what the printer said to the real-time status queries
// DLE EOT 1..4. A Status with Known false means the printer did not answer
// (or not fully): it is never taken as "ready".
type Status struct {
	Known        bool    // the printer answered DLE EOT 1, 2 and 4
	Online       bool    // DLE EOT 1 bit 3 clear
	CoverOpen    bool    // DLE EOT 2 bit 2
	PaperNearEnd bool    // DLE EOT 4 bits 2-3: still printable
	PaperEnd     bool    // DLE EOT 4 bits 5-6, or DLE EOT 2 bit 5 (stopped on paper end)
	Error        bool    // DLE EOT 2 bit 6, or any error bit of DLE EOT 3
	Raw          [4]byte // replies to DLE EOT 1, 2, 3, 4; 0 if none
}

// Bits of the status replies (Epson; the clones mostly follow).
const (
	statusFixedMask = 0x93 // bits 0, 1, 4, 7 ...
	statusFixed     = 0x12 // ... are 0, 1, 1, 0 in every valid reply

	st1Offline = 0x08

	st2CoverOpen = 0x04
	st2PaperStop = 0x20
	st2Error     = 0x40

	st3Mechanical    = 0x04
	st3Cutter        = 0x08
	st3Unrecoverable = 0x20
	st3AutoRecover   = 0x40

	st4NearEnd  = 0x0C
	st4PaperEnd = 0x60
)

// ParseStatus reads b, the printer's reply to DLE EOT n (n = 1..4), into a
// Status that holds only what that one reply says: Known is true, Raw[n-1]
// is b, and the flags of reply n are set. Online comes only from n = 1 and
// is false for the others. A byte that is not a status reply (b&0x93 !=
// 0x12) is an error.
func ParseStatus(n int, b byte) (Status, error) {
	if n < 1 || n > 4 {
		return Status{}, fmt.Errorf("printer: no status query DLE EOT %d (1..4)", n)
	}
	if b&statusFixedMask != statusFixed {
		return Status{}, fmt.Errorf("printer: %#02x is not a reply to DLE EOT %d", b, n)
	}
	s := Status{Known: true}
	s.Raw[n-1] = b
	switch n {
	case 1:
		s.Online = b&st1Offline == 0
	case 2:
		s.CoverOpen = b&st2CoverOpen != 0
		s.PaperEnd = b&st2PaperStop != 0
		s.Error = b&st2Error != 0
	case 3:
		s.Error = b&(st3Mechanical|st3Cutter|st3Unrecoverable|st3AutoRecover) != 0
	case 4:
		s.PaperNearEnd = b&st4NearEnd != 0
		s.PaperEnd = b&st4PaperEnd != 0
	}
	return s, nil
}

// add merges the reply to DLE EOT n, parsed by ParseStatus, into s.
func (s *Status) add(n int, r Status) {
	if n == 1 {
		s.Online = r.Online
	}
	s.CoverOpen = s.CoverOpen || r.CoverOpen
	s.PaperNearEnd = s.PaperNearEnd || r.PaperNearEnd
	s.PaperEnd = s.PaperEnd || r.PaperEnd
	s.Error = s.Error || r.Error
	s.Raw[n-1] = r.Raw[n-1]
}

// Reason returns "" when the printer can print (paper near end still can),
// otherwise why not, as one of plugin.PrinterNoAnswer, PrinterCoverOpen,
// PrinterPaperEnd, PrinterError or PrinterOffline, in that order of
// precedence: a printer with its cover open also reports itself offline.
func (s Status) Reason() string {
	switch {
	case !s.Known:
		return plugin.PrinterNoAnswer
	case s.CoverOpen:
		return plugin.PrinterCoverOpen
	case s.PaperEnd:
		return plugin.PrinterPaperEnd
	case s.Error:
		return plugin.PrinterError
	case !s.Online:
		return plugin.PrinterOffline
	}
	return ""
}

// Word is s in one word, as /healthz and `sbpd printer status` name it:
// plugin.PrinterOK, plugin.PrinterPaperNearEnd (it still prints), or the
// Reason it cannot print.
func (s Status) Word() string {
	switch {
	case s.Reason() != "":
		return s.Reason()
	case s.PaperNearEnd:
		return plugin.PrinterPaperNearEnd
	}
	return plugin.PrinterOK
}

// String describes s for people, e.g. "online, paper near end" or
// "offline, cover open".
func (s Status) String() string {
	if !s.Known {
		return "unknown (no answer to DLE EOT)"
	}
	parts := []string{"online"}
	if !s.Online {
		parts[0] = "offline"
	}
	if s.CoverOpen {
		parts = append(parts, "cover open")
	}
	switch {
	case s.PaperEnd:
		parts = append(parts, "paper end")
	case s.PaperNearEnd:
		parts = append(parts, "paper near end")
	}
	if s.Error {
		parts = append(parts, "error"+errorCause(s.Raw[2]))
	}
	return strings.Join(parts, ", ")
}

// errorCause names the error bits of a DLE EOT 3 reply, if there was one.
func errorCause(b byte) string {
	var causes []string
	for _, c := range []struct {
		bit  byte
		name string
	}{
		{st3Mechanical, "mechanical"},
		{st3Cutter, "autocutter"},
		{st3Unrecoverable, "unrecoverable"},
		{st3AutoRecover, "auto-recoverable, e.g. head overheat"},
	} {
		if b&c.bit != 0 {
			causes = append(causes, c.name)
		}
	}
	if len(causes) == 0 {
		return ""
	}
	return " (" + strings.Join(causes, ", ") + ")"
}

// message is the sentence for a plugin.Error refusing to print for reason.
func message(reason string) string {
	switch reason {
	case plugin.PrinterNoAnswer:
		return "the receipt printer does not answer status queries"
	case plugin.PrinterCoverOpen:
		return "the receipt printer's cover is open"
	case plugin.PrinterPaperEnd:
		return "the receipt printer is out of paper"
	case plugin.PrinterError:
		return "the receipt printer reports an error"
	case plugin.PrinterOffline:
		return "the receipt printer is offline"
	}
	return "the receipt printer cannot print"
}
