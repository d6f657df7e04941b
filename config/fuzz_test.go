package config

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Fuzz targets for settings values as `sbpd settings set` and the settings
// import take them, and for template files. The seeds in testdata/fuzz run
// as ordinary tests under `go test`; scripts/fuzz.sh runs the fuzzers.

func FuzzNormalize(f *testing.F) {
	values := []string{
		"", " ", "127.0.0.1:8765", "0.0.0.0:80", "[::1]:65535", "localhost:65536", ":8765",
		"/var/lib/sbpd", "K01", "K 01", "кассa", strings.Repeat("x", 33), strings.Repeat("x", 65),
		"debug", "INFO", " warn ", "0", "1", "2", "3", "01", "+1", "-0",
		"true", "yes", "ON", "0", "nope",
		"3s", "500ms", "499ms", "1m", "60s", "1m0s", "1h", "24h", "24h0m1s", "1.5m", "-3s", "3", "1e3s", " 2m ",
		"https://paymaster.ru", "http://127.0.0.1:8080/api", "ftp://x", "https://", "paymaster.ru",
		"/dev/ttyS0", "/dev/tty S0", "COM3", "com1000", "ttyUSB0",
		"9600", "115200", "115201", "9223372036854775807", "99999999999999999999", "17", "256", "-1",
		"native", "raster", "384", "577",
		"pm_live_4f9c2b7e1a8d3c5b", "secret with space", "tab\there", "line\nbreak", "\x00", "\xff",
		"0123456789abcdef", "http://paymaster.ru", "http://localhost:8766", "https://u:p@h/x", "u:p@h",
		"kiosk.lan,10.0.0.7", "Kiosk.LAN:80", "[::1],fe80::1%eth0",
	}
	// Each value once, against keys in turn: key x value would be 1800
	// seeds, which a 10s run spends only replaying.
	for i, v := range values {
		f.Add(uint(i*7), v)
	}
	f.Fuzz(func(t *testing.T, i uint, value string) {
		k := Keys[i%uint(len(Keys))]
		norm, err := Normalize(k.Name, value)
		if err != nil {
			ps := Problems(err)
			if len(ps) != 1 || ps[0].Key != k.Name || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Normalize(%s, %q): error %v is not one problem with the key", k.Name, value, err)
			}
			if k.Secret {
				want := k.Name + " = " + Mask(value) + " (" + SourceTill + "): " + k.Rule
				if ps[0].Message != want {
					t.Fatalf("secret %s: message %q, want %q", k.Name, ps[0].Message, want)
				}
			}
			return
		}
		again, err := Normalize(k.Name, norm)
		if err != nil || again != norm {
			t.Fatalf("Normalize(%s, %q) = %q, but that normalizes to %q, %v", k.Name, value, norm, again, err)
		}
		// The stored text reads back, as the daemon reads till settings,
		// as the same value.
		v1, r1 := parse(k, value)
		v2, r2 := parse(k, norm)
		if r1 != "" || r2 != "" || !reflect.DeepEqual(v1, v2) {
			t.Fatalf("%s: %q reads as %v (%s), its normal form %q as %v (%s)", k.Name, value, v1, r1, norm, v2, r2)
		}
		if k.ok != nil && !k.ok(v2) {
			t.Fatalf("%s: normal form %q breaks the rule", k.Name, norm)
		}
	})
}

func FuzzReadTillFile(f *testing.F) {
	for _, s := range []string{
		"sbp:\n  qr_mode: 0\n  poll_interval: \"3s\"\nprinter:\n  port: \"/dev/ttyS0\"\n  baud: 19200\n",
		"# exported\ntill.id: \"K07\"\npaymaster.token: \"<secret: set it with sbpd settings set>\"\n",
		"listen: 127.0.0.1:8765\nsbp.enabled: yes\nprinter.codepage: 017\n",
		"printer:\n  baud: [9600]\n", "sbp: {qr_mode: {x: 1}}\n", "till.id: ~\n", "till.id:\n",
		"till.id: 1.0\nprinter.baud: 1e3\nprinter.width: 0x180\n", "notify.url: 2024-05-01\n",
		"a: &x 1\nb: *x\n", "a: *y\n", "- 1\n- 2\n", "\"\"", "{", "\t", "?: x\n", "!!binary aGVsbG8=\n",
		"till.id: \"\\xff\\u0000\"\n", "a:\n  b:\n    c:\n      d: 1\n", "TILL.ID: K09\nTill.Id: K10\n",
		"---\ntill.id: K01\n---\ntill.id: K02\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		values, err := ReadTillFile(bytes.NewReader(data))
		if err != nil {
			return
		}
		// What the export writes, the import reads back as the same
		// setting: identical text, or text the key reads the same.
		known := map[string]string{}
		for key, v := range values {
			if _, ok := Lookup(key); ok {
				known[key] = v
			}
		}
		var buf bytes.Buffer
		if err := WriteTillFile(&buf, known, []string{"fuzz"}); err != nil {
			t.Fatal(err)
		}
		back, err := ReadTillFile(&buf)
		if err != nil {
			t.Fatalf("cannot read back the written file:\n%s\n%v", buf.Bytes(), err)
		}
		for key, v := range known {
			k, _ := Lookup(key)
			w, ok := back[key]
			if !ok {
				t.Fatalf("%s = %q lost in the written file:\n%s", key, v, buf.Bytes())
			}
			if w == v {
				continue
			}
			pv, rv := parse(k, v)
			pw, rw := parse(k, w)
			if rv != "" || rw != "" || !reflect.DeepEqual(pv, pw) {
				t.Fatalf("%s = %q came back as %q:\n%s", key, v, w, buf.Bytes())
			}
		}
	})
}

func FuzzLoadTemplate(f *testing.F) {
	for _, s := range []string{
		"listen: 127.0.0.1:8765\ntill:\n  id: K07\nsbp:\n  qr_mode: 2\npaymaster:\n  sticker_id: st-1\n",
		"listen: 0.0.0.0:8765\n", "sbp:\n  poll_interval: 3\n", "sbp: [1, 2]\n", "printer:\n  baud: 1.5\n",
		"printer:\n  baud: 18446744073709551615\n", "printer:\n  codepage: -9223372036854775808\n",
		"log:\n  level: DEBUG\n", "unknown: 1\n", "{", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o := Options{Template: bytes.NewReader(data)}
		c, ps, err := Resolve(context.Background(), o)
		if err != nil {
			if c != nil {
				t.Fatalf("unreadable template returned a Config: %v", err)
			}
			return
		}
		if c == nil {
			t.Fatal("readable template returned no Config")
		}
		o.Template = bytes.NewReader(data)
		valid, err := Open(context.Background(), o)
		if (valid == nil) == (err == nil) || (len(ps) == 0) != (err == nil) {
			t.Fatalf("Open: a Config %v with the error %v; Resolve found %d problems", valid != nil, err, len(ps))
		}
		for _, k := range Keys {
			_ = c.Value(k.Name)
			if len(c.Layers(k.Name)) == 0 {
				t.Fatalf("%s has no layers", k.Name)
			}
		}
		_ = c.Settings()
	})
}
