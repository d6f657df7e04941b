package plugin

import (
	"fmt"
	"io/fs"
)

// ModeFix is a journal file found with a mode looser than allowed, as
// the journal driver opening it tightens it and doctor reports it.
type ModeFix struct {
	Path string      // the journal, or its -wal or -shm file
	Old  fs.FileMode // the permission bits found
	New  fs.FileMode // the permission bits it gets (has, when Err is nil)
	Err  error       // why the mode could not be changed; nil when it was
}

// String says what was found and done, for a log line or doctor:
// "/var/lib/sbpd/sbpd.db had mode 0644 (other users could read it); now 0600".
func (f ModeFix) String() string {
	extra := f.Old &^ f.New
	verb := func(class fs.FileMode) string {
		if f.Old&class&0o222 != 0 {
			return "change"
		}
		return "read"
	}
	why := "it was executable"
	switch {
	case extra&0o007 != 0:
		why = "other users could " + verb(0o007) + " it"
	case extra&0o070 != 0:
		why = "its group could " + verb(0o070) + " it"
	}
	s := fmt.Sprintf("%s had mode %04o (%s)", f.Path, f.Old, why)
	if f.Err != nil {
		return fmt.Sprintf("%s and could not be changed to %04o: %v", s, f.New, f.Err)
	}
	return fmt.Sprintf("%s; now %04o", s, f.New)
}
