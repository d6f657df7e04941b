package config

import (
	"sort"
	"strings"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Type is the kind of value a key holds.
type Type string

// The types of keys.
const (
	String   Type = "string"
	Int      Type = "int"
	Bool     Type = "bool"
	Duration Type = "duration" // Go syntax: 500ms, 3s, 2m, 1m30s
	Enum     Type = "enum"     // one of Choices
)

// Choice is one allowed value of an Enum key.
type Choice struct {
	Value   string // as written in a template or till settings
	Meaning string // shown in errors and help; may be empty
}

// Key describes one setting.
type Key struct {
	Name        string
	Type        Type
	Default     any // string, int, bool or time.Duration, as the Config field
	Description string
	// Rule says what is allowed; it ends every error about the key's own
	// value ("must be ..."). An Enum's rule is built from its Choices.
	Rule    string
	Choices []Choice // Enum only
	Secret  bool     // never printed, logged or exported: shown as Mask(value)
	// Credentials keys hold a URL whose user and password (user:pass@), the
	// values of its query and its fragment are a secret: shown, logged and
	// exported as plugin.RedactURL(value). The rest of the URL shows as written.
	Credentials bool
	// TemplateOnly keys are the integrator's: they cannot be set in the
	// per-till settings. Why says where they belong.
	TemplateOnly bool
	Why          string
	// Restart keys take effect when the daemon starts; a running daemon
	// cannot apply a change (it would have to listen elsewhere, open
	// another database, or build its PayMaster client, printer or logger
	// again). NeedRestart lists them among changed keys.
	Restart bool

	ok   func(v any) bool      // the value rule on the typed value; nil: any value
	norm func(s string) string // a String key's canonical text (parse applies it); nil: as written
}

// Keys lists every setting sbpd reads, in the order `sbpd settings list`
// and the docs show them.
var Keys = []Key{
	{Name: "listen", Type: String, Default: "127.0.0.1:8765", Restart: true,
		Description: "address of the till API and the kiosk screen; anything but loopback needs api.token",
		Rule:        "must be host:port, e.g. 127.0.0.1:8765", ok: isHostPort},
	{Name: "data_dir", Type: String, Default: "/var/lib/sbpd", Restart: true,
		Description: "directory of the till's database (sbpd.db): the journal and the per-till settings",
		Rule:        "must name a directory, e.g. /var/lib/sbpd", ok: notEmpty,
		TemplateOnly: true, Why: "it says where the till's database is, so it cannot be stored in that database; set it in the template, SBPD_DATA_DIR or --data_dir"},
	{Name: "api.token", Type: String, Default: "", Restart: true, Secret: true,
		Description: "Bearer token the till must send; required when listen is not loopback",
		Rule:        secretRule, ok: emptyOr(isLongSecret)},
	{Name: "api.hosts", Type: String, Default: "", Restart: true,
		Description: "extra names the till API and kiosk screen answer to besides localhost, loopback addresses and the listen address; requests naming any other Host get 421 (DNS-rebinding protection)",
		Rule:        "must be empty or at most 16 host names or IP addresses separated by commas, without scheme, port or path (e.g. kiosk-07.shop.lan,192.168.10.7)",
		ok:          isHostList, norm: normHostList,
		TemplateOnly: true, Why: "it says which names on the store network may reach the till API, a decision of whoever runs that network for the template's kiosks; set it in the template or SBPD_API_HOSTS"},
	{Name: "till.id", Type: String, Default: "K01",
		Description: "this kiosk's id; prefix of every PayMaster order number, so every kiosk needs its own",
		Rule:        "must be 1 to 32 letters, digits, - or _", ok: isTillID},
	{Name: "log.level", Type: Enum, Default: "info", Restart: true, Description: "how much the daemon logs",
		Choices: []Choice{{"debug", ""}, {"info", ""}, {"warn", ""}, {"error", ""}}},
	{Name: "sbp.enabled", Type: Bool, Default: true,
		Description:  "whether SBP payments are offered at all (cash-desk template: Типы оплат)",
		TemplateOnly: true, Why: "the integrator turns the SBP payment type on or off for all kiosks of the template; change it in the template file"},
	{Name: "sbp.qr_mode", Type: Enum, Default: 1,
		Description: "where the shopper finds the QR: 0 printed on the receipt (needs printer.port), 1 on screen, 2 the kiosk's NFC/QR sticker (needs paymaster.sticker_id)",
		Choices:     []Choice{{"0", "print on receipt"}, {"1", "screen"}, {"2", "sticker/NFC"}}},
	{Name: "sbp.mixed_payment", Type: Bool, Default: false,
		Description:  "allow the SBP remainder after cards (SetSCO 4:3 template only); its QR is always on screen",
		TemplateOnly: true, Why: "only the integrator knows whether the template's kiosks have the SetSCO 4:3 layout that mixed payment needs; change it in the template file"},
	{Name: "sbp.poll_interval", Type: Duration, Default: 3 * time.Second,
		Description: "how often PayMaster is asked for the payment's status",
		Rule:        "must be between 500ms and 1m (3s is the processor's own pace)",
		ok:          durationIn(500*time.Millisecond, time.Minute)},
	{Name: "sbp.status_timeout", Type: Duration, Default: 120 * time.Second,
		Description: "how long to wait for a final status before the Retry/Cancel dialog",
		Rule:        "must be between 1s and 1h", ok: durationIn(time.Second, time.Hour)},
	{Name: "sbp.invoice_ttl", Type: Duration, Default: 5 * time.Minute,
		Description: "the payment's lifetime at PayMaster; Retry keeps polling until it ends",
		Rule:        "must be between 1m and 24h", ok: durationIn(time.Minute, 24*time.Hour)},
	{Name: "screen.cancel_button", Type: Bool, Default: true, Restart: true,
		Description:  "the kiosk screen's own Отменить on the QR, printed-QR and sticker screens; false for tills that draw their own (the dialog's Отменить stays)",
		TemplateOnly: true, Why: "whether the till software draws its own Отменить is the integrator's, the same for every kiosk of the template; change it in the template file"},
	{Name: "paymaster.base_url", Type: String, Default: "https://paymaster.ru", Restart: true, Credentials: true,
		Description: "PayMaster API base URL",
		Rule:        "must be an https:// URL such as https://paymaster.ru (without /api/v2, which sbpd adds, and without a query or a user), or http:// only to this machine (127.0.0.1, ::1 or localhost: the sandbox), as the token travels with every request",
		ok:          isPayMasterURL},
	{Name: "paymaster.merchant_id", Type: String, Default: "", Restart: true,
		Description: "PayMaster merchant (site) id, a GUID from the merchant cabinet",
		Rule:        "must be the merchant id from the PayMaster cabinet: no spaces, at most 64 characters", ok: isID},
	{Name: "paymaster.token", Type: String, Default: "", Restart: true, Secret: true,
		Description: "PayMaster API token (Bearer)",
		Rule:        "must not contain spaces or line breaks (check what was pasted)", ok: noSpace},
	{Name: "paymaster.sticker_id", Type: String, Default: "", Restart: true,
		Description: "id of the kiosk's cash-link sticker (PayMaster cabinet), needed by sbp.qr_mode 2",
		Rule:        "must be the sticker's id from the PayMaster cabinet: no spaces, at most 64 characters", ok: isID},
	{Name: "paymaster.test_mode", Type: Bool, Default: false, Restart: true, Description: "mark payments as test payments at PayMaster"},
	{Name: "paymaster.timeout", Type: Duration, Default: 10 * time.Second, Restart: true,
		Description: "timeout of one PayMaster request",
		Rule:        "must be between 1s and 2m", ok: durationIn(time.Second, 2*time.Minute)},
	{Name: "printer.port", Type: String, Default: "", Restart: true,
		Description: "serial port of the receipt printer, e.g. /dev/ttyS0 (needed by sbp.qr_mode 0)",
		Rule:        "must be empty or a serial device such as /dev/ttyS0, /dev/ttyUSB0 or COM3", ok: isPort},
	{Name: "printer.baud", Type: Int, Default: 115200, Restart: true, Description: "serial speed of the receipt printer",
		Rule: "must be a standard serial speed: 9600, 19200, 38400, 57600 or 115200 (see the printer's self-test page)",
		ok:   oneOf(1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)},
	{Name: "printer.codepage", Type: Int, Default: 17, Restart: true, Description: "ESC t code table for Cyrillic (CP866)",
		Rule: "must be 0 to 255, the n of ESC t n (17 on Epson-compatible printers, 7 on Rongta; `sbpd printer test` prints a probe)",
		ok:   intIn(0, 255)},
	{Name: "printer.qr", Type: Enum, Default: plugin.PrinterQRNative, Restart: true, Description: "how the QR is printed",
		Choices: []Choice{{plugin.PrinterQRNative, "the printer draws the QR, GS ( k"}, {plugin.PrinterQRRaster, "sbpd draws it, for printers without native QR"}}},
	{Name: "printer.qr_module", Type: Int, Default: 6, Restart: true,
		Description: "QR module size in dots; 5-6 suit 58 mm paper, 6-8 suit 80 mm",
		Rule:        "must be 1 to 16 dots", ok: intIn(1, 16)},
	{Name: "printer.width", Type: Enum, Default: 576, Restart: true, Description: "printable width in dots",
		Choices: []Choice{{"384", "58 mm paper"}, {"512", "Epson TM-T88"}, {"576", "80 mm paper"}}},
	{Name: "printer.cancel_chinese_mode", Type: Bool, Default: false, Restart: true,
		Description: "send FS . after initialising, for clones that boot in a Chinese mode and swallow Cyrillic"},
	{Name: "notify.url", Type: String, Default: "", Credentials: true,
		Description: "accounting system URL that receives final payments; a user and password in it (https://user:pass@host/…) and its query's values (?token=…) are a secret and never shown",
		Rule:        "must be empty or an absolute http(s) URL", ok: emptyOr(isHTTPURL)},
	{Name: "notify.secret", Type: String, Default: "", Secret: true,
		Description: "HMAC-SHA256 secret for notifications",
		Rule:        secretRule, ok: emptyOr(isLongSecret)},
	{Name: "notify.max_attempts", Type: Int, Default: 50, Description: "how many times a notification is tried",
		Rule: "must be between 1 and 1000", ok: intIn(1, 1000)},
}

// MinSecretLen is the shortest api.token or notify.secret accepted, in
// characters: the secrets sbpd's integrator chooses must not be guessable.
const MinSecretLen = 16

// MaxAPIHosts is how many names api.hosts may list.
const MaxAPIHosts = 16

// secretRule is the rule of the secrets the integrator chooses.
const secretRule = "must be at least 16 characters (a random string, e.g. from `openssl rand -hex 16`) without spaces or line breaks (check what was pasted); empty means not set"

var keyIndex = func() map[string]int {
	m := make(map[string]int, len(Keys))
	for i := range Keys {
		k := &Keys[i]
		if k.Type == Enum {
			k.Rule = "must be " + choiceList(k.Choices)
		}
		m[k.Name] = i
	}
	return m
}()

// choiceList is "a (x), b (y) or c (z)".
func choiceList(cs []Choice) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Value
		if c.Meaning != "" {
			parts[i] += " (" + c.Meaning + ")"
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// Lookup finds a key by name.
func Lookup(name string) (Key, bool) {
	i, ok := keyIndex[name]
	if !ok {
		return Key{}, false
	}
	return Keys[i], true
}

// EnvName is the environment variable that overrides key:
// sbp.qr_mode -> SBPD_SBP_QR_MODE.
func EnvName(key string) string {
	return "SBPD_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// UnknownKeyError is the refusal (RUnknownKey) of a key sbpd does not
// know; it lists the closest known keys.
func UnknownKeyError(name string) error {
	if s := Suggest(name); len(s) > 0 {
		return refuse(RUnknownKey, "unknown setting %q: did you mean %s? (`sbpd settings list` shows them all)", name, strings.Join(s, ", "))
	}
	return refuse(RUnknownKey, "unknown setting %q: `sbpd settings list` shows them all", name)
}

// Suggest returns up to three known keys close to name: same last part,
// a few typos away, or containing it.
func Suggest(name string) []string {
	name = strings.ToLower(strings.TrimSpace(name))
	type cand struct {
		key  string
		dist int
	}
	var cs []cand
	for _, k := range Keys {
		d := editDistance(name, k.Name)
		short := k.Name[strings.LastIndex(k.Name, ".")+1:]
		switch {
		case d <= 2 || (len(name) >= 4 && d*4 <= len(k.Name)):
		case name == short || editDistance(name, short) <= 1:
			d = 1
		case len(name) >= 3 && strings.Contains(k.Name, name):
			d = 3
		default:
			continue
		}
		cs = append(cs, cand{k.Name, d})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].dist < cs[j].dist })
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].key)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
