package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Settings is the per-till settings table: the layer of sbpd's settings
// that a field technician edits on each kiosk with `sbpd settings`. It
// stores text and checks nothing but the key's presence: config validates
// values before they are written. It implements config.TillStore and
// config.TillRows.
//
// Every write bumps Version in the same transaction (triggers in the
// schema, so an edit in the sqlite3 shell counts too). A daemon polls
// Version to notice a change made by another process.
type Settings struct {
	db *DB
}

// Setting is one row of the settings table.
type Setting struct {
	Key       string
	Value     string
	UpdatedAt time.Time
	UpdatedBy string // who wrote it, e.g. "alice via sbpd settings set"
}

// History says, from rows, when and by whom a till setting was last
// written (ok false: it is not in rows).
func History(rows []Setting) func(key string) (at time.Time, by string, ok bool) {
	return func(key string) (time.Time, string, bool) {
		for _, r := range rows {
			if r.Key == key {
				return r.UpdatedAt, r.UpdatedBy, true
			}
		}
		return time.Time{}, "", false
	}
}

// Settings returns the per-till settings stored in db.
func (db *DB) Settings() *Settings { return &Settings{db: db} }

// TillSettings returns every stored key and its value.
func (s *Settings) TillSettings(ctx context.Context) (map[string]string, error) {
	all, err := s.All(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(all))
	for _, st := range all {
		m[st.Key] = st.Value
	}
	return m, nil
}

// TillHistory says, from the rows as they are now, when and by whom each
// till setting was last written (config.TillRows).
func (s *Settings) TillHistory(ctx context.Context) (func(key string) (at time.Time, by string, ok bool), error) {
	all, err := s.All(ctx)
	if err != nil {
		return nil, err
	}
	return History(all), nil
}

// All returns every row, by key.
func (s *Settings) All(ctx context.Context) ([]Setting, error) {
	rows, err := s.db.read.QueryContext(ctx, "SELECT key, value, updated_at, updated_by FROM settings ORDER BY key")
	if err != nil {
		return nil, fmt.Errorf("sqlite: read settings: %w", err)
	}
	defer rows.Close()
	var out []Setting
	for rows.Next() {
		var st Setting
		var at int64
		if err := rows.Scan(&st.Key, &st.Value, &at, &st.UpdatedBy); err != nil {
			return nil, fmt.Errorf("sqlite: read settings: %w", err)
		}
		st.UpdatedAt = time.Unix(0, at).UTC()
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read settings: %w", err)
	}
	return out, nil
}

// Set stores value for key. Writing the value a key already has changes
// nothing, not even Version.
func (s *Settings) Set(ctx context.Context, key, value, who string) error {
	return s.Apply(ctx, map[string]string{key: value}, nil, who)
}

// Unset removes key and reports whether it was set.
func (s *Settings) Unset(ctx context.Context, key string) (bool, error) {
	res, err := s.db.write.ExecContext(ctx, "DELETE FROM settings WHERE key = ?", key)
	if err != nil {
		return false, fmt.Errorf("sqlite: unset setting %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: unset setting %s: %w", key, err)
	}
	return n > 0, nil
}

// Apply stores every key of set and removes every key of unset in one
// transaction: all of them or, on any error, none.
func (s *Settings) Apply(ctx context.Context, set map[string]string, unset []string, who string) error {
	return s.apply(ctx, nil, set, unset, who)
}

// ApplyIf is Apply when the till settings are still from, the rows the
// change was checked against: read and written in one write transaction,
// so that two changes checked at once cannot together leave settings
// neither was checked with. Otherwise it writes nothing and returns a
// *plugin.Error with reason plugin.RefusedSettingsChanged.
func (s *Settings) ApplyIf(ctx context.Context, from, set map[string]string, unset []string, who string) error {
	if from == nil {
		from = map[string]string{}
	}
	return s.apply(ctx, from, set, unset, who)
}

// apply writes set and unset in one transaction; with from, only when the
// rows are from.
func (s *Settings) apply(ctx context.Context, from, set map[string]string, unset []string, who string) error {
	keys := make([]string, 0, len(set))
	for k := range set {
		if k == "" {
			return errors.New("sqlite: write settings: empty key")
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	at, err := encodeTime(s.db.now())
	if err != nil {
		return fmt.Errorf("sqlite: write settings: %w", err)
	}
	tx, err := s.db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: write settings: %w", err)
	}
	defer tx.Rollback()
	if from != nil {
		if err := stillFrom(ctx, tx, from); err != nil {
			return err
		}
	}
	for _, k := range unset {
		if _, err := tx.ExecContext(ctx, "DELETE FROM settings WHERE key = ?", k); err != nil {
			return fmt.Errorf("sqlite: unset setting %s: %w", k, err)
		}
	}
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by
			WHERE settings.value IS NOT excluded.value`, k, set[k], at, who); err != nil {
			return fmt.Errorf("sqlite: set setting %s: %w", k, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: write settings: %w", err)
	}
	return nil
}

// Version is a counter that changes on every write to the settings; read
// it before loading the settings and compare it later to see whether they
// have changed since.
func (s *Settings) Version(ctx context.Context) (int64, error) {
	var v int64
	if err := s.db.read.QueryRowContext(ctx, "SELECT version FROM settings_version WHERE id = 1").Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: read settings version: %w", err)
	}
	return v, nil
}

// stillFrom refuses, inside the write transaction tx, when the till
// settings are no longer from.
func stillFrom(ctx context.Context, tx *sql.Tx, from map[string]string) error {
	rows, err := tx.QueryContext(ctx, "SELECT key, value FROM settings")
	if err != nil {
		return fmt.Errorf("sqlite: read settings: %w", err)
	}
	defer rows.Close()
	now := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return fmt.Errorf("sqlite: read settings: %w", err)
		}
		now[k] = v
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: read settings: %w", err)
	}
	if !maps.Equal(now, from) {
		return &plugin.Error{Code: plugin.EConflict, Reason: plugin.RefusedSettingsChanged,
			Message: "the till settings changed while this change was being checked (someone else changed them at the same time): nothing was written"}
	}
	return nil
}
