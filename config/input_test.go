package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/sbpd/sbpd/config"
)

// TestSplitSetArgs: set's VALUE may start with -, and is still told from
// set's own flags wherever they stand.
func TestSplitSetArgs(t *testing.T) {
	fs := pflag.NewFlagSet("set", pflag.ContinueOnError)
	fs.String("from-file", "", "")
	fs.String("data-dir", "", "")
	fs.BoolP("help", "h", false, "")
	cases := map[string]struct{ raw, args, flags string }{
		"plain":                 {"sbp.qr_mode 2", "sbp.qr_mode 2", ""},
		"negative value":        {"sbp.status_timeout -5s", "sbp.status_timeout -5s", ""},
		"flag after the value":  {"sbp.status_timeout 3m --data-dir /d", "sbp.status_timeout 3m", "--data-dir /d"},
		"flag before the key":   {"--data-dir /d sbp.qr_mode 1", "sbp.qr_mode 1", "--data-dir /d"},
		"flag=value":            {"k v --data-dir=/d", "k v", "--data-dir=/d"},
		"stdin":                 {"paymaster.token -", "paymaster.token -", ""},
		"from-file takes value": {"api.token --from-file /root/t", "api.token", "--from-file /root/t"},
		"shorthand help":        {"k -h", "k", "-h"},
		"unknown after value":   {"k v --nope", "k v", "--nope"},
		"after --":              {"-- k --data-dir", "k --data-dir", ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			args, flags := config.SplitSetArgs(fs, strings.Fields(c.raw))
			if !slices.Equal(args, strings.Fields(c.args)) || !slices.Equal(flags, strings.Fields(c.flags)) {
				t.Errorf("args %q flags %q; want %q %q", args, flags, c.args, c.flags)
			}
		})
	}
}
