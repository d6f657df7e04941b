package config_test

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

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

// TestSetValue: the value set stores, however given: a secret never as an
// argument; standard input's first line; a file's text; the key checked
// first, the value normalized. Every refusal is typed.
func TestSetValue(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "api-token")
	if err := os.WriteFile(tokenFile, []byte("0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), config.MaxValueFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		key    string
		in     config.ValueInput
		want   string
		reason string // "" accepted; "invalid settings" for a broken rule
		msg    string // a refusal's exact text
	}{
		"argument":          {key: "sbp.poll_interval", in: config.ValueInput{Arg: "60s"}, want: "1m"},
		"negative argument": {key: "sbp.status_timeout", in: config.ValueInput{Arg: "-5s"}, reason: "invalid settings", msg: "sbp.status_timeout = -5s (till settings): must be between 1s and 1h"},
		"standard input":    {key: "paymaster.token", in: config.ValueInput{Arg: "-", In: strings.NewReader("pm-7f3Kq9ZxW2\r\nsecond line\n")}, want: "pm-7f3Kq9ZxW2"},
		"no standard input": {key: "till.id", in: config.ValueInput{Arg: "-"}, reason: config.RValueRefused, msg: "read the value of till.id: there is no standard input to read"},
		"from a file":       {key: "api.token", in: config.ValueInput{FromFile: true, File: tokenFile}, want: "0123456789abcdef0123"},
		"file too large":    {key: "till.id", in: config.ValueInput{FromFile: true, File: big}, reason: config.RValueRefused, msg: "read the value of till.id: " + big + " is larger than 64 KB: it is not a setting's value"},
		"no such file": {key: "till.id", in: config.ValueInput{FromFile: true, File: filepath.Join(dir, "nope")}, reason: config.RValueRefused,
			msg: "read the value of till.id: open " + filepath.Join(dir, "nope") + ": no such file or directory"},
		// 300 MB piped with no line break: refused after 64 KB, not read into memory.
		"standard input too large": {key: "till.id", in: config.ValueInput{Arg: "-", In: io.LimitReader(infinite{}, 300<<20)}, reason: config.RValueRefused,
			msg: "read the value of till.id: standard input holds more than 64 KB on its first line: it is not a setting's value"},
		"standard input at the bound": {key: "notify.secret", in: config.ValueInput{Arg: "-", In: strings.NewReader(strings.Repeat("s", config.MaxValueFile) + "\r\n")},
			want: strings.Repeat("s", config.MaxValueFile)},
		"unknown key":   {key: "sbp.qr_mod", in: config.ValueInput{Arg: "2"}, reason: config.RUnknownKey, msg: "unknown setting \"sbp.qr_mod\": did you mean sbp.qr_mode? (`sbpd settings list` shows them all)"},
		"template only": {key: "sbp.enabled", in: config.ValueInput{Arg: "false"}, reason: config.RTemplateOnly, msg: "sbp.enabled belongs in the cash-desk template, not in the per-till settings: the integrator turns the SBP payment type on or off for all kiosks of the template; change it in the template file"},
		"secret as argument": {key: "paymaster.token", in: config.ValueInput{Arg: "pm-7f3Kq9ZxW2"}, reason: config.RSecretArgument,
			msg: "paymaster.token is a secret: it is not taken on the command line, where it would stay in the shell history and show in the process list; give it on standard input (sbpd settings set paymaster.token -) or from a file (sbpd settings set paymaster.token --from-file FILE)"},
		"credentials as argument": {key: "notify.url", in: config.ValueInput{Arg: "https://u:p@acc.example/hook"}, reason: config.RSecretArgument,
			msg: "notify.url holds a user and password or a query, which are secret: it is not taken on the command line, where it would stay in the shell history and show in the process list; give it on standard input (sbpd settings set notify.url -) or from a file (sbpd settings set notify.url --from-file FILE)"},
		"query as argument": {key: "notify.url", in: config.ValueInput{Arg: "http://127.0.0.1:1/hook?token=QUERYSECRET123"}, reason: config.RSecretArgument,
			msg: "notify.url holds a user and password or a query, which are secret: it is not taken on the command line, where it would stay in the shell history and show in the process list; give it on standard input (sbpd settings set notify.url -) or from a file (sbpd settings set notify.url --from-file FILE)"},
		"query on standard input": {key: "notify.url", in: config.ValueInput{Arg: "-", In: strings.NewReader("http://127.0.0.1:1/hook?token=QUERYSECRET123\n")},
			want: "http://127.0.0.1:1/hook?token=QUERYSECRET123"},
		"masked query": {key: "notify.url", in: config.ValueInput{Arg: "-", In: strings.NewReader("https://acc.example/hook?token=***\n")}, reason: config.RMaskedURL,
			msg: "notify.url: the user and password or the query in https://acc.example/hook?token=*** are masked, as sbpd shows and exports them: give the real URL on standard input (sbpd settings set notify.url -)"},
		"masked url": {key: "notify.url", in: config.ValueInput{Arg: "-", In: strings.NewReader("https://***@acc.example/hook\n")}, reason: config.RMaskedURL,
			msg: "notify.url: the user and password or the query in https://***@acc.example/hook are masked, as sbpd shows and exports them: give the real URL on standard input (sbpd settings set notify.url -)"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			k, v, err := config.SetValue(c.key, c.in)
			if c.reason != "" {
				if err == nil || err.Error() != c.msg || reasonOf(err) != c.reason {
					t.Fatalf("got %v (%s)\nwant %s (%s)", err, reasonOf(err), c.msg, c.reason)
				}
				return
			}
			if err != nil || k.Name != c.key || v != c.want {
				t.Fatalf("%s %q %v", k.Name, v, err)
			}
		})
	}
}

// TestSetValue_Terminal: on a terminal, - asks for the value and reads it
// without echo.
func TestSetValue_Terminal(t *testing.T) {
	ptm, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptm.Close()
	defer tty.Close()
	type result struct {
		v   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		_, v, err := config.SetValue("paymaster.token", config.ValueInput{Arg: "-", In: tty, Prompt: tty})
		done <- result{v, err}
	}()
	r := bufio.NewReader(ptm)
	if prompt, err := r.ReadString(' '); err != nil || prompt != "paymaster.token: " {
		t.Fatalf("prompt %q %v", prompt, err)
	}
	// Type the value once the terminal stops echoing (the read turns echo
	// off just after the prompt): what the terminal then shows, up to the
	// line break after the value, must not hold it.
	for giveUp := time.After(10 * time.Second); ; runtime.Gosched() {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
		select {
		case res := <-done:
			t.Fatalf("read %q (%v) with echo on", res.v, res.err)
		case <-giveUp:
			t.Fatal("the terminal still echoes: the value would show")
		default:
		}
	}
	if _, err := ptm.Write([]byte("pm-7f3Kq9ZxW2\n")); err != nil {
		t.Fatal(err)
	}
	shown, err := r.ReadString('\n')
	if err != nil || strings.Contains(shown, "pm-7f3Kq9ZxW2") {
		t.Fatalf("the terminal showed %q %v", shown, err)
	}
	if res := <-done; res.err != nil || res.v != "pm-7f3Kq9ZxW2" {
		t.Fatalf("%q %v", res.v, res.err)
	}
}

// infinite reads as endless x's: standard input that never ends its line.
type infinite struct{}

func (infinite) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}
