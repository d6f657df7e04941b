package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
)

// BenchmarkJournalUpdate is one durable state change: an UPDATE of the
// payment and an appended event in one transaction, fsync'd (WAL,
// synchronous=FULL) to a real file.
func BenchmarkJournalUpdate(b *testing.B) {
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	j := db.Journal()
	ctx := context.Background()
	now := time.Now().UTC()
	p := &plugin.Payment{ID: "P1", CheckID: "1", OrderNo: "K-1-1", Amount: 100, Mode: 1, State: plugin.StateCreating,
		IdempotencyKey: "k", ExpiresAt: now.Add(5 * time.Minute), CreatedAt: now, UpdatedAt: now}
	if err := j.Create(ctx, p, plugin.Event{Kind: plugin.EvCreated, At: now}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.PayMasterStatus = fmt.Sprint(i)
		if err := j.Update(ctx, p, plugin.Event{Kind: plugin.EvRemoteStatus, At: now}); err != nil {
			b.Fatal(err)
		}
	}
}
