package config_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
)

// Open returns a valid Config or an error, never both; Resolve returns the
// Config with its problems.
func TestOpen_ValidOrError(t *testing.T) {
	ctx := context.Background()
	o := config.Options{Till: config.MapStore{"sbp.qr_mode": "2"}} // needs a sticker
	cfg, err := config.Open(ctx, o)
	if cfg != nil || !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("Open of invalid settings: %v, %v", cfg, err)
	}
	cfg, ps, err := config.Resolve(ctx, o)
	if err != nil || cfg == nil || len(ps) == 0 || cfg.SBP.QRMode != 2 {
		t.Fatalf("Resolve: %v %v %v", cfg, ps, err)
	}
	if cfg, err := config.Open(ctx, config.Options{}); cfg == nil || err != nil {
		t.Fatalf("Open of the defaults: %v", err)
	}
}

// A change is refused only for the problems it adds.
func TestCheckChange(t *testing.T) {
	cases := map[string]struct {
		cur, next  map[string]string
		refused    string // a word of the refusal, "" for accepted
		stillCount int
	}{
		"good":              {cur: map[string]string{}, next: map[string]string{"sbp.poll_interval": "2s"}},
		"new problem":       {cur: map[string]string{}, next: map[string]string{"sbp.qr_mode": "2"}, refused: "paymaster.sticker_id"},
		"old problem stays": {cur: map[string]string{"sbp.qr_mode": "2"}, next: map[string]string{"sbp.qr_mode": "2", "till.id": "K08"}, stillCount: 1},
		"old problem fixed": {cur: map[string]string{"sbp.qr_mode": "2"}, next: map[string]string{"sbp.qr_mode": "2", "paymaster.sticker_id": "st1"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, still, err := config.CheckChange(context.Background(), config.Options{}, c.cur, c.next)
			if c.refused != "" {
				if cfg != nil || err == nil || !strings.Contains(err.Error(), c.refused) {
					t.Fatalf("want refused for %s: %v %v", c.refused, cfg, err)
				}
				return
			}
			if err != nil || cfg == nil || len(still) != c.stillCount {
				t.Fatalf("%v %v %v", cfg, still, err)
			}
		})
	}
}

// fakeTill records what WriteTill writes and whether it was opened.
type fakeTill struct {
	opened bool
	set    map[string]string
	unset  []string
	who    string
}

func (f *fakeTill) ApplyIf(_ context.Context, _, set map[string]string, unset []string, who string) error {
	f.set, f.unset, f.who = set, unset, who
	return nil
}

// TestWriteTill: a refused change never opens the store (so creates no
// journal); an accepted one writes only the difference, as who.
func TestWriteTill(t *testing.T) {
	cases := map[string]struct {
		cur, next map[string]string
		refused   bool
		set       map[string]string
		unset     []string
	}{
		"refused":   {cur: map[string]string{}, next: map[string]string{"sbp.qr_mode": "2"}, refused: true},
		"set one":   {cur: map[string]string{"till.id": "K07"}, next: map[string]string{"till.id": "K07", "sbp.poll_interval": "2s"}, set: map[string]string{"sbp.poll_interval": "2s"}},
		"unset one": {cur: map[string]string{"till.id": "K07", "sbp.poll_interval": "2s"}, next: map[string]string{"till.id": "K07"}, set: map[string]string{}, unset: []string{"sbp.poll_interval"}},
		"no change": {cur: map[string]string{"till.id": "K07"}, next: map[string]string{"till.id": "K07"}, set: map[string]string{}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := &fakeTill{}
			open := func() (config.TillWriter, error) { f.opened = true; return f, nil }
			cfg, _, err := config.WriteTill(context.Background(), config.Options{}, c.cur, c.next, open, "ivanov via sbpd settings set")
			if c.refused {
				if err == nil || f.opened {
					t.Fatalf("refused change: err %v, store opened %v", err, f.opened)
				}
				return
			}
			if err != nil || cfg == nil || !f.opened {
				t.Fatalf("%v %v opened %v", cfg, err, f.opened)
			}
			if !maps.Equal(f.set, c.set) || !slices.Equal(f.unset, c.unset) || f.who != "ivanov via sbpd settings set" {
				t.Errorf("wrote set %v unset %v as %q", f.set, f.unset, f.who)
			}
		})
	}
}

func TestNeedRestart(t *testing.T) {
	ctx := context.Background()
	old, _ := config.Open(ctx, config.Options{})
	cases := map[string]struct {
		till map[string]string
		want []string
	}{
		"none":    {till: map[string]string{"sbp.poll_interval": "2s"}},
		"printer": {till: map[string]string{"printer.baud": "9600", "sbp.poll_interval": "2s"}, want: []string{"printer.baud"}},
		"token":   {till: map[string]string{"paymaster.timeout": "20s", "log.level": "debug"}, want: []string{"log.level", "paymaster.timeout"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			next, err := config.Open(ctx, config.Options{Till: config.MapStore(c.till)})
			if err != nil {
				t.Fatal(err)
			}
			if got := config.NeedRestart(old, next); !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestExportTill(t *testing.T) {
	till := map[string]string{"till.id": "K07", "paymaster.token": "pm-secret-1234", "sbp.qr_mode": "2",
		"notify.url": "https://u:p@acc.example/hook?token=QUERYSECRET123", "data_dir": "/x", "nonsense": "1"}
	cases := map[string]struct {
		keepID bool
		want   map[string]string
	}{
		"copy":   {want: map[string]string{"paymaster.token": config.SecretMarker, "sbp.qr_mode": "2", "notify.url": "https://***@acc.example/hook?token=***"}},
		"backup": {keepID: true, want: map[string]string{"till.id": "K07", "paymaster.token": config.SecretMarker, "sbp.qr_mode": "2", "notify.url": "https://***@acc.example/hook?token=***"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			e := config.ExportTill(till, c.keepID)
			if !maps.Equal(e.Values, c.want) {
				t.Fatalf("values %v, want %v", e.Values, c.want)
			}
			if len(e.Notes) != 2 {
				t.Fatalf("notes %v: want data_dir and nonsense", e.Notes)
			}
		})
	}
}

// TestExport_Write: the exported file says where and when it was taken and
// how to use it, then what was left out, then the values; it reads back.
func TestExport_Write(t *testing.T) {
	e := config.ExportTill(map[string]string{"till.id": "K07", "sbp.qr_mode": "2"}, false)
	var b strings.Builder
	if err := e.Write(&b, "/var/lib/sbpd/sbpd.db", time.Date(2025, 3, 14, 10, 0, 0, 0, time.FixedZone("MSK", 3*3600))); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if lines[0] != "# sbpd till settings from /var/lib/sbpd/sbpd.db, 2025-03-14T07:00:00Z" ||
		lines[1] != "# Set up another kiosk with: sbpd settings import FILE" || !strings.HasPrefix(lines[2], "# till.id (K07) is not exported") {
		t.Fatalf("head:\n%s", b.String())
	}
	im, err := config.ReadImport(strings.NewReader(b.String()), "k07.yaml")
	if err != nil || !maps.Equal(im.Values, map[string]string{"sbp.qr_mode": "2"}) {
		t.Errorf("read back: %v %v", im.Values, err)
	}
}

func TestImportTill(t *testing.T) {
	cases := map[string]struct {
		file    map[string]string
		values  map[string]string
		skipped []string
		errs    int
	}{
		"values normalized": {file: map[string]string{"sbp.poll_interval": "60s"}, values: map[string]string{"sbp.poll_interval": "1m"}},
		"secret skipped":    {file: map[string]string{"paymaster.token": config.SecretMarker}, values: map[string]string{}, skipped: []string{"paymaster.token"}},
		"masked url":        {file: map[string]string{"notify.url": "https://***@acc.example/hook"}, values: map[string]string{}, skipped: []string{"notify.url"}},
		"masked query":      {file: map[string]string{"notify.url": "https://acc.example/hook?token=***"}, values: map[string]string{}, skipped: []string{"notify.url"}},
		"url with a query":  {file: map[string]string{"notify.url": "https://acc.example/hook?token=Q1"}, values: map[string]string{"notify.url": "https://acc.example/hook?token=Q1"}},
		"template only":     {file: map[string]string{"data_dir": "/x"}, values: map[string]string{}, errs: 1},
		"bad value":         {file: map[string]string{"sbp.qr_mode": "7"}, values: map[string]string{}, errs: 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			im := config.ImportTill(c.file)
			if !maps.Equal(im.Values, c.values) || !slices.Equal(im.Skipped, c.skipped) || len(im.Errs) != c.errs {
				t.Fatalf("%+v", im)
			}
		})
	}
}

func TestImport_NextAndTillChanges(t *testing.T) {
	cur := map[string]string{"till.id": "K07", "paymaster.token": "t", "sbp.poll_interval": "2s"}
	im := config.ImportTill(map[string]string{"paymaster.token": config.SecretMarker, "sbp.qr_mode": "0"})
	cases := map[string]struct {
		replace   bool
		wantSet   map[string]string
		wantUnset []string
	}{
		"merge":   {wantSet: map[string]string{"sbp.qr_mode": "0"}},
		"replace": {replace: true, wantSet: map[string]string{"sbp.qr_mode": "0"}, wantUnset: []string{"sbp.poll_interval", "till.id"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			set, unset := config.TillChanges(cur, im.Next(cur, c.replace))
			if !maps.Equal(set, c.wantSet) || !slices.Equal(unset, c.wantUnset) {
				t.Fatalf("set %v unset %v", set, unset)
			}
		})
	}
}

// resolve is Resolve with the problems as a *ValidationError beside the
// Config, for tests that look at both.
func resolve(o config.Options) (*config.Config, error) {
	c, ps, err := config.Resolve(context.Background(), o)
	if err == nil && len(ps) > 0 {
		err = &config.ValidationError{Problems: ps}
	}
	return c, err
}
