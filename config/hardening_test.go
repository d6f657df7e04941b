package config_test

// Issue 12, "Secrets and files": the rules that keep secrets long enough,
// the PayMaster token off plain HTTP, the credentials inside notify.url out
// of every listing, and the names the till API answers to (api.hosts).

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/plugin"
)

// TestHardening_ShortSecretsRefused: api.token and notify.secret need at
// least 16 characters; empty still means "not set". A one-character
// api.token used to be accepted.
func TestHardening_ShortSecretsRefused(t *testing.T) {
	for _, key := range []string{"api.token", "notify.secret"} {
		k, _ := config.Lookup(key)
		if !strings.Contains(k.Rule, "at least 16 characters") {
			t.Errorf("%s: the rule %q does not say 16 characters", key, k.Rule)
		}
		for _, v := range []string{"a", "tok", strings.Repeat("x", 15)} {
			_, err := config.Open(context.Background(), config.Options{Till: config.MapStore{key: v}})
			want := key + " = *** (set) (till settings): " + k.Rule
			if err == nil || err.Error() != want {
				t.Errorf("%s = %d characters: got %v, want %s", key, len(v), err, want)
			}
			if _, err := config.Normalize(key, v); err == nil {
				t.Errorf("Normalize(%s, %d characters) accepted", key, len(v))
			}
		}
		for _, v := range []string{"", strings.Repeat("x", 16), "0123456789abcdef0123456789abcdef"} {
			if _, err := config.Open(context.Background(), config.Options{Till: config.MapStore{key: v}}); err != nil {
				t.Errorf("%s = %d characters refused: %v", key, len(v), err)
			}
		}
	}
	// Sixteen characters, not bytes: a Cyrillic letter is two bytes.
	if _, err := config.Normalize("api.token", strings.Repeat("ж", 8)); err == nil {
		t.Error("8 Cyrillic letters (16 bytes) accepted as 16 characters")
	}
	// paymaster.token is PayMaster's, whatever its length.
	if _, err := config.Normalize("paymaster.token", "pm1"); err != nil {
		t.Errorf("paymaster.token: %v", err)
	}
}

// TestHardening_PayMasterURL: the bearer token travels with every request,
// so paymaster.base_url must be https://, or http:// to this machine (the
// sandbox).
func TestHardening_PayMasterURL(t *testing.T) {
	k, _ := config.Lookup("paymaster.base_url")
	for _, want := range []string{"https://", "127.0.0.1", "::1", "localhost", "sandbox", "/api/v2"} {
		if !strings.Contains(k.Rule, want) {
			t.Errorf("the rule %q does not mention %s", k.Rule, want)
		}
	}
	refused := []string{
		"http://paymaster.ru", "http://paymaster.ru:80/", "HTTP://paymaster.ru", "http://10.0.0.5:8766",
		"http://192.168.1.10", "http://127.0.0.1.nip.io", "http://localhost.evil.example", "http://[::2]:80",
		"ftp://x", "paymaster.ru", "https://",
		// what the driver would refuse at start, or send to the wrong path
		"https://paymaster.ru/api/v2", "https://paymaster.ru/api/v2/", "https://paymaster.ru?x=1",
		"https://paymaster.ru/#top", "https://paymaster.ru/API/v2",
	}
	for _, v := range refused {
		_, err := config.Open(context.Background(), config.Options{Template: strings.NewReader("paymaster:\n  base_url: '" + v + "'\n")})
		if err == nil || !strings.Contains(err.Error(), "paymaster.base_url = "+k.Masked(v)+" (template -): "+k.Rule) {
			t.Errorf("%s: got %v", v, err)
		}
	}
	for _, v := range []string{
		"https://paymaster.ru", "https://10.0.0.5:8443/", "http://127.0.0.1:8766", "http://127.8.9.1:1",
		"http://localhost:8766", "http://LOCALHOST", "http://[::1]:8766", "HTTPS://paymaster.ru",
		"https://paymaster.ru/", "https://proxy.store.example/paymaster", // a store's proxy under a path
		"https://proxy.store.example/x/api", // one that forwards /x/api/api/v2/…
	} {
		if _, err := config.Normalize("paymaster.base_url", v); err != nil {
			t.Errorf("%s refused: %v", v, err)
		}
	}
	// A user and password in it are refused without being shown.
	_, err := config.Open(context.Background(), config.Options{Template: strings.NewReader("paymaster:\n  base_url: 'https://acct:" + credPass + "@paymaster.ru'\n")})
	if err == nil || strings.Contains(err.Error(), credPass) || !strings.Contains(err.Error(), "https://***@paymaster.ru") {
		t.Errorf("a base_url with a password: %v", err)
	}
}

const (
	credURL    = "https://acct:p4ssw0rd-Zq81@accounting.example:8443/hooks/sbpd?x=1"
	credMasked = "https://***@accounting.example:8443/hooks/sbpd?x=***"
	credPass   = "p4ssw0rd-Zq81"
)

// TestHardening_MaskURL: notify.url shows with its user and password
// masked (plugin.RedactURL, whose cases plugin's TestRedactURL covers),
// and a masked URL is known as one, so that it is never stored.
func TestHardening_MaskURL(t *testing.T) {
	k, _ := config.Lookup("notify.url")
	if got := k.Masked(credURL); got != credMasked {
		t.Errorf("notify.url %q shows as %q, want %q", credURL, got, credMasked)
	}
	if got := k.Masked("https://accounting.example/hook"); got != "https://accounting.example/hook" {
		t.Errorf("a URL without credentials shows as %q", got)
	}
	if !config.IsMaskedURL(credMasked) || config.IsMaskedURL(credURL) || config.IsMaskedURL("https://h/") {
		t.Error("IsMaskedURL")
	}
	const query, queryMasked = "http://127.0.0.1:1/hook?token=QUERYSECRET123", "http://127.0.0.1:1/hook?token=***"
	if got := k.Masked(query); got != queryMasked {
		t.Errorf("notify.url %q shows as %q, want %q", query, got, queryMasked)
	}
	if !k.IsSecretValue(query) || !config.IsMaskedURL(queryMasked) || config.IsMaskedURL(query) {
		t.Error("a query is not a secret like a user and password")
	}
}

// TestHardening_NotifyURLCredentials: a user and password inside notify.url
// were shown in clear by `settings list`, `get` and in errors and diffs.
// The Config keeps the real value for use.
func TestHardening_NotifyURLCredentials(t *testing.T) {
	k, _ := config.Lookup("notify.url")
	if !k.Credentials || k.Secret {
		t.Fatalf("notify.url: Credentials %v Secret %v", k.Credentials, k.Secret)
	}
	if !k.IsSecretValue(credURL) || k.IsSecretValue("https://accounting.example/hook") {
		t.Error("IsSecretValue")
	}
	if got := k.Masked(credURL); got != credMasked {
		t.Errorf("Masked = %q", got)
	}
	tmpl := "notify:\n  url: '" + credURL + "'\n"
	c, err := config.Open(context.Background(), config.Options{Template: strings.NewReader(tmpl)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Notify.URL != credURL {
		t.Fatalf("the real URL is not kept for use: %q", c.Notify.URL)
	}
	var seen []string
	seen = append(seen, c.Value("notify.url"))
	if c.Value("notify.url") != credMasked {
		t.Errorf("Value = %q, want %q", c.Value("notify.url"), credMasked)
	}
	for _, l := range c.Layers("notify.url") {
		seen = append(seen, l.Value)
	}
	// A reload that changes the URL or only the password.
	other, err := config.Open(context.Background(), config.Options{Template: strings.NewReader(tmpl),
		Till: config.MapStore{"notify.url": strings.Replace(credURL, credPass, "n3w-pass", 1)}})
	if err != nil {
		t.Fatal(err)
	}
	diff := config.Diff(c, other)
	seen = append(seen, diff...)
	if len(diff) != 1 || diff[0] != "notify.url: "+credMasked+" → "+credMasked+" (credentials changed)" {
		t.Errorf("Diff = %q", diff)
	}
	// Errors: a bad URL with credentials, and a rule between keys.
	_, err = config.Open(context.Background(), config.Options{Till: config.MapStore{"notify.url": "acct:" + credPass + "@accounting.example/hook"}})
	if err == nil || err.Error() != "notify.url = ***@accounting.example/hook (till settings): "+k.Rule {
		t.Errorf("error %v", err)
	} else {
		seen = append(seen, err.Error())
	}
	if _, err := config.Normalize("notify.url", "ftp://acct:"+credPass+"@h/"); err == nil {
		t.Error("ftp accepted")
	} else {
		seen = append(seen, err.Error())
	}
	if all := strings.Join(seen, "\n"); strings.Contains(all, credPass) || strings.Contains(all, "acct") {
		t.Errorf("the credentials show:\n%s", all)
	}
	// A template that holds them and that others can read is warned about.
	dir := t.TempDir()
	path := filepath.Join(dir, "sbpd.yaml")
	os.WriteFile(path, []byte(tmpl), 0o600)
	os.Chmod(path, 0o644)
	c, err = config.Load(path, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(c.Warnings(), "\n"); !strings.Contains(w, "holds secrets (notify.url)") || strings.Contains(w, credPass) {
		t.Errorf("warnings %q", w)
	}
}

// TestHardening_NotifyOverHTTPWarns: an http:// notify.url to another host
// sends the signed notification and payment data in clear: a warning (not
// an error), which serve logs and doctor shows.
func TestHardening_NotifyOverHTTPWarns(t *testing.T) {
	cases := []struct {
		url  string
		warn bool
	}{
		{"http://accounting.example/hook", true},
		{"http://acct:" + credPass + "@10.1.2.3:8080/hook", true},
		{"https://accounting.example/hook", false},
		{"http://127.0.0.1:9000/hook", false},
		{"http://localhost/hook", false},
		{"http://[::1]/hook", false},
		{"", false},
	}
	for _, tc := range cases {
		c, err := config.Open(context.Background(), config.Options{Till: config.MapStore{"notify.url": tc.url}})
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		w := strings.Join(c.Warnings(), "\n")
		if got := strings.Contains(w, "in clear"); got != tc.warn {
			t.Errorf("%s: warnings %q, want a warning: %v", tc.url, w, tc.warn)
		}
		if tc.warn && (!strings.Contains(w, "notify.url = "+plugin.RedactURL(tc.url)+" (till settings)") || !strings.Contains(w, "https://")) {
			t.Errorf("%s: the warning does not name the key, its value and the fix: %q", tc.url, w)
		}
		if strings.Contains(w, credPass) {
			t.Errorf("the password shows: %q", w)
		}
	}
}

// TestHardening_APIHosts: the extra names the till API answers to, parsed
// and normalised for the HTTP layer.
func TestHardening_APIHosts(t *testing.T) {
	k, ok := config.Lookup("api.hosts")
	if !ok || k.Type != config.String || !k.TemplateOnly || k.Default != "" || k.Secret {
		t.Fatalf("api.hosts: %+v", k)
	}
	for _, want := range []string{"421", "localhost", "listen"} {
		if !strings.Contains(k.Description, want) {
			t.Errorf("description %q lacks %q", k.Description, want)
		}
	}
	c, err := config.Parse(strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	if c.APIHosts != nil || c.Value("api.hosts") != "" {
		t.Fatalf("default %q %q", c.APIHosts, c.Value("api.hosts"))
	}
	good := map[string][]string{
		"kiosk-07.shop.lan":                                      {"kiosk-07.shop.lan"},
		" Kiosk-07.Shop.LAN , 192.168.10.7 ,":                    {"kiosk-07.shop.lan", "192.168.10.7"},
		"[FE80::1],::FFFF:7F00:1,2001:DB8::A":                    {"fe80::1", "::ffff:127.0.0.1", "2001:db8::a"},
		"k1,k2,k3,k4,k5,k6,k7,k8,k9,k10,k11,k12,k13,k14,k15,k16": {"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "k12", "k13", "k14", "k15", "k16"},
		"xn--80ak6aa92e.xn--p1ai":                                {"xn--80ak6aa92e.xn--p1ai"},
	}
	for in, want := range good {
		c, err := config.Open(context.Background(), config.Options{Template: strings.NewReader("api:\n  hosts: '" + in + "'\n")})
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if !slices.Equal(c.APIHosts, want) {
			t.Errorf("%q: APIHosts = %q, want %q", in, c.APIHosts, want)
		}
		if c.Value("api.hosts") != strings.Join(want, ",") {
			t.Errorf("%q: Value = %q", in, c.Value("api.hosts"))
		}
	}
	bad := []string{
		"http://kiosk.lan", "kiosk.lan:8765", "kiosk.lan/path", "*.shop.lan", "kiosk lan", "kiosk_07.lan",
		"-kiosk.lan", "kiosk-.lan", ".kiosk.lan", "kiosk..lan", "kiosk.lan.", "[::1]:80", "fe80::1%eth0",
		"касса.lan", strings.Repeat("a", 64) + ".lan", strings.Repeat("abcdefgh.", 29) + "lan",
		"k1,k2,k3,k4,k5,k6,k7,k8,k9,k10,k11,k12,k13,k14,k15,k16,k17", "user@kiosk.lan",
	}
	for _, in := range bad {
		_, err := config.Open(context.Background(), config.Options{Template: strings.NewReader("api:\n  hosts: '" + in + "'\n")})
		if err == nil || !strings.Contains(err.Error(), "api.hosts = "+in+" (template -): "+k.Rule) {
			t.Errorf("%q: got %v", in, err)
		}
	}
	// From the environment, like every key; never from the till settings.
	t.Setenv("SBPD_API_HOSTS", "Kiosk.LAN,10.0.0.7")
	c, err = config.Parse(strings.NewReader(""))
	if err != nil || !slices.Equal(c.APIHosts, []string{"kiosk.lan", "10.0.0.7"}) || c.Source("api.hosts") != "env SBPD_API_HOSTS" {
		t.Fatalf("%v %q %s", err, c.APIHosts, c.Source("api.hosts"))
	}
	t.Setenv("SBPD_API_HOSTS", "")
	if _, err := config.TillKey("api.hosts"); err == nil || !strings.Contains(err.Error(), "belongs in the cash-desk template") {
		t.Fatalf("TillKey: %v", err)
	}
	_, err = config.Open(context.Background(), config.Options{Till: config.MapStore{"api.hosts": "kiosk.lan"}})
	if err == nil || !strings.Contains(err.Error(), "api.hosts = kiosk.lan (till settings): belongs in the cash-desk template") {
		t.Fatalf("till settings: %v", err)
	}
	// A change is a change: Diff and Changed see it.
	a, _ := config.Parse(strings.NewReader("api: {hosts: 'a.lan'}\n"))
	b, _ := config.Parse(strings.NewReader("api: {hosts: 'a.lan,b.lan'}\n"))
	if d := config.Diff(a, b); len(d) != 1 || d[0] != "api.hosts: a.lan → a.lan,b.lan" {
		t.Fatalf("Diff %q", d)
	}
	if d := config.Diff(a, a); len(d) != 0 {
		t.Fatalf("Diff %q", d)
	}
}

// TestHardening_MerchantIDNotAGUID: PayMaster's merchant ids are GUIDs; one
// that is not (a site name, a number, a truncated paste) is a warning
// that says so, not a refusal: a kiosk that works is not stopped.
func TestHardening_MerchantIDNotAGUID(t *testing.T) {
	for _, tc := range []struct {
		id   string
		warn bool
	}{
		{"0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90", false},
		{"0B7C2F9E-3A51-4C1D-9E8A-5F2D6C7B8A90", false},
		{"{0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90}", true},
		{"0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a9", true},
		{"not-a-uuid", true},
		{"12345", true},
		{"", false}, // unset: RequireRemote says it must be set
	} {
		c, err := config.Open(context.Background(), config.Options{Template: strings.NewReader("paymaster:\n  merchant_id: '" + tc.id + "'\n")})
		if err != nil {
			t.Fatalf("%q: %v", tc.id, err)
		}
		w := strings.Join(c.Warnings(), "\n")
		if got := strings.Contains(w, "paymaster.merchant_id = "+tc.id+" (template -): not a GUID"); got != tc.warn {
			t.Errorf("%q: warnings %q", tc.id, w)
		}
	}
}

// TestHardening_WeakAPIToken: the right api.token passes even from a source
// blocked for wrong ones (so that nobody can lock the till out), which
// leaves a guesser a yes or no per try: a token shorter than
// StrongTokenLen or plainly not random is a warning that says how to make
// one, not a refusal (a working kiosk does not stop at an upgrade).
func TestHardening_WeakAPIToken(t *testing.T) {
	cases := []struct {
		token, why string // why: "" for no warning
	}{
		{"", ""},
		{"3f9c1a7be2d04586a1c9e7f3b2d8a640", ""}, // openssl rand -hex 16
		{"hZ2kQ9vN4xL7pR1sT8wY3bF6dG0jM5cA-_", ""},
		{"api-token-0123456789", "shorter than 32 characters"},
		{strings.Repeat("ab", 16), "plainly not random"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "plainly not random"},
		{"0123456789abcdef0123456789abcdef", "plainly not random"}, // a pattern repeated
		{"1111111122222222333333334444444455", "plainly not random"},
	}
	for _, tc := range cases {
		c, err := config.Open(context.Background(), config.Options{Till: config.MapStore{"api.token": tc.token}})
		if err != nil {
			t.Fatalf("%q: a weak token must not be refused: %v", tc.token, err)
		}
		var w string
		for _, s := range c.Warnings() {
			if strings.HasPrefix(s, "api.token = ") {
				w = s
			}
		}
		if tc.why == "" {
			if w != "" {
				t.Errorf("%q: %s", tc.token, w)
			}
			continue
		}
		if !strings.HasPrefix(w, "api.token = *** (set) (till settings): "+tc.why) || !strings.Contains(w, "openssl rand -hex 16") ||
			!strings.Contains(w, "head -c 16 /dev/urandom | xxd -p") || !strings.Contains(w, "sbpd settings set api.token - for the till settings") {
			t.Errorf("%q: warning %q, want one saying %q and how to make a token", tc.token, w, tc.why)
		}
		if strings.Contains(w, tc.token) {
			t.Errorf("the token shows: %q", w)
		}
	}
	if config.StrongTokenLen != 32 || config.StrongTokenLen < config.MinSecretLen {
		t.Errorf("StrongTokenLen %d", config.StrongTokenLen)
	}
}

// TestRepeats: a token written as a shorter string again and again is
// seen, whatever its length; one that is not is not.
func TestRepeats(t *testing.T) {
	for s, want := range map[string]bool{
		"": false, "a": false, "aa": true, "ab": false, "abcabcab": true, "abcabcabd": false,
		"0123456789abcdef0123456789abcdef": true,
		"3f9a1c7e5b2d4a6c8e0f1a3b5c7d9e2f": false,
		strings.Repeat("xyz", 20000) + "x": true,
		strings.Repeat("ab", 30000) + "c":  false,
	} {
		if got := config.Repeats(s); got != want {
			t.Errorf("Repeats(%.20q… len %d) = %v, want %v", s, len(s), got, want)
		}
	}
}

// BenchmarkRepeats64K: the weak-token check of a 64 KB api.token, run at
// every settings load (it was quadratic: about 1 s).
func BenchmarkRepeats64K(b *testing.B) {
	s := strings.Repeat("ab", 32<<10) + "c"
	for b.Loop() {
		config.Repeats(s)
	}
}
