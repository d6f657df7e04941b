package display_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strconv"
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
	type event struct{ name, detail string } // the payment's state, the QR's text
	events := make(chan event, 10)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		name := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data := []byte(strings.TrimPrefix(line, "data: "))
				ev := event{name: name}
				switch name {
				case "screen": // the daemon's time: TestScreen_StreamSendsTheDaemonsTime
					continue
				case "payment":
					var p plugin.Payment
					json.Unmarshal(data, &p)
					ev.detail = string(p.State)
				case "qr":
					var q struct{ ID, Src string }
					json.Unmarshal(data, &q)
					ev.detail = q.ID + " " + decodeDataURI(t, q.Src)
				}
				events <- ev
			}
		}
	}()
	next := func() event {
		select {
		case e := <-events:
			return e
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
			return event{}
		}
	}
	if e := next(); e.name != "idle" {
		t.Fatalf("first event %q", e)
	}
	p := payment("P1", plugin.StateAwaitingPayment)
	s.Show(p)
	// The QR first, as a data: URI, so the page needs no other request.
	if e := next(); e.name != "qr" || e.detail != "P1 "+p.QRPayload {
		t.Fatalf("%+v, want the QR of P1", e)
	}
	if e := next(); e.name != "payment" || e.detail != "awaiting_payment" {
		t.Fatalf("%+v", e)
	}
	s.Show(payment("P1", plugin.StateStatusUnknown)) // no QR on screen: no image
	if e := next(); e.name != "payment" || e.detail != "status_unknown" {
		t.Fatalf("%+v", e)
	}
	s.Show(p) // back to the QR (Повторить): this stream has it already
	if e := next(); e.name != "payment" || e.detail != "awaiting_payment" {
		t.Fatalf("%+v", e)
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

// TestScreen_StreamStampsChanges: the stream asks for a quick reconnect and
// stamps each event with the moment the change reached the screen, which
// the page uses to measure its paint latency.
func TestScreen_StreamStampsChanges(t *testing.T) {
	s := display.New()
	srv := serve(t, s)
	before := time.Now().UnixMicro()
	s.Show(payment("P1", plugin.StateAwaitingPayment))
	after := time.Now().UnixMicro()
	resp, err := http.Get(srv.URL + "/screen/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	var lines []string
	for sc.Scan() && len(lines) < 10 {
		if sc.Text() != "" {
			lines = append(lines, sc.Text())
		}
		if strings.HasPrefix(sc.Text(), "data: {\"id\":\"P1\",\"check_id\"") {
			break
		}
	}
	if len(lines) != 8 || lines[0] != "retry: 500" || lines[1] != "event: screen" || lines[3] != "event: qr" || lines[6] != "event: payment" {
		t.Fatalf("stream starts %q", lines)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(lines[5], "id: "), 10, 64)
	if err != nil || id < before || id > after {
		t.Fatalf("event id %q, want the time of Show in µs within [%d, %d]", lines[5], before, after)
	}
}

// TestScreen_StreamSendsTheDaemonsTime: before the idle screen and before
// every payment the stream sends "event: screen" with the daemon's clock
// (Screen.Now, not the wall clock) in ms, for the page's countdown, and
// whether the page shows its own Отменить.
func TestScreen_StreamSendsTheDaemonsTime(t *testing.T) {
	for _, hide := range []bool{false, true} {
		s := display.New()
		daemon := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC) // far from the wall clock
		s.Now, s.HideCancel = func() time.Time { return daemon }, hide
		srv := serve(t, s)
		resp, err := http.Get(srv.URL + "/screen/events")
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var seen []string
		for sc.Scan() && len(seen) < 2 {
			line := sc.Text()
			if !strings.HasPrefix(line, "data: ") {
				continue
			}
			var ev display.ScreenEvent
			if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev) == nil && ev.Now != 0 {
				if ev.Now != daemon.UnixMilli() || ev.CancelButton == hide {
					t.Fatalf("screen event %+v, want now %d and cancel_button %t", ev, daemon.UnixMilli(), !hide)
				}
				seen = append(seen, line)
				if len(seen) == 1 {
					daemon = daemon.Add(90 * time.Second)
					s.Show(payment("P1", plugin.StateAwaitingPayment))
				}
			}
		}
		resp.Body.Close()
		if len(seen) != 2 {
			t.Fatalf("screen events %q, want one before idle and one before the payment", seen)
		}
	}
}

func TestScreen_QRModuleSize(t *testing.T) {
	s := display.New()
	srv := serve(t, s)
	p := payment("P1", plugin.StateAwaitingPayment)
	s.Show(p)
	n, _ := display.QRModules(p.QRPayload)
	for query, want := range map[string]int{"?ppm=1": n, "?ppm=9": 9 * n, "": n * ((512 + n - 1) / n)} {
		resp, err := http.Get(srv.URL + "/screen/qr/P1" + query)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", query, err, resp.Status)
		}
		img, err := png.Decode(resp.Body)
		resp.Body.Close()
		if err != nil || img.Bounds().Dx() != want {
			t.Fatalf("%s: %v, image %v, want %d px", query, err, img.Bounds(), want)
		}
	}
	for _, bad := range []string{"?ppm=0", "?ppm=33", "?ppm=x"} {
		if resp, _ := http.Get(srv.URL + "/screen/qr/P1" + bad); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: %d", bad, resp.StatusCode)
		}
	}
}

// TestScreen_PageHasNoCDN: the kiosk may be offline; everything the page
// needs comes from sbpd.
func TestScreen_PageHasNoCDN(t *testing.T) {
	srv := serve(t, display.New())
	for _, path := range []string{"/", "/screen/screen.js", "/screen/screen.css"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		if strings.Contains(b.String(), "http://") || strings.Contains(b.String(), "https://") || strings.Contains(b.String(), "//cdn") {
			t.Errorf("%s refers to another host", path)
		}
	}
}

func decodeDataURI(t *testing.T, uri string) string {
	t.Helper()
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(uri, prefix) {
		t.Fatalf("not a PNG data URI: %.40q", uri)
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(uri, prefix))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// One pixel a module: blow it up for the decoder.
	return decode(t, scaleUp(img, 4))
}

func scaleUp(img image.Image, k int) image.Image {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
	for y := 0; y < b.Dy()*k; y++ {
		for x := 0; x < b.Dx()*k; x++ {
			out.Set(x, y, img.At(b.Min.X+x/k, b.Min.Y+y/k))
		}
	}
	return out
}

// TestScreen_PageHeaders: the kiosk page says what it may load (its own
// script, style, images and stream; nothing inline) and that no page may
// frame it, except sbpd's own demo page when Embeddable.
func TestScreen_PageHeaders(t *testing.T) {
	for _, embeddable := range []bool{false, true} {
		s := display.New()
		s.Embeddable = embeddable
		rec := request(handler(s), "GET", "/", "127.0.0.1:40000", "")
		h := rec.Header()
		frame, xfo := "frame-ancestors 'none'", "DENY"
		if embeddable {
			frame, xfo = "frame-ancestors 'self'", "SAMEORIGIN"
		}
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", frame} {
			if !strings.Contains(csp, want) {
				t.Errorf("embeddable %t: CSP %q lacks %q", embeddable, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("CSP %q allows unsafe sources", csp)
		}
		if h.Get("X-Frame-Options") != xfo || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("embeddable %t: headers %v", embeddable, h)
		}
		if strings.Contains(rec.Body.String(), "<script>") || strings.Contains(rec.Body.String(), "style=") {
			t.Errorf("the page has inline script or style its policy would block")
		}
	}
}
