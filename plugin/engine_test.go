package plugin_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

// bank is a scripted PayMaster behind plugintest.Gateway.
type bank struct {
	mu        sync.Mutex
	remotes   map[string]*plugin.Remote
	keys      map[string]string // idempotency key -> id
	creates   int
	cancels   int
	createErr error
	getErr    error
	cancelErr error
	noQR      bool
	onCancel  plugin.RemoteStatus // status after an accepted cancel ("" = stays pending)
}

func newBank() *bank {
	return &bank{remotes: map[string]*plugin.Remote{}, keys: map[string]string{}, onCancel: plugin.RemoteCancelled}
}

func (b *bank) gateway() *plugintest.Gateway {
	return &plugintest.Gateway{
		CreatePaymentFn: func(ctx context.Context, req plugin.CreateRequest) (plugin.Remote, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.creates++
			if b.createErr != nil {
				return plugin.Remote{}, b.createErr
			}
			if id, ok := b.keys[req.IdempotencyKey]; ok {
				return *b.remotes[id], nil
			}
			id := fmt.Sprint(40211873 + len(b.remotes))
			r := &plugin.Remote{ID: id, OrderNo: req.OrderNo, Status: plugin.RemoteConfirmation, Amount: req.Amount}
			if !b.noQR && req.StickerID == "" {
				r.QRPayload = "https://qr.nspk.ru/AD" + id
			}
			b.remotes[id], b.keys[req.IdempotencyKey] = r, id
			return *r, nil
		},
		GetPaymentFn: func(ctx context.Context, id string) (plugin.Remote, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			if b.getErr != nil {
				return plugin.Remote{}, b.getErr
			}
			r := b.remotes[id]
			if !b.noQR && r.QRPayload == "" {
				r.QRPayload = "https://qr.nspk.ru/AD" + id
			}
			return *r, nil
		},
		CancelPaymentFn: func(ctx context.Context, id string) error {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.cancels++
			if b.cancelErr != nil {
				return b.cancelErr
			}
			if b.onCancel != "" {
				b.remotes[id].Status, b.remotes[id].ResultCode = b.onCancel, "CancelledByUser"
			}
			return nil
		},
		FindPaymentFn: func(ctx context.Context, orderNo string, around time.Time) (plugin.Remote, bool, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			for _, r := range b.remotes {
				if r.OrderNo == orderNo {
					return *r, true, nil
				}
			}
			return plugin.Remote{}, false, nil
		},
	}
}

func (b *bank) set(id string, status plugin.RemoteStatus, code string, amount int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.remotes[id]
	r.Status, r.ResultCode = status, code
	if amount != 0 {
		r.Amount = amount
	}
}

func (b *bank) counts() (creates, cancels int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.creates, b.cancels
}

type harness struct {
	t       *testing.T
	clock   *plugintest.Clock
	bank    *bank
	journal *plugintest.Journal
	engine  *plugin.Engine
}

func newHarness(t *testing.T, mutate ...func(*plugin.Settings)) *harness {
	t.Helper()
	s := plugin.DefaultSettings()
	s.TillID = "K07"
	s.StickerID = "a1b2c3d4e5f6"
	for _, m := range mutate {
		m(&s)
	}
	h := &harness{t: t, clock: plugintest.NewClock(), bank: newBank(), journal: plugintest.NewJournal()}
	e, err := plugin.NewEngine(h.bank.gateway(), h.journal, h.clock, s)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	e.NewID = func() string { n++; return fmt.Sprintf("P%03d", n) }
	e.NewKey = func() string { return fmt.Sprintf("key-%d", n) }
	h.engine = e
	if err := e.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return h
}

func (h *harness) start(check string, amount int64) plugin.Payment {
	h.t.Helper()
	p, created, err := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: check, Amount: amount})
	if err != nil || !created {
		h.t.Fatalf("start %s: created=%v err=%v", check, created, err)
	}
	return p
}

// until advances time in steps until the payment is in state want. Before
// each step it waits for the runner to sleep on its timer, or to reach the
// state by itself.
func (h *harness) until(id string, want plugin.State, step time.Duration, maxSteps int) plugin.Payment {
	h.t.Helper()
	for i := 0; ; i++ {
		deadline := time.Now().Add(5 * time.Second)
		for {
			p, err := h.engine.Get(context.Background(), id)
			if err != nil {
				h.t.Fatal(err)
			}
			if p.State == want {
				return p
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			sleeping := h.clock.BlockUntilContext(ctx, 1) == nil
			cancel()
			if sleeping {
				// The runner commits before it sleeps: read once more.
				if p, _ := h.engine.Get(context.Background(), id); p.State == want {
					return p
				}
				break
			}
			if time.Now().After(deadline) {
				h.t.Fatalf("payment %s stuck in %s: the runner neither sleeps nor reaches %s", id, p.State, want)
			}
		}
		if i == maxSteps {
			p, _ := h.engine.Get(context.Background(), id)
			h.t.Fatalf("payment %s is %s after %d steps of %s, want %s", id, p.State, maxSteps, step, want)
		}
		h.clock.Advance(step)
	}
}

func TestEngine_HappyPathScreen(t *testing.T) {
	h := newHarness(t)
	p := h.start("000153", 25990)
	if p.State != plugin.StateAwaitingPayment || p.StateCode != 2 || p.QRPayload == "" || p.PayMasterID == "" {
		t.Fatalf("after start: %+v", p)
	}
	if p.Message != plugin.TextScanScreen || p.OrderNo != "K07-000153-1" {
		t.Fatalf("message %q order %q", p.Message, p.OrderNo)
	}
	h.bank.set(p.PayMasterID, plugin.RemoteSettled, "Success", 0)
	got := h.until(p.ID, plugin.StatePaid, 3*time.Second, 1)
	if got.StateCode != 5 || got.Message != plugin.TextPaid {
		t.Fatalf("paid: %+v", got)
	}
	var kinds []string
	for _, ev := range h.journal.Events(p.ID) {
		kinds = append(kinds, ev.Kind)
	}
	want := []string{plugin.EvCreated, plugin.EvRemoteCreated, plugin.EvFinal}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	if _, ok := h.engine.Active(); ok {
		t.Fatal("kiosk still held after paid")
	}
}

func TestEngine_StatusTimeoutDialogRetryThenPaid(t *testing.T) {
	h := newHarness(t)
	p := h.start("1", 100)
	got := h.until(p.ID, plugin.StateStatusUnknown, 3*time.Second, 45)
	if got.Dialog == nil || got.Dialog.Text != plugin.TextNotCompleted || len(got.Dialog.Actions) != 2 {
		t.Fatalf("dialog %+v", got.Dialog)
	}
	r, err := h.engine.Retry(context.Background(), p.ID)
	if err != nil || r.State != plugin.StateAwaitingPayment {
		t.Fatalf("retry: %v %+v", err, r)
	}
	h.bank.set(p.PayMasterID, plugin.RemoteSettled, "Success", 0)
	h.until(p.ID, plugin.StatePaid, 3*time.Second, 2)
	if c, _ := h.bank.counts(); c != 1 {
		t.Fatalf("%d creates, want 1", c)
	}
}

func TestEngine_DialogTextWhenOffline(t *testing.T) {
	h := newHarness(t)
	p := h.start("1", 100)
	h.bank.mu.Lock()
	h.bank.getErr = &plugin.Error{Code: plugin.EUnavailable, Message: "connection refused"}
	h.bank.mu.Unlock()
	got := h.until(p.ID, plugin.StateStatusUnknown, 3*time.Second, 45)
	if got.Message != plugin.TextNoConnection || got.Dialog.Text != plugin.TextNoConnection {
		t.Fatalf("offline dialog: %q", got.Message)
	}
}

func TestEngine_CancelSendsOneCancel(t *testing.T) {
	h := newHarness(t)
	p := h.start("1", 100)
	c, err := h.engine.Cancel(context.Background(), p.ID)
	if err != nil || c.State != plugin.StateCanceling {
		t.Fatalf("cancel: %v %+v", err, c)
	}
	if _, err := h.engine.Cancel(context.Background(), p.ID); err != nil {
		t.Fatalf("second cancel press: %v", err)
	}
	got := h.until(p.ID, plugin.StateNotPaid, 3*time.Second, 2)
	if got.Reason != plugin.ReasonCancelled || got.Message != plugin.TextCancelled {
		t.Fatalf("reason %q message %q", got.Reason, got.Message)
	}
	if _, n := h.bank.counts(); n != 1 {
		t.Fatalf("%d cancel calls, want 1", n)
	}
}

func TestEngine_CancelRejectedNeedsAttention(t *testing.T) {
	h := newHarness(t)
	p := h.start("1", 100)
	h.bank.mu.Lock()
	h.bank.cancelErr = &plugin.Error{Code: plugin.ERejected, Reason: "invalid_operation", Message: "PayMaster refused"}
	h.bank.mu.Unlock()
	h.engine.Cancel(context.Background(), p.ID)
	got := h.until(p.ID, plugin.StateNeedsAttention, 3*time.Second, 2)
	if got.StateCode != 7 || got.Reason != plugin.ReasonCancelFailed || got.Error == nil {
		t.Fatalf("%+v", got)
	}
	if _, ok := h.engine.Active(); ok {
		t.Fatal("needs_attention must free the kiosk")
	}
	// Another check may now start; the same check may not.
	if _, _, err := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "1", Amount: 100}); plugin.ErrorReason(err) != "check_needs_attention" {
		t.Fatalf("same check after attention: %v", err)
	}
	h.start("2", 100)
}

func TestEngine_LateSettleAfterCancelIsPaid(t *testing.T) {
	h := newHarness(t)
	h.bank.onCancel = "" // the cancel call succeeds, the payment stays pending
	p := h.start("1", 100)
	h.engine.Cancel(context.Background(), p.ID)
	h.until(p.ID, plugin.StateCanceling, 3*time.Second, 1)
	h.bank.set(p.PayMasterID, plugin.RemoteSettled, "Success", 0)
	got := h.until(p.ID, plugin.StatePaid, 3*time.Second, 2)
	if !got.LateSettle || !got.CancelRequested {
		t.Fatalf("late settle not flagged: %+v", got)
	}
}

func TestEngine_AmountMismatchNeedsAttention(t *testing.T) {
	h := newHarness(t)
	p := h.start("1", 25990)
	h.bank.set(p.PayMasterID, plugin.RemoteSettled, "Success", 100)
	got := h.until(p.ID, plugin.StateNeedsAttention, 3*time.Second, 1)
	if got.Reason != plugin.ReasonAmountMismatch {
		t.Fatalf("reason %q", got.Reason)
	}
}

func TestEngine_OneActivePaymentPerKiosk(t *testing.T) {
	h := newHarness(t)
	p := h.start("A", 100)
	same, created, err := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "A", Amount: 100})
	if err != nil || created || same.ID != p.ID {
		t.Fatalf("same check: %v created=%v id=%s", err, created, same.ID)
	}
	_, _, err = h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "B", Amount: 100})
	if plugin.ErrorCode(err) != plugin.EConflict || plugin.ErrorReason(err) != "another_payment_active" {
		t.Fatalf("other check: %v", err)
	}
	_, _, err = h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "A", Amount: 200})
	if plugin.ErrorReason(err) != "check_in_progress" {
		t.Fatalf("same check other amount: %v", err)
	}
	if c, _ := h.bank.counts(); c != 1 {
		t.Fatalf("%d creates", c)
	}
	// A paid check is never charged again.
	h.bank.set(p.PayMasterID, plugin.RemoteSettled, "Success", 0)
	h.until(p.ID, plugin.StatePaid, 3*time.Second, 1)
	again, created, err := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "A", Amount: 100})
	if err != nil || created || again.ID != p.ID || again.State != plugin.StatePaid {
		t.Fatalf("paid check again: %v %v %+v", err, created, again)
	}
}

func TestEngine_CreateRejectedIsNotPaid(t *testing.T) {
	h := newHarness(t)
	h.bank.createErr = &plugin.Error{Code: plugin.ERejected, Reason: "validation_error", Message: "PayMaster refused the payment"}
	p, _, err := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "1", Amount: 100})
	if err != nil {
		t.Fatal(err)
	}
	if p.State != plugin.StateNotPaid || p.Error == nil || p.Error.Code != "validation_error" || p.Message != plugin.TextTechnical {
		t.Fatalf("%+v %+v", p, p.Error)
	}
}

func TestEngine_CreateUnknownOutcomeRetriesSameKey(t *testing.T) {
	h := newHarness(t)
	h.bank.createErr = &plugin.Error{Code: plugin.EUnavailable, Message: "connection reset"}
	p, _, _ := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "1", Amount: 100})
	if p.State != plugin.StateStatusUnknown || p.Message != plugin.TextNoConnection {
		t.Fatalf("%+v", p)
	}
	h.bank.mu.Lock()
	h.bank.createErr = nil
	h.bank.mu.Unlock()
	if _, err := h.engine.Retry(context.Background(), p.ID); err != nil {
		t.Fatal(err)
	}
	got := h.until(p.ID, plugin.StateAwaitingPayment, 100*time.Millisecond, 3)
	if got.QRPayload == "" {
		t.Fatal("no QR after retry")
	}
	if len(h.bank.keys) != 1 || len(h.bank.remotes) != 1 {
		t.Fatalf("keys %v remotes %d", h.bank.keys, len(h.bank.remotes))
	}
}

func TestEngine_QRArrivesLater(t *testing.T) {
	h := newHarness(t)
	h.bank.noQR = true
	done := make(chan plugin.Payment)
	go func() {
		p, _, err := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "1", Amount: 100})
		if err != nil {
			t.Error(err)
		}
		done <- p
	}()
	h.clock.WaitForTimers(t, 2) // Start's patience and the runner's QR poll
	if p, _ := h.engine.Active(); p.State != plugin.StateCreating || p.PayMasterID == "" {
		t.Fatalf("before the QR: %+v", p)
	}
	h.bank.mu.Lock()
	h.bank.noQR = false
	h.bank.mu.Unlock()
	h.clock.Advance(500 * time.Millisecond)
	p := <-done
	if p.State != plugin.StateAwaitingPayment || p.QRPayload == "" {
		t.Fatalf("Start answered %s without waiting for the QR", p.State)
	}
}

func TestEngine_StartAnswersCreatingWhenQRIsLate(t *testing.T) {
	h := newHarness(t)
	h.bank.noQR = true
	done := make(chan plugin.Payment)
	go func() {
		p, _, _ := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "1", Amount: 100})
		done <- p
	}()
	for i := 0; i < 10; i++ { // 10 QR polls of 500ms: Start gives up at 5s
		h.clock.WaitForTimers(t, 2)
		h.clock.Advance(500 * time.Millisecond)
	}
	p := <-done
	if p.State != plugin.StateCreating {
		t.Fatalf("%s", p.State)
	}
}

func TestEngine_StickerMode(t *testing.T) {
	h := newHarness(t, func(s *plugin.Settings) { s.Mode = plugin.ModeSticker })
	p := h.start("1", 100)
	if p.State != plugin.StateAwaitingPayment || p.Message != plugin.TextScanSticker || p.QRPayload != "" {
		t.Fatalf("%+v", p)
	}
}

func TestEngine_MixedNeedsTemplate(t *testing.T) {
	h := newHarness(t)
	_, _, err := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "1", Amount: 100, Mixed: true})
	if plugin.ErrorReason(err) != "mixed_not_enabled" {
		t.Fatalf("%v", err)
	}
	h2 := newHarness(t, func(s *plugin.Settings) { s.MixedAllowed = true; s.Mode = plugin.ModeSticker })
	p, _, err := h2.engine.Start(context.Background(), plugin.StartRequest{CheckID: "1", Amount: 100, Mixed: true})
	if err != nil || !p.Mixed || p.Mode != plugin.ModeScreen || p.QRPayload == "" {
		t.Fatalf("mixed: %v %+v", err, p)
	}
}

func TestEngine_LifetimeEndsNeedsAttention(t *testing.T) {
	h := newHarness(t)
	p := h.start("1", 100)
	h.bank.mu.Lock()
	h.bank.getErr = &plugin.Error{Code: plugin.EUnavailable, Message: "timeout"}
	h.bank.mu.Unlock()
	got := h.until(p.ID, plugin.StateNeedsAttention, 3*time.Second, 200)
	if got.Reason != plugin.ReasonLifetimeEnded {
		t.Fatalf("reason %q", got.Reason)
	}
}

func TestEngine_JournalFailureRefusesStart(t *testing.T) {
	h := newHarness(t)
	h.journal.SetFail(errors.New("disk full"))
	_, _, err := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "1", Amount: 100})
	if plugin.ErrorCode(err) != plugin.EStorage {
		t.Fatalf("%v", err)
	}
	if c, _ := h.bank.counts(); c != 0 {
		t.Fatal("PayMaster called although the journal could not record the attempt")
	}
}

func TestEngine_RestartResumesWithoutNewPayment(t *testing.T) {
	h := newHarness(t)
	p := h.start("1", 100)
	h.engine.Close()
	h.bank.set(p.PayMasterID, plugin.RemoteSettled, "Success", 0)

	e2, err := plugin.NewEngine(h.bank.gateway(), h.journal, h.clock, h.engine.Settings())
	if err != nil {
		t.Fatal(err)
	}
	if err := e2.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	got, _ := e2.Get(context.Background(), p.ID)
	if got.State != plugin.StatePaid {
		t.Fatalf("after restart: %s", got.State)
	}
	if c, _ := h.bank.counts(); c != 1 {
		t.Fatalf("%d creates", c)
	}
}

func TestEngine_RestartLongAfterLifetime(t *testing.T) {
	t.Run("never created", func(t *testing.T) {
		h := newHarness(t)
		h.bank.createErr = &plugin.Error{Code: plugin.EUnavailable, Message: "connection refused"}
		p, _, _ := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "1", Amount: 100})
		h.engine.Close()
		h.clock.Advance(24 * time.Hour)
		e2, _ := plugin.NewEngine(h.bank.gateway(), h.journal, h.clock, h.engine.Settings())
		e2.Open(context.Background())
		defer e2.Close()
		got, _ := e2.Get(context.Background(), p.ID)
		if got.State != plugin.StateNotPaid {
			t.Fatalf("a payment PayMaster never had: %s", got.State)
		}
		if c, _ := h.bank.counts(); c != 1 {
			t.Fatalf("%d creates: an expired payment must not be created at restart", c)
		}
	})
	t.Run("created, id lost, paid", func(t *testing.T) {
		h := newHarness(t)
		h.bank.createErr = &plugin.Error{Code: plugin.EUnavailable, Message: "answer lost"}
		p, _, _ := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "1", Amount: 100})
		h.engine.Close()
		// The create did reach PayMaster and the shopper paid.
		h.bank.mu.Lock()
		h.bank.createErr = nil
		h.bank.mu.Unlock()
		r, _ := h.bank.gateway().CreatePayment(context.Background(), plugin.CreateRequest{OrderNo: p.OrderNo, Amount: 100, IdempotencyKey: "other"})
		h.bank.set(r.ID, plugin.RemoteSettled, "Success", 0)
		h.clock.Advance(24 * time.Hour)
		e2, _ := plugin.NewEngine(h.bank.gateway(), h.journal, h.clock, h.engine.Settings())
		e2.Open(context.Background())
		defer e2.Close()
		got, _ := e2.Get(context.Background(), p.ID)
		if got.State != plugin.StatePaid || got.PayMasterID != r.ID {
			t.Fatalf("%s %q", got.State, got.PayMasterID)
		}
	})
}

// A technician resolves a payment while its runner still polls in the
// background: the runner takes the journal's word and never overwrites it.
func TestEngine_ResolvedOutsideTheFlow(t *testing.T) {
	h := newHarness(t)
	p := h.start("1", 100)
	h.bank.mu.Lock()
	h.bank.cancelErr = &plugin.Error{Code: plugin.ERejected, Reason: "invalid_operation", Message: "refused"}
	h.bank.mu.Unlock()
	h.engine.Cancel(context.Background(), p.ID)
	h.until(p.ID, plugin.StateNeedsAttention, 3*time.Second, 2)
	h.journal.Resolve(p.ID, plugin.StatePaid)
	h.bank.set(p.PayMasterID, plugin.RemoteCancelled, "CancelledByUser", 0) // PayMaster's later word differs
	got := h.until(p.ID, plugin.StatePaid, 3*time.Second, 3)
	if got.Reason != plugin.ReasonManual {
		t.Fatalf("the manual resolution was overwritten: %+v", got)
	}
}

// TestEngine_ConflictNamesWhatChanged: asking again for the active check
// with only mixed changed says so, rather than quoting the same amount
// twice.
func TestEngine_ConflictNamesWhatChanged(t *testing.T) {
	h := newHarness(t, func(s *plugin.Settings) { s.MixedAllowed = true })
	h.start("A", 100)
	_, _, err := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "A", Amount: 100, Mixed: true})
	if plugin.ErrorReason(err) != "check_in_progress" || !strings.Contains(err.Error(), "mixed = false") ||
		!strings.Contains(err.Error(), "mixed = true") {
		t.Fatalf("only mixed changed: %v", err)
	}
	_, _, err = h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "A", Amount: 200})
	if !strings.Contains(err.Error(), "1,00 ₽") || !strings.Contains(err.Error(), "2,00 ₽") || strings.Contains(err.Error(), "mixed") {
		t.Fatalf("only the amount changed: %v", err)
	}
}

// TestEngine_SubscriptionEndsWhenNothingMoreCanCome: a subscription ends
// (its channel closed, after the last change) once the engine stops
// following the payment: a needs_attention payment whose lifetime ended
// changes only by a person's hand in the back office, which no subscriber
// hears of. Subscribing to such a payment gives it once and ends. Until
// then a subscription on a needs_attention payment stays open: PayMaster
// may still settle it (found by a red team: the till's streams on such a
// payment never ended by themselves).
func TestEngine_SubscriptionEndsWhenNothingMoreCanCome(t *testing.T) {
	h := newHarness(t)
	p := h.start("1", 100)
	updates, stop := h.engine.Subscribe(p.ID)
	defer stop()
	h.bank.mu.Lock()
	h.bank.getErr = &plugin.Error{Code: plugin.EUnavailable, Message: "timeout"}
	h.bank.mu.Unlock()
	h.until(p.ID, plugin.StateNeedsAttention, 3*time.Second, 200)
	last := drain(t, updates)
	if last.State != plugin.StateNeedsAttention {
		t.Fatalf("the last change before the end: %q, want needs_attention", last.State)
	}
	again, stop2 := h.engine.Subscribe(p.ID)
	defer stop2()
	if got := drain(t, again); got.State != plugin.StateNeedsAttention || got.ID != p.ID {
		t.Fatalf("a subscription on a payment no longer followed: %+v", got)
	}
}

// drain reads a subscription to its end and returns its last payment; it
// fails the test if the subscription does not end within 5 s of the wall
// clock (the runner ends without any step of the test's clock).
func drain(t *testing.T, ch <-chan plugin.Payment) plugin.Payment {
	t.Helper()
	var last plugin.Payment
	limit := time.NewTimer(5 * time.Second)
	defer limit.Stop()
	for {
		select {
		case p, ok := <-ch:
			if !ok {
				return last
			}
			last = p
		case <-limit.C:
			t.Fatalf("the subscription did not end; last %q", last.State)
		}
	}
}
