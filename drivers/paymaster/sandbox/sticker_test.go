package sandbox_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
)

func TestServer_Stickers(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{Stickers: []string{"cash"}, PlainStickers: []string{"plain"}})
	get := func(id string) map[string]any {
		t.Helper()
		a := call(t, "GET", base+"/api/v2/stickers/"+id, bearer, nil)
		if a.Status != 200 {
			t.Fatalf("sticker %s: HTTP %d %s", id, a.Status, a.Body)
		}
		return a.JSON(t)
	}
	if m := get("cash"); m["cashlink"] != true || m["status"] != "Active" {
		t.Errorf("cash-link sticker: %v", m)
	}
	if m := get("plain"); m["cashlink"] != false || m["status"] != "Active" || m["payload"] == "" {
		t.Errorf("plain sticker: %v", m)
	}
	if err := s.SetStickerActive("cash", false); err != nil {
		t.Fatal(err)
	}
	if m := get("cash"); m["status"] != "Inactive" {
		t.Errorf("deactivated sticker: %v", m)
	}
	if err := s.SetStickerActive("none", false); err == nil {
		t.Error("SetStickerActive accepted an unknown sticker")
	}
}

// TestServer_DateFollowsClock: the Date header of API answers is the
// sandbox clock's, so a client's clock check can be tested.
func TestServer_DateFollowsClock(t *testing.T) {
	clock := fakeClock{clockwork.NewFakeClockAt(t0)}
	_, base := MustStart(t, sandbox.Options{Clock: clock})
	for _, auth := range []string{bearer, "Bearer wrong"} {
		a := call(t, "GET", base+"/api/v2/payments/1", auth, nil)
		got, err := http.ParseTime(a.Header.Get("Date"))
		if err != nil || !got.Equal(t0) {
			t.Errorf("Date %q (HTTP %d), want %v", a.Header.Get("Date"), a.Status, t0.Format(time.RFC1123))
		}
	}
}
