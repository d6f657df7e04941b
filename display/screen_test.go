package display_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/sbpd/sbpd/display"
	"github.com/sbpd/sbpd/plugin"
)

func serve(t *testing.T, s *display.Screen) *httptest.Server {
	mux := http.NewServeMux()
	for p, h := range s.Routes() {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func payment(id string, st plugin.State) plugin.Payment {
	p := plugin.Payment{ID: id, CheckID: "1", Amount: 25990, Mode: plugin.ModeScreen, State: st,
		QRPayload: "https://qr.nspk.ru/AD10001234ABCDEFGHIJKLMNOPQRSTUV?type=02&bank=100000000111&sum=25990&cur=RUB&crc=1A2B"}
	p.Decorate()
	return p
}

func TestScreen_EventsFollowShow(t *testing.T) {
	s := display.New()
	srv := serve(t, s)
	resp, err := http.Get(srv.URL + "/screen/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "event: ") {
				events <- strings.TrimPrefix(line, "event: ")
			} else if strings.HasPrefix(line, "data: {\"id\"") {
				var p plugin.Payment
				json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &p)
				events <- string(p.State)
			}
		}
	}()
	next := func() string {
		select {
		case e := <-events:
			return e
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
			return ""
		}
	}
	if e := next(); e != "idle" {
		t.Fatalf("first event %q", e)
	}
	s.Show(payment("P1", plugin.StateAwaitingPayment))
	if e, st := next(), next(); e != "payment" || st != "awaiting_payment" {
		t.Fatalf("%s %s", e, st)
	}
	// A background payment's late verdict does not cover the active QR.
	s.Show(payment("OLD", plugin.StateNotPaid))
	if cur, _ := s.Current(); cur.ID != "P1" {
		t.Fatalf("screen shows %s", cur.ID)
	}
}

func TestScreen_QRDecodesToPayload(t *testing.T) {
	s := display.New()
	srv := serve(t, s)
	p := payment("P1", plugin.StateAwaitingPayment)
	s.Show(p)
	resp, err := http.Get(srv.URL + "/screen/qr/P1")
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("%v %v", err, resp.Status)
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	resp.Body.Close()
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.GetText() != p.QRPayload {
		t.Fatalf("QR reads %q, want %q", res.GetText(), p.QRPayload)
	}
	if r, _ := http.Get(srv.URL + "/screen/qr/OTHER"); r.StatusCode != 404 {
		t.Fatalf("QR of a payment not on show: %d", r.StatusCode)
	}
}

func TestScreen_PageServed(t *testing.T) {
	srv := serve(t, display.New())
	for _, path := range []string{"/", "/screen/screen.js", "/screen/screen.css"} {
		r, err := http.Get(srv.URL + path)
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("%s: %v %v", path, err, r.Status)
		}
	}
}
