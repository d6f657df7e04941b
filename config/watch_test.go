package config_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/config"
)

// versioned is a VersionedStore in memory.
type versioned struct {
	config.MapStore
	version int64
}

func (v *versioned) Version(context.Context) (int64, error) { return v.version, nil }

func (v *versioned) set(key, value string) { v.MapStore[key] = value; v.version++ }

// Poll returns nothing while nothing changes, the changes once they are
// written, and a rejection, once, for settings that do not validate.
func TestWatcher_Poll(t *testing.T) {
	ctx := context.Background()
	till := &versioned{MapStore: config.MapStore{"paymaster.merchant_id": "m1", "paymaster.token": "pm-token-1"}}
	w := config.NewWatcher(config.Options{}, till)
	cur, err := w.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		write    func()
		wantDiff string
		wantErr  string
	}{
		{name: "nothing changed"},
		{name: "a change", write: func() { till.set("sbp.poll_interval", "2s") }, wantDiff: "sbp.poll_interval: 3s → 2s"},
		{name: "the same value", write: func() { till.set("sbp.poll_interval", "2s") }},
		{name: "invalid", write: func() { till.set("sbp.qr_mode", "2") }, wantErr: "needs paymaster.sticker_id"},
		{name: "rejected once", write: func() {}},
		{name: "no token", write: func() { delete(till.MapStore, "sbp.qr_mode"); till.set("paymaster.token", "") }, wantErr: "paymaster.token"},
	}
	for _, s := range steps {
		if s.write != nil {
			s.write()
		}
		next, diff, err := w.Poll(ctx, cur)
		if next != nil {
			cur = next
		}
		if got := strings.Join(diff, "\n"); got != s.wantDiff || (err == nil) != (s.wantErr == "") || (err != nil && !strings.Contains(err.Error(), s.wantErr)) {
			t.Fatalf("%s: diff %q err %v", s.name, got, err)
		}
	}
}
