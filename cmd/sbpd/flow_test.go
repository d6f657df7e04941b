package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

const poll = 3 * time.Second

func TestE2E_HappyPathScreen(t *testing.T) {
	h := newE2E(t)
	p := h.start("000153", 25990, false)
	if p.State != plugin.StateAwaitingPayment || p.StateCode != 2 || p.Mode != 1 {
		t.Fatalf("after POST: %s (%d) mode %d", p.State, p.StateCode, p.Mode)
	}
	remote, ok := h.sb.Payment(p.PayMasterID)
	if !ok || p.QRPayload != remote.PaymentURL || !strings.HasPrefix(p.QRPayload, "https://qr.nspk.ru/") {
		t.Fatalf("qr_payload %q, PayMaster's paymentUrl %q", p.QRPayload, remote.PaymentURL)
	}
	if remote.Amount != 25990 || remote.OrderNo != "K07-000153-1" || p.OrderNo != remote.OrderNo {
		t.Fatalf("PayMaster got amount %d order %q", remote.Amount, remote.OrderNo)
	}
	if p.Message != "Для оплаты используйте NFC или отсканируйте QR-код" {
		t.Fatalf("message %q", p.Message)
	}
	if err := h.sb.Pay(p.PayMasterID); err != nil {
		t.Fatal(err)
	}
	got := h.until(p.ID, plugin.StatePaid, poll, 1) // seen within one poll interval
	if got.StateCode != 5 || got.Message != "Оплата прошла успешно" {
		t.Fatalf("paid: %+v", got)
	}
	want := []string{plugin.EvCreated, plugin.EvRemoteCreated, plugin.EvFinal}
	if fmt.Sprint(h.events(p.ID)) != fmt.Sprint(want) {
		t.Fatalf("journal events %v, want %v", h.events(p.ID), want)
	}
	if n := h.sb.Handled(sandbox.KindCreate); n != 1 {
		t.Fatalf("%d PayMaster payments created", n)
	}
}

func TestE2E_HappyPathSticker(t *testing.T) {
	h := newE2E(t, func(c *config.Config) { c.SBP.QRMode = 2 })
	p := h.start("7", 9900, false)
	if p.State != plugin.StateAwaitingPayment || p.QRPayload != "" || p.Mode != 2 {
		t.Fatalf("sticker payment: %s qr %q mode %d", p.State, p.QRPayload, p.Mode)
	}
	if p.Message != plugin.TextScanSticker {
		t.Fatalf("message %q", p.Message)
	}
	remote, _ := h.sb.Payment(p.PayMasterID)
	if remote.StickerID != testSticker {
		t.Fatalf("PayMaster payment not bound to the sticker: %+v", remote)
	}
	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 1)
}

func TestE2E_Mixed(t *testing.T) {
	h := newE2E(t, func(c *config.Config) { c.SBP.MixedPayment = true; c.SBP.QRMode = 2 })
	p := h.start("8", 12345, true) // the remainder after cards
	if !p.Mixed || p.Mode != 1 || p.QRPayload == "" || p.Amount != 12345 {
		t.Fatalf("mixed payment must show the remainder's QR on screen: %+v", p)
	}
	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 1)
}

func TestE2E_MixedRefusedWithoutTemplate(t *testing.T) {
	h := newE2E(t)
	st, b := h.do("POST", "/api/v1/payments", `{"check_id":"8","amount":100,"mixed":true}`)
	if st != http.StatusUnprocessableEntity || !strings.Contains(string(b), "mixed_not_enabled") {
		t.Fatalf("%d %s", st, b)
	}
}

func TestE2E_DialogRetryThenPaid(t *testing.T) {
	h := newE2E(t)
	p := h.start("1", 100, false)
	got := h.until(p.ID, plugin.StateStatusUnknown, poll, 41) // 120s status timeout
	if got.StateCode != 3 || got.Dialog == nil || got.Dialog.Text != "Оплата не завершена" {
		t.Fatalf("dialog: %+v", got)
	}
	st, b := h.do("POST", "/api/v1/payments/"+p.ID+"/retry", "")
	if r := h.payment(st, b, http.StatusOK); r.State != plugin.StateAwaitingPayment || r.Dialog != nil {
		t.Fatalf("after retry: %+v", r)
	}
	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 1)
	if n := h.sb.Handled(sandbox.KindCreate); n != 1 {
		t.Fatalf("Retry created %d payments", n)
	}
}

func TestE2E_DialogWhenPayMasterUnreachable(t *testing.T) {
	h := newE2E(t)
	p := h.start("1", 100, false)
	h.sb.AddFault(sandbox.Fault{Method: "GET", Drop: true})
	got := h.until(p.ID, plugin.StateStatusUnknown, poll, 41)
	if got.Message != "Оплата не завершена, нет связи с процессингом" {
		t.Fatalf("message %q", got.Message)
	}
	// The shopper paid meanwhile; the connection comes back; Retry finds it.
	h.sb.Pay(p.PayMasterID)
	h.sb.ClearFaults()
	h.do("POST", "/api/v1/payments/"+p.ID+"/retry", "")
	h.until(p.ID, plugin.StatePaid, poll, 1)
}

func TestE2E_CancelExactlyOneCall(t *testing.T) {
	h := newE2E(t)
	p := h.start("1", 100, false)
	h.until(p.ID, plugin.StateStatusUnknown, poll, 41)
	for i := 0; i < 3; i++ { // an impatient shopper taps Отменить three times
		st, b := h.do("POST", "/api/v1/payments/"+p.ID+"/cancel", "")
		if st != http.StatusOK {
			t.Fatalf("cancel tap %d: %d %s", i, st, b)
		}
	}
	got := h.until(p.ID, plugin.StateNotPaid, poll, 2)
	if got.StateCode != 6 || got.Reason != plugin.ReasonCancelled {
		t.Fatalf("%+v", got)
	}
	if n := h.sb.PaymentCalls(p.PayMasterID, sandbox.KindCancel); n != 1 {
		t.Fatalf("%d cancel calls, want exactly 1", n)
	}
}

func TestE2E_CancelRejectedNeedsAttention(t *testing.T) {
	h := newE2E(t)
	h.sb.SetCancelMode(sandbox.CancelReject)
	p := h.start("1", 100, false)
	h.do("POST", "/api/v1/payments/"+p.ID+"/cancel", "")
	got := h.until(p.ID, plugin.StateNeedsAttention, poll, 2)
	if got.StateCode != 7 || got.Reason != plugin.ReasonCancelFailed || got.Message != plugin.TextNeedsAttention {
		t.Fatalf("%+v", got)
	}
	if n := h.sb.PaymentCalls(p.PayMasterID, sandbox.KindCancel); n != 1 {
		t.Fatalf("%d cancel calls", n)
	}
}

func TestE2E_SettledAfterCancelIsPaid(t *testing.T) {
	h := newE2E(t)
	h.sb.SetCancelMode(sandbox.CancelAcceptPending)
	p := h.start("1", 100, false)
	h.do("POST", "/api/v1/payments/"+p.ID+"/cancel", "")
	h.until(p.ID, plugin.StateCanceling, poll, 1)
	h.sb.Pay(p.PayMasterID) // the shopper confirmed in the bank app at that moment
	got := h.until(p.ID, plugin.StatePaid, poll, 2)
	if !got.LateSettle {
		t.Fatal("late Settled not flagged in the journal")
	}
}

func TestE2E_DeclinedReasons(t *testing.T) {
	for code, text := range map[string]string{
		"InsufficientFunds": plugin.TextInsufficient,
		"CancelledByUser":   plugin.TextDeclinedInApp,
		"IssuerUnavailable": plugin.TextTechnical,
	} {
		t.Run(code, func(t *testing.T) {
			h := newE2E(t)
			p := h.start("1", 100, false)
			h.sb.Decline(p.PayMasterID, code)
			if got := h.until(p.ID, plugin.StateNotPaid, poll, 1); got.Message != text {
				t.Fatalf("message %q, want %q", got.Message, text)
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		h := newE2E(t)
		p := h.start("1", 100, false)
		got := h.until(p.ID, plugin.StateNotPaid, poll, 110) // 5-minute lifetime, then PayMaster expires it
		if got.Message != plugin.TextExpired {
			t.Fatalf("%q", got.Message)
		}
	})
}

func TestE2E_PollingSurvivesFaults(t *testing.T) {
	for name, f := range map[string]sandbox.Fault{
		"500":     {Method: "GET", Status: 500, Times: 5},
		"503":     {Method: "GET", Status: 503, Times: 5},
		"429":     {Method: "GET", Status: 429, RetryAfter: "0", Times: 5},
		"dropped": {Method: "GET", Drop: true, Times: 5},
		"garbage": {Method: "GET", Malformed: true, Times: 5},
	} {
		t.Run(name, func(t *testing.T) {
			h := newE2E(t)
			p := h.start("1", 100, false)
			h.sb.AddFault(f)
			h.sb.Pay(p.PayMasterID)
			h.until(p.ID, plugin.StatePaid, poll, 6)
			if n := h.sb.Handled(sandbox.KindCreate); n != 1 {
				t.Fatalf("%d payments", n)
			}
		})
	}
}

func TestE2E_QRArrivesOnLaterGet(t *testing.T) {
	h := newE2E(t)
	h.sb.SetQRAfterGets(2)
	done := make(chan plugin.Payment, 1)
	go func() {
		st, b := h.do("POST", "/api/v1/payments", `{"check_id":"1","amount":100}`)
		done <- h.payment(st, b, http.StatusCreated)
	}()
	for i := 0; i < 3; i++ { // QR polls every 500ms until the link appears
		h.clock.WaitForTimers(t, 2)
		h.clock.Advance(500 * time.Millisecond)
	}
	p := <-done
	remote, _ := h.sb.Payment(p.PayMasterID)
	if p.State != plugin.StateAwaitingPayment || p.QRPayload == "" || p.QRPayload != remote.PaymentURL {
		t.Fatalf("%s qr %q", p.State, p.QRPayload)
	}
	kinds := h.events(p.ID)
	if kinds[len(kinds)-1] != plugin.EvQRReady {
		t.Fatalf("events %v", kinds)
	}
}

func TestE2E_RetriedCreateMakesOnePayment(t *testing.T) {
	cases := map[string]sandbox.Fault{
		"answer lost":          {Method: "POST", Drop: true, AfterHandling: true, Times: 1},
		"answer garbled":       {Method: "POST", Malformed: true, AfterHandling: true, Times: 1},
		"500 after creating":   {Method: "POST", Status: 500, AfterHandling: true, Times: 1},
		"dropped before":       {Method: "POST", Drop: true, Times: 2},
		"429 before":           {Method: "POST", Status: 429, RetryAfter: "0", Times: 2},
		"lost answers, always": {Method: "POST", Drop: true, AfterHandling: true, Times: 4},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			h := newE2E(t)
			h.sb.AddFault(f)
			p := h.start("1", 100, false)
			if p.State != plugin.StateAwaitingPayment && p.State != plugin.StateStatusUnknown {
				t.Fatalf("%s", p.State)
			}
			if p.State == plugin.StateStatusUnknown {
				h.do("POST", "/api/v1/payments/"+p.ID+"/retry", "")
				p = h.until(p.ID, plugin.StateAwaitingPayment, poll, 2)
			}
			if n := len(h.sb.Payments()); n != 1 {
				t.Fatalf("%d PayMaster payments for one check", n)
			}
			h.sb.Pay(p.PayMasterID)
			h.until(p.ID, plugin.StatePaid, poll, 1)
		})
	}
}

func TestE2E_OnePaymentPerKiosk(t *testing.T) {
	h := newE2E(t)
	p := h.start("A", 100, false)
	st, b := h.do("POST", "/api/v1/payments", `{"check_id":"A","amount":100}`)
	if same := h.payment(st, b, http.StatusOK); same.ID != p.ID {
		t.Fatalf("same check got another payment %s", same.ID)
	}
	st, b = h.do("POST", "/api/v1/payments", `{"check_id":"B","amount":100}`)
	if st != http.StatusConflict || !strings.Contains(string(b), "another_payment_active") {
		t.Fatalf("%d %s", st, b)
	}
	if n := len(h.sb.Payments()); n != 1 {
		t.Fatalf("%d PayMaster payments", n)
	}
	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 1)
	// The kiosk is free again; the paid check is never charged twice.
	st, b = h.do("POST", "/api/v1/payments", `{"check_id":"A","amount":100}`)
	if again := h.payment(st, b, http.StatusOK); again.ID != p.ID || again.State != plugin.StatePaid {
		t.Fatalf("paid check asked again: %+v", again)
	}
	h.start("B", 100, false)
}

func TestE2E_RestartReconciles(t *testing.T) {
	t.Run("paid while down", func(t *testing.T) {
		h := newE2E(t)
		p := h.start("1", 100, false)
		h.d.Close()
		h.sb.Pay(p.PayMasterID)
		h.open()
		if got := h.get(p.ID); got.State != plugin.StatePaid {
			t.Fatalf("after restart: %s", got.State)
		}
		if n := len(h.sb.Payments()); n != 1 {
			t.Fatalf("%d payments", n)
		}
	})
	t.Run("still pending resumes", func(t *testing.T) {
		h := newE2E(t)
		p := h.start("1", 100, false)
		h.restart()
		got := h.get(p.ID)
		if got.State != plugin.StateAwaitingPayment || got.QRPayload != p.QRPayload {
			t.Fatalf("after restart: %s", got.State)
		}
		st, _ := h.do("POST", "/api/v1/payments", `{"check_id":"2","amount":100}`)
		if st != http.StatusConflict {
			t.Fatalf("resumed payment must hold the kiosk: %d", st)
		}
		h.sb.Pay(p.PayMasterID)
		h.until(p.ID, plugin.StatePaid, poll, 1)
		if kinds := h.events(p.ID); fmt.Sprint(kinds) != fmt.Sprint([]string{plugin.EvCreated, plugin.EvRemoteCreated, plugin.EvFinal}) {
			t.Fatalf("events %v", kinds)
		}
	})
	t.Run("created but id never stored", func(t *testing.T) {
		// The create reached PayMaster but its answer was lost and the
		// daemon stopped: the journal has the row and key, no PayMaster id.
		h := newE2E(t)
		h.sb.AddFault(sandbox.Fault{Method: "POST", Drop: true, AfterHandling: true})
		h.sb.AddFault(sandbox.Fault{Method: "GET", Drop: true}) // the list lookup fails too
		p := h.start("1", 100, false)
		if p.PayMasterID != "" {
			t.Fatalf("id stored: %+v", p)
		}
		h.d.Close()
		h.sb.ClearFaults()
		h.sb.Pay(h.sb.Payments()[0].ID)
		h.open()
		got := h.get(p.ID)
		if got.State != plugin.StatePaid || got.PayMasterID == "" {
			t.Fatalf("after restart: %s id %q", got.State, got.PayMasterID)
		}
		if n := len(h.sb.Payments()); n != 1 {
			t.Fatalf("%d payments", n)
		}
	})
}

func TestE2E_BadInput(t *testing.T) {
	h := newE2E(t)
	cases := []struct {
		body   string
		status int
		code   string
	}{
		{``, 400, "invalid_json"},
		{`{`, 400, "invalid_json"},
		{`{"check_id":"1","amount":100} x`, 400, "invalid_json"},
		{`{"amount":100}`, 422, "invalid_check_id"},
		{`{"check_id":"","amount":100}`, 422, "invalid_check_id"},
		{`{"check_id":"   ","amount":100}`, 422, "invalid_check_id"},
		{`{"check_id":12,"amount":100}`, 422, "invalid_check_id"},
		{`{"check_id":"1"}`, 422, "invalid_amount"},
		{`{"check_id":"1","amount":0}`, 422, "invalid_amount"},
		{`{"check_id":"1","amount":-5}`, 422, "invalid_amount"},
		{`{"check_id":"1","amount":259.9}`, 422, "invalid_amount"},
		{`{"check_id":"1","amount":"25990"}`, 422, "invalid_amount"},
		{`{"check_id":"1","amount":100000001}`, 422, "invalid_amount"},
		{`{"check_id":"1","amount":1e3}`, 422, "invalid_amount"},
		{`{"check_id":"1","amout":100}`, 422, "unknown_field"},
		{`{"check_id":"1","amount":100,"mixed":"yes"}`, 422, "invalid_mixed"},
	}
	for _, c := range cases {
		st, b := h.do("POST", "/api/v1/payments", c.body)
		if st != c.status || !strings.Contains(string(b), `"code":"`+c.code+`"`) || !strings.Contains(string(b), `"message":"`) {
			t.Errorf("POST %s: %d %s, want %d %s", c.body, st, b, c.status, c.code)
		}
	}
	st, b := h.do("GET", "/api/v1/payments/01NOPE", "")
	if st != http.StatusNotFound || !strings.Contains(string(b), `"code":"payment_not_found"`) {
		t.Errorf("unknown id: %d %s", st, b)
	}
	for _, action := range []string{"retry", "cancel"} {
		if st, _ := h.do("POST", "/api/v1/payments/01NOPE/"+action, ""); st != http.StatusNotFound {
			t.Errorf("%s unknown id: %d", action, st)
		}
	}
	if n := len(h.sb.Payments()); n != 0 {
		t.Fatalf("bad input reached PayMaster: %d payments", n)
	}
}

func TestE2E_JournalSearch(t *testing.T) {
	h := newE2E(t)
	a := h.start("A-1", 25990, false)
	h.sb.Pay(a.PayMasterID)
	h.until(a.ID, plugin.StatePaid, poll, 1)
	b := h.start("B-2", 100, false)
	h.sb.Decline(b.PayMasterID, "InsufficientFunds")
	h.until(b.ID, plugin.StateNotPaid, poll, 1)

	search := func(query string) []string {
		t.Helper()
		st, body := h.do("GET", "/api/v1/payments?"+query, "")
		if st != http.StatusOK {
			t.Fatalf("%s: %d %s", query, st, body)
		}
		var res struct{ Payments []plugin.Payment }
		json.Unmarshal(body, &res)
		var ids []string
		for _, p := range res.Payments {
			ids = append(ids, p.ID)
		}
		return ids
	}
	for query, want := range map[string][]string{
		"":                        {b.ID, a.ID}, // newest first
		"state=paid":              {a.ID},
		"state=not_paid":          {b.ID},
		"check_id=B-2":            {b.ID},
		"q=" + a.OrderNo:          {a.ID},
		"q=" + a.PayMasterID:      {a.ID},
		"q=259,90":                {a.ID},
		"q=100":                   {b.ID},
		"limit=1":                 {b.ID},
		"mode=1":                  {b.ID, a.ID},
		"mode=2":                  nil,
		"mixed=false&state=paid":  {a.ID},
		"mixed=true":              nil,
		"limit=1&offset=1":        {a.ID},
		"q=%27%20OR%201%3D1%20--": nil,
	} {
		if got := search(query); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("search %q = %v, want %v", query, got, want)
		}
	}
	for _, bad := range []string{"state=done", "mode=3", "mixed=maybe", "chek_id=1"} {
		if st, body := h.do("GET", "/api/v1/payments?"+bad, ""); st != 422 || !strings.Contains(string(body), "invalid_query") {
			t.Errorf("%s: %d %s", bad, st, body)
		}
	}
}
