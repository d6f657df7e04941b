package config_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/config"
)

// The rules of the secrets sbpd chooses itself, and of the PayMaster URL.
const (
	secretRule       = "must be at least 16 characters (a random string, e.g. from `openssl rand -hex 16`) without spaces or line breaks (check what was pasted); empty means not set"
	payMasterURLRule = "must be an https:// URL such as https://paymaster.ru (without /api/v2, which sbpd adds, and without a query or a user), or http:// only to this machine (127.0.0.1, ::1 or localhost: the sandbox), as the token travels with every request"
)

// TestConfig_EveryRule breaks each rule once, in the layer a technician or
// an integrator would, and checks the whole error, message by message.
func TestConfig_EveryRule(t *testing.T) {
	const tillSrc = "(till settings)"
	cases := []struct {
		name     string
		template string // YAML
		till     map[string]string
		flags    []string // --key value
		want     []string
	}{
		{name: "listen", till: map[string]string{"listen": "8765"},
			want: []string{"listen = 8765 " + tillSrc + ": must be host:port, e.g. 127.0.0.1:8765"}},
		{name: "data_dir", template: `data_dir: ""`,
			want: []string{`data_dir = "" (template -): must name a directory, e.g. /var/lib/sbpd`}},
		{name: "api.token", till: map[string]string{"api.token": "tok en"},
			want: []string{"api.token = *** (set) " + tillSrc + ": " + secretRule}},
		{name: "api.token short", till: map[string]string{"api.token": "a"},
			want: []string{"api.token = *** (set) " + tillSrc + ": " + secretRule}},
		{name: "api.hosts", template: "api: {hosts: 'kiosk.lan:8765'}",
			want: []string{"api.hosts = kiosk.lan:8765 (template -): must be empty or at most 16 host names or IP addresses separated by commas, without scheme, port or path (e.g. kiosk-07.shop.lan,192.168.10.7)"}},
		{name: "till.id", till: map[string]string{"till.id": "K 07"},
			want: []string{"till.id = K 07 " + tillSrc + ": must be 1 to 32 letters, digits, - or _"}},
		{name: "log.level", till: map[string]string{"log.level": "loud"},
			want: []string{"log.level = loud " + tillSrc + ": must be debug, info, warn or error"}},
		{name: "sbp.enabled", template: "sbp: {enabled: maybe}",
			want: []string{"sbp.enabled = maybe (template -): must be true or false"}},
		{name: "sbp.qr_mode", till: map[string]string{"sbp.qr_mode": "3"},
			want: []string{"sbp.qr_mode = 3 (till settings): must be 0 (print on receipt), 1 (screen) or 2 (sticker/NFC)"}},
		{name: "sbp.qr_mode word", till: map[string]string{"sbp.qr_mode": "screen"},
			want: []string{"sbp.qr_mode = screen (till settings): must be 0 (print on receipt), 1 (screen) or 2 (sticker/NFC)"}},
		{name: "sbp.mixed_payment", template: "sbp: {mixed_payment: sometimes}",
			want: []string{"sbp.mixed_payment = sometimes (template -): must be true or false"}},
		{name: "screen.cancel_button", template: "screen: {cancel_button: hidden}",
			want: []string{"screen.cancel_button = hidden (template -): must be true or false"}},
		{name: "screen.cancel_button in till settings", till: map[string]string{"screen.cancel_button": "false"},
			want: []string{"screen.cancel_button = false (till settings): belongs in the cash-desk template, not in the per-till settings: whether the till software draws its own Отменить is the integrator's, the same for every kiosk of the template; change it in the template file; remove it with `sbpd settings unset screen.cancel_button`"}},
		{name: "sbp.poll_interval syntax", till: map[string]string{"sbp.poll_interval": "soon"},
			want: []string{"sbp.poll_interval = soon " + tillSrc + ": must be a duration such as 3s, 2m or 1m30s"}},
		{name: "sbp.poll_interval range", till: map[string]string{"sbp.poll_interval": "100ms"},
			want: []string{"sbp.poll_interval = 100ms " + tillSrc + ": must be between 500ms and 1m (3s is the processor's own pace)"}},
		{name: "sbp.status_timeout", till: map[string]string{"sbp.status_timeout": "0s"},
			want: []string{
				"sbp.status_timeout = 0s " + tillSrc + ": must be between 1s and 1h",
				"sbp.status_timeout = 0s " + tillSrc + ": must be longer than sbp.poll_interval = 3s (default)",
			}},
		{name: "sbp.invoice_ttl", till: map[string]string{"sbp.invoice_ttl": "25h"},
			want: []string{"sbp.invoice_ttl = 25h " + tillSrc + ": must be between 1m and 24h"}},
		{name: "paymaster.base_url", till: map[string]string{"paymaster.base_url": "ftp://x"},
			want: []string{"paymaster.base_url = ftp://x " + tillSrc + ": " + payMasterURLRule}},
		{name: "paymaster.base_url plain http", template: "paymaster: {base_url: 'http://paymaster.ru'}",
			want: []string{"paymaster.base_url = http://paymaster.ru (template -): " + payMasterURLRule}},
		{name: "paymaster.merchant_id", till: map[string]string{"paymaster.merchant_id": "0b7c 2f9e"},
			want: []string{"paymaster.merchant_id = 0b7c 2f9e " + tillSrc + ": must be the merchant id from the PayMaster cabinet: no spaces, at most 64 characters"}},
		{name: "paymaster.token", till: map[string]string{"paymaster.token": "pm-token\n"},
			want: []string{"paymaster.token = *** (set) " + tillSrc + ": must not contain spaces or line breaks (check what was pasted)"}},
		{name: "paymaster.sticker_id", till: map[string]string{"paymaster.sticker_id": "a1 b2"},
			want: []string{"paymaster.sticker_id = a1 b2 " + tillSrc + ": must be the sticker's id from the PayMaster cabinet: no spaces, at most 64 characters"}},
		{name: "paymaster.test_mode", till: map[string]string{"paymaster.test_mode": "si"},
			want: []string{"paymaster.test_mode = si " + tillSrc + ": must be true or false"}},
		{name: "paymaster.timeout", till: map[string]string{"paymaster.timeout": "500ms"},
			want: []string{"paymaster.timeout = 500ms " + tillSrc + ": must be between 1s and 2m"}},
		{name: "printer.port", till: map[string]string{"printer.port": "ttyS0"},
			want: []string{"printer.port = ttyS0 " + tillSrc + ": must be empty or a serial device such as /dev/ttyS0, /dev/ttyUSB0 or COM3"}},
		{name: "printer.baud", till: map[string]string{"printer.baud": "9601"},
			want: []string{"printer.baud = 9601 " + tillSrc + ": must be a standard serial speed: 9600, 19200, 38400, 57600 or 115200 (see the printer's self-test page)"}},
		{name: "printer.baud word", till: map[string]string{"printer.baud": "fast"},
			want: []string{"printer.baud = fast " + tillSrc + ": must be a standard serial speed: 9600, 19200, 38400, 57600 or 115200 (see the printer's self-test page)"}},
		{name: "printer.codepage", till: map[string]string{"printer.codepage": "300"},
			want: []string{"printer.codepage = 300 " + tillSrc + ": must be 0 to 255, the n of ESC t n (17 on Epson-compatible printers, 7 on Rongta; `sbpd printer test` prints a probe)"}},
		{name: "printer.qr", till: map[string]string{"printer.qr": "picture"},
			want: []string{"printer.qr = picture " + tillSrc + ": must be native (the printer draws the QR, GS ( k) or raster (sbpd draws it, for printers without native QR)"}},
		{name: "printer.qr_module", till: map[string]string{"printer.qr_module": "20"},
			want: []string{"printer.qr_module = 20 " + tillSrc + ": must be 1 to 16 dots"}},
		{name: "printer.width", till: map[string]string{"printer.width": "400"},
			want: []string{"printer.width = 400 " + tillSrc + ": must be 384 (58 mm paper), 512 (Epson TM-T88) or 576 (80 mm paper)"}},
		{name: "printer.cancel_chinese_mode", till: map[string]string{"printer.cancel_chinese_mode": "2"},
			want: []string{"printer.cancel_chinese_mode = 2 " + tillSrc + ": must be true or false"}},
		{name: "notify.url", till: map[string]string{"notify.url": "accounting.local/hook"},
			want: []string{"notify.url = accounting.local/hook " + tillSrc + ": must be empty or an absolute http(s) URL"}},
		{name: "notify.secret", till: map[string]string{"notify.secret": "s e c r e t"},
			want: []string{"notify.secret = *** (set) " + tillSrc + ": " + secretRule}},
		{name: "notify.secret short", till: map[string]string{"notify.secret": "s3cr3t"},
			want: []string{"notify.secret = *** (set) " + tillSrc + ": " + secretRule}},
		{name: "notify.max_attempts", till: map[string]string{"notify.max_attempts": "0"},
			want: []string{"notify.max_attempts = 0 " + tillSrc + ": must be between 1 and 1000"}},

		// Rules between keys name both values and both sources.
		{name: "mode 0 needs printer.port", till: map[string]string{"sbp.qr_mode": "0"},
			want: []string{"sbp.qr_mode = 0 (till settings): needs printer.port (the receipt printer's serial port, e.g. /dev/ttyS0), which is not set (default)"}},
		{name: "mode 2 needs paymaster.sticker_id", template: "sbp: {qr_mode: 2}",
			want: []string{"sbp.qr_mode = 2 (template -): needs paymaster.sticker_id (the id of the kiosk's cash-link sticker), which is not set (default)"}},
		{name: "poll interval shorter than status timeout", template: "sbp: {status_timeout: 3s}", till: map[string]string{"sbp.poll_interval": "3s"},
			want: []string{"sbp.status_timeout = 3s (template -): must be longer than sbp.poll_interval = 3s (till settings)"}},
		{name: "invoice lifetime at least the status timeout", till: map[string]string{"sbp.invoice_ttl": "1m"},
			want: []string{"sbp.invoice_ttl = 1m (till settings): must be at least sbp.status_timeout = 2m (default)"}},
		{name: "non-loopback listen needs api.token", flags: []string{"--listen", "0.0.0.0:8765"},
			want: []string{"listen = 0.0.0.0:8765 (flag --listen): needs api.token (the Bearer token the till must send, as the address is not loopback), which is not set (default)"}},
		{name: "template-only key in till settings", till: map[string]string{"sbp.mixed_payment": "true"},
			want: []string{"sbp.mixed_payment = true (till settings): belongs in the cash-desk template, not in the per-till settings: only the integrator knows whether the template's kiosks have the SetSCO 4:3 layout that mixed payment needs; change it in the template file; remove it with `sbpd settings unset sbp.mixed_payment`"}},
		{name: "sbp.enabled in till settings", till: map[string]string{"sbp.enabled": "false"},
			want: []string{"sbp.enabled = false (till settings): belongs in the cash-desk template, not in the per-till settings: the integrator turns the SBP payment type on or off for all kiosks of the template; change it in the template file; remove it with `sbpd settings unset sbp.enabled`"}},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := config.Options{Till: config.MapStore(tc.till)}
			if tc.template != "" {
				o.Template = strings.NewReader(tc.template)
			}
			if len(tc.flags) > 0 {
				o.Flags = keyFlags(t, []string{strings.TrimPrefix(tc.flags[0], "--")}, tc.flags...)
			}
			_, err := config.Open(context.Background(), o)
			if err == nil {
				t.Fatal("accepted")
			}
			if got, want := err.Error(), strings.Join(tc.want, "\n"); got != want {
				t.Fatalf("error\n got: %s\nwant: %s", got, want)
			}
			for _, p := range config.Problems(err) {
				covered[p.Key] = true
			}
		})
	}
	for _, k := range config.Keys {
		if !covered[k.Name] {
			t.Errorf("no case breaks a rule of %s", k.Name)
		}
	}
}

func TestConfig_RequireRemote(t *testing.T) {
	c, err := config.Parse(strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	want := "paymaster.merchant_id = \"\" (default): must be set: the merchant (site) id from the PayMaster cabinet\n" +
		"paymaster.token = (not set) (default): must be set: the API token from the PayMaster cabinet"
	if err := c.RequireRemote(); err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestConfig_TillKey(t *testing.T) {
	if _, err := config.TillKey("sbp.qr_mode"); err != nil {
		t.Fatal(err)
	}
	_, err := config.TillKey("sbp.mixed_payment")
	if err == nil || !strings.HasPrefix(err.Error(), "sbp.mixed_payment belongs in the cash-desk template, not in the per-till settings") {
		t.Fatalf("%v", err)
	}
	_, err = config.TillKey("data_dir")
	if err == nil || !strings.Contains(err.Error(), "SBPD_DATA_DIR or --data_dir") {
		t.Fatalf("%v", err)
	}
	_, err = config.TillKey("sbp.qr_mod")
	if err == nil || err.Error() != `unknown setting "sbp.qr_mod": did you mean sbp.qr_mode? (`+"`sbpd settings list`"+` shows them all)` {
		t.Fatalf("%v", err)
	}
}

func TestConfig_Suggest(t *testing.T) {
	cases := map[string]string{
		"sbp.qr_mod":      "sbp.qr_mode",
		"qr_mode":         "sbp.qr_mode",
		"paymaster.tokn":  "paymaster.token",
		"printer.bod":     "printer.baud",
		"sticker":         "paymaster.sticker_id",
		"sbp.pol_interva": "sbp.poll_interval",
	}
	for in, want := range cases {
		if got := config.Suggest(in); len(got) == 0 || got[0] != want {
			t.Errorf("Suggest(%q) = %v, want %s first", in, got, want)
		}
	}
	if got := config.Suggest("zzzzzz"); len(got) != 0 {
		t.Errorf("Suggest(zzzzzz) = %v", got)
	}
}

func TestConfig_Normalize(t *testing.T) {
	cases := []struct{ key, in, want string }{
		{"printer.cancel_chinese_mode", "yes", "true"},
		{"sbp.poll_interval", "3000ms", "3s"},
		{"sbp.invoice_ttl", "300s", "5m"},
		{"printer.qr", "RASTER", "raster"},
		{"sbp.qr_mode", " 2 ", "2"},
		{"till.id", "K07", "K07"},
	}
	for _, c := range cases {
		if got, err := config.Normalize(c.key, c.in); err != nil || got != c.want {
			t.Errorf("Normalize(%s, %q) = %q, %v; want %q", c.key, c.in, got, err, c.want)
		}
	}
	_, err := config.Normalize("sbp.qr_mode", "3")
	if err == nil || err.Error() != "sbp.qr_mode = 3 (till settings): must be 0 (print on receipt), 1 (screen) or 2 (sticker/NFC)" {
		t.Fatalf("%v", err)
	}
	_, err = config.Normalize("paymaster.token", "pm-7f3Kq9 ZxW2")
	if err == nil || strings.Contains(err.Error(), "7f3K") || !strings.Contains(err.Error(), "*** (set)") {
		t.Fatalf("%v", err)
	}
}

// TestConfig_KeysAreComplete: every key has a type, a description and a
// rule, and its default is valid.
func TestConfig_KeysAreComplete(t *testing.T) {
	sections := map[string]bool{}
	last := ""
	for _, k := range config.Keys {
		if k.Description == "" || k.Type == "" {
			t.Errorf("%s: no description or type", k.Name)
		}
		if k.Rule == "" && k.Type != config.Bool {
			t.Errorf("%s: no rule", k.Name)
		}
		if k.TemplateOnly && k.Why == "" {
			t.Errorf("%s: template-only without saying why", k.Name)
		}
		// WriteTillFile needs each section's keys together.
		if sec, _, ok := strings.Cut(k.Name, "."); ok && sec != last {
			if sections[sec] {
				t.Errorf("%s: section %s is split in Keys", k.Name, sec)
			}
			sections[sec], last = true, sec
		}
	}
}
