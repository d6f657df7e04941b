// Package sqlite is sbpd's local payment journal on SQLite
// (github.com/mattn/go-sqlite3, https://www.sqlite.org).
//
// Open opens or creates the journal file, switches it to write-ahead logging
// with synchronous=FULL, so a committed state change survives a power cut,
// and applies the embedded, versioned schema migrations (migrations/*.sql).
// A file whose schema is newer than this binary knows is refused.
//
// Journal implements plugin.Journal: every payment attempt is one row of the
// payments table and every state change is one appended row of the events
// table. A payment and its event are written in one transaction. Payment
// rows are never deleted and events are never changed; triggers in the schema
// refuse it even from the sqlite3 shell. Amounts are INTEGER kopecks and
// times are INTEGER Unix nanoseconds in UTC, so periods are plain range
// queries. The schema avoids STRICT tables so that a technician's older
// sqlite3 shell can still read the file.
//
// Writes go through one connection, so concurrent Updates queue inside the
// process instead of failing with SQLITE_BUSY; reads use a separate pool of
// read-only connections, which do not wait for the writer. Other processes
// on the same file (a technician's tool) wait up to BusyTimeout.
//
// One daemon works a journal's payments: CreateExclusive, the daemon's
// open, first claims the journal (ClaimJournal: an exclusive flock on
// LockFile, sbpd.lock beside it, which the kernel drops when the process
// ends), and a second daemon is refused with an *InUseError
// (plugin.ErrJournalInUse) naming the holder's pid. Open, Create and
// OpenExisting, which the CLI's commands use beside the daemon, do not
// claim it.
//
// Search and Events serve the till API and the back office; every value in
// them is a bound parameter.
//
// Settings is the per-till layer of sbpd's settings (the settings table,
// migration 0002): text values a field technician sets with `sbpd settings`,
// checked by package config before they are written. It implements
// config.TillStore. Every write bumps a stored counter, Version, in the same
// transaction, so a running daemon notices a change made by another process
// with one cheap read.
package sqlite
