package systemd

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// Status is one line; Link tells whether systemd was told and warns once.
func TestLink_Send(t *testing.T) {
	if got := Status("a\n b  %s", "c\td"); got != "STATUS=a b c d" {
		t.Fatalf("Status: %q", got)
	}
	cases := map[string]struct {
		sent     bool
		err      error
		want     bool
		warnings int
	}{
		"no socket": {},
		"told":      {sent: true, want: true},
		"failed":    {sent: true, err: errors.New("gone"), warnings: 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var logs strings.Builder
			l := NewLink(slog.New(slog.NewTextHandler(&logs, nil)))
			l.notify = func(string) (bool, error) { return c.sent, c.err }
			for range 2 {
				if got := l.send("READY=1"); got != c.want {
					t.Fatalf("send: %v, want %v", got, c.want)
				}
			}
			if n := strings.Count(logs.String(), "cannot notify systemd"); n != c.warnings {
				t.Fatalf("%d warnings, want %d", n, c.warnings)
			}
		})
	}
}
