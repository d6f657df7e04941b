package config_test

import (
	"bytes"
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/config"
)

func TestConfig_TillFileRoundTrip(t *testing.T) {
	in := map[string]string{
		"listen":               "127.0.0.1:9000",
		"till.id":              "K07",
		"sbp.qr_mode":          "2",
		"sbp.poll_interval":    "2s",
		"paymaster.sticker_id": `st"1: #x`,
		"paymaster.token":      config.SecretMarker,
		"paymaster.test_mode":  "true",
		"printer.width":        "384",
		"printer.port":         "",
		"not.a.key":            "dropped",
	}
	var b bytes.Buffer
	if err := config.WriteTillFile(&b, in, []string{"exported from K07", ""}); err != nil {
		t.Fatal(err)
	}
	want := `# exported from K07
#
listen: "127.0.0.1:9000"
till:
  id: "K07"
sbp:
  qr_mode: 2
  poll_interval: "2s"
paymaster:
  token: "<secret: set it with sbpd settings set>"
  sticker_id: "st\"1: #x"
  test_mode: true
printer:
  port: ""
  width: 384
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	out, err := config.ReadTillFile(&b)
	if err != nil {
		t.Fatal(err)
	}
	delete(in, "not.a.key")
	if !maps.Equal(out, in) {
		t.Fatalf("read back %v\nwant %v", out, in)
	}
}

func TestConfig_ReadTillFile(t *testing.T) {
	out, err := config.ReadTillFile(strings.NewReader("sbp.qr_mode: 0\nprinter: {port: /dev/ttyS0, baud: 9600}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if out["sbp.qr_mode"] != "0" || out["printer.port"] != "/dev/ttyS0" || out["printer.baud"] != "9600" {
		t.Fatalf("%v", out)
	}
	if _, err := config.ReadTillFile(strings.NewReader("till: {id: [a, b]}\n")); err == nil || !strings.Contains(err.Error(), "till.id must be a single value") {
		t.Fatalf("%v", err)
	}
	if _, err := config.ReadTillFile(strings.NewReader("till: [\n")); err == nil {
		t.Fatal("broken YAML accepted")
	}
}

func TestConfig_Diff(t *testing.T) {
	load := func(till config.MapStore) *config.Config {
		t.Helper()
		c, err := config.Open(context.Background(), config.Options{Till: till})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	const secret = "pm-7f3Kq9ZxW2"
	old := load(config.MapStore{"sbp.poll_interval": "3s", "paymaster.token": secret, "till.id": "K07"})
	new := load(config.MapStore{"sbp.poll_interval": "2s", "paymaster.token": secret + "x", "printer.qr": "raster", "till.id": "K07", "api.token": "api-token-0123456789"})
	got := config.Diff(old, new)
	want := []string{
		"api.token: (not set) → *** (set)",
		"sbp.poll_interval: 3s → 2s",
		"paymaster.token: *** (set) → *** (set, changed)",
		"printer.qr: native → raster",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	withQuery := load(config.MapStore{"sbp.poll_interval": "3s", "paymaster.token": secret, "till.id": "K07", "notify.url": "http://127.0.0.1:1/hook?token=QUERYSECRET123"})
	newQuery := load(config.MapStore{"sbp.poll_interval": "3s", "paymaster.token": secret, "till.id": "K07", "notify.url": "http://127.0.0.1:1/hook?token=QUERYSECRET456"})
	if d := strings.Join(config.Diff(withQuery, newQuery), "\n"); d != "notify.url: http://127.0.0.1:1/hook?token=*** → http://127.0.0.1:1/hook?token=*** (credentials changed)" {
		t.Errorf("a changed query: %q", d)
	}
	if d := config.Diff(old, load(config.MapStore{"sbp.poll_interval": "3000ms", "paymaster.token": secret, "till.id": "K07"})); len(d) != 0 {
		t.Fatalf("same values, different spelling: %v", d)
	}
	if ch := config.Changed(old, new); len(ch) != 4 || ch[0] != "api.token" {
		t.Fatalf("%v", ch)
	}
	if k, _ := config.Lookup("listen"); !k.Restart {
		t.Fatal("listen must need a restart")
	}
}

// TestConfig_SecretsNeverInErrors breaks every secret's rule, and rules
// around it, and greps the errors, values and layers for the secret.
func TestConfig_SecretsNeverInErrors(t *testing.T) {
	const secret = "pm-7f3Kq9ZxW2"
	till := config.MapStore{}
	for _, k := range config.Keys {
		if k.Secret {
			till[k.Name] = secret + " \n"
		}
	}
	till["listen"] = "0.0.0.0:8765"
	c, err := resolve(config.Options{Till: till})
	if err == nil {
		t.Fatal("accepted")
	}
	var seen []string
	seen = append(seen, err.Error())
	for _, k := range config.Keys {
		seen = append(seen, c.Value(k.Name))
		for _, l := range c.Layers(k.Name) {
			seen = append(seen, l.Value)
		}
		if _, err := config.Normalize(k.Name, secret+" "); k.Secret && err != nil {
			seen = append(seen, err.Error())
		}
	}
	all := strings.Join(seen, "\n")
	if strings.Contains(all, "7f3Kq9") {
		t.Fatalf("a secret shows:\n%s", all)
	}
	if !strings.Contains(all, "paymaster.token = *** (set) (till settings)") {
		t.Fatalf("the masked secret is not named:\n%s", all)
	}
}
