package plugin

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// A runner drives one payment from creation to a final state. It is the
// only writer of its payment: the till's Retry and Cancel reach it as
// commands, so every change is applied in one order and committed to the
// journal before it is published.
type runner struct {
	e        *Engine
	id       string
	settings Settings
	cmds     chan command
	done     chan struct{}

	mu sync.Mutex
	p  Payment // last committed state

	// Loop state, touched only by the runner's goroutine (or by Open
	// before the goroutine starts).
	recovered      bool
	nextPoll       time.Time
	statusDeadline time.Time
	createDue      bool
	cancelDue      bool
	log            *slog.Logger // carries payment_id and check_id
	unsaved        *Remote      // created at PayMaster but the id is not yet on disk
	cancelChecked  bool         // a recovered canceling payment was polled before its cancel is re-sent
	printDue       bool         // mode 0: the QR is stored, the slip is not printed yet
	afterPrint     *error       // mode 0: printed (or failed), but the outcome is not yet on disk
	lookups        int          // lookups of an unfound payment so far (see unfound)
}

// CreateKeyUsed is the error reason of a Gateway's CreatePayment when
// PayMaster refused the idempotency key as already used, so it holds a
// payment made with the key, and the payment could not be found by its
// order number. The payment then needs a person; it is looked up in the
// background, and never created anew or concluded "never created".
const CreateKeyUsed = "idempotency_key_violation"

// maxLookupWait bounds the wait between lookups of an unfound payment,
// which doubles from the poll interval.
const maxLookupWait = time.Minute

// unfound reports a payment that PayMaster holds (it refused the create's
// key as used) but that could not be found: the only needs_attention
// payment with a technical reason and no PayMaster id.
func unfound(p Payment) bool {
	return p.State == StateNeedsAttention && p.Reason == ReasonTechnical && p.PayMasterID == ""
}

type command struct {
	action string
	reply  chan commandResult
}

type commandResult struct {
	p   Payment
	err error
}

func (e *Engine) newRunner(p Payment, s Settings, recovered bool) *runner {
	now := e.Clock.Now()
	r := &runner{
		e: e, id: p.ID, settings: s, p: p, recovered: recovered,
		log:  e.log().With("payment_id", p.ID, "check_id", p.CheckID),
		cmds: make(chan command), done: make(chan struct{}),
		nextPoll:       now,
		statusDeadline: now.Add(s.StatusTimeout),
		createDue:      p.PayMasterID == "",
		cancelDue:      p.State == StateCanceling && !p.CancelSent,
		// A restart between storing the QR and printing it prints it now.
		printDue: p.Mode == ModePrint && p.QRPayload != "" && (p.State == StateCreating || p.State == StateStatusUnknown),
	}
	return r
}

func (r *runner) snapshot() Payment {
	r.mu.Lock()
	p := r.p
	r.mu.Unlock()
	p.Decorate()
	return p
}

// lifetimeEnd is when the runner gives up waiting for PayMaster's verdict.
func (r *runner) lifetimeEnd() time.Time {
	return r.p.ExpiresAt.Add(r.settings.ExpiryGrace)
}

func (r *runner) run(ctx context.Context) {
	defer close(r.done)
	ctx = WithPayment(ctx, r.id, r.p.CheckID) // the drivers' log lines carry the ids too
	for {
		wait, more := r.step(ctx)
		if !more {
			return
		}
		t := r.e.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case c := <-r.cmds:
			t.Stop()
			p, err := r.handle(ctx, c.action)
			c.reply <- commandResult{p, err}
		case <-t.Chan():
		}
	}
}

// step does whatever is due now and says how long to sleep before the next
// step, or that the runner is done.
func (r *runner) step(ctx context.Context) (time.Duration, bool) {
	now := r.e.Clock.Now()
	p := r.p
	if p.State.Final() {
		return 0, false
	}
	if now.After(r.lifetimeEnd()) || now.Equal(r.lifetimeEnd()) {
		// One last look before giving up: the status of a known payment,
		// or, for one whose id never reached the journal, a lookup by its
		// order number (create() only looks up once the lifetime is over).
		if p.PayMasterID == "" {
			r.recovered = true
			r.create(ctx)
		}
		if r.p.PayMasterID != "" && !r.p.State.Final() {
			r.poll(ctx)
		}
		if r.p.State.Final() {
			return 0, false
		}
		if r.p.State != StateNeedsAttention {
			r.attention(ctx, ReasonLifetimeEnded, "the payment's lifetime ended with no final status from PayMaster")
		}
		return 0, false
	}

	switch {
	case r.unsaved != nil:
		r.saveRemote(ctx, *r.unsaved)
	case r.printDue || r.afterPrint != nil:
		r.printSlip(ctx)
	case p.PayMasterID == "" && (r.createDue || p.State == StateNeedsAttention) && !now.Before(r.nextPoll):
		r.create(ctx)
	case r.cancelDue && r.recovered && !r.cancelChecked:
		// After a restart we cannot know whether the cancel left before
		// the crash: ask PayMaster first, and send it only if the payment
		// is still open (at most one cancel reaches a cancelled payment).
		r.cancelChecked = true
		r.poll(ctx)
		r.nextPoll = now
	case r.cancelDue:
		r.cancel(ctx)
	case !now.Before(r.nextPoll):
		r.poll(ctx)
	}
	if r.p.State.Final() || r.settled() {
		return 0, false
	}

	// The dialog: no final status within the status timeout.
	now = r.e.Clock.Now()
	if (r.p.State == StateCreating || r.p.State == StateAwaitingPayment) && !now.Before(r.statusDeadline) {
		r.commit(ctx, func(p *Payment) { p.State = StateStatusUnknown },
			Event{Kind: EvStatusTimeout, Detail: fmt.Sprintf("no final status within %s", r.settings.StatusTimeout)})
	}

	next := r.nextPoll
	if r.p.State == StateCreating || r.p.State == StateAwaitingPayment {
		next = earliest(next, r.statusDeadline)
	}
	next = earliest(next, r.lifetimeEnd())
	wait := next.Sub(now)
	if wait < 0 || r.unsaved != nil || r.cancelDue {
		wait = 0
	}
	if r.unsaved != nil || r.afterPrint != nil {
		wait = r.settings.QRPollInterval // the journal failed; try again soon
	}
	return wait, true
}

// settled reports a payment that needs a person although PayMaster's status
// is final: polling cannot change anything any more.
func (r *runner) settled() bool {
	return r.p.State == StateNeedsAttention && RemoteStatus(r.p.PayMasterStatus).Final()
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// create asks PayMaster for the payment with the key stored in the journal.
// A recovered payment whose lifetime is over is only looked up, never
// created anew.
func (r *runner) create(ctx context.Context) {
	p := r.p
	now := r.e.Clock.Now()
	r.nextPoll = now.Add(r.settings.PollInterval)
	var remote Remote
	var err error
	if r.recovered && !now.Before(p.ExpiresAt) || p.State == StateNeedsAttention {
		var ok bool
		remote, ok, err = r.e.Gateway.FindPayment(ctx, p.OrderNo, p.CreatedAt)
		if err == nil && !ok && unfound(p) {
			// PayMaster has it: keep looking, less and less often.
			r.lookups++
			wait := r.settings.PollInterval
			for i := 1; i < r.lookups && wait < maxLookupWait; i++ {
				wait *= 2
			}
			r.nextPoll = now.Add(min(wait, max(maxLookupWait, r.settings.PollInterval)))
			r.log.Warn("payment PayMaster holds is still not found", "order_no", p.OrderNo, "lookups", r.lookups)
			return
		}
		if err == nil && !ok {
			reason := ReasonTechnical
			if p.CancelRequested {
				reason = ReasonCancelled
			}
			r.finish(ctx, Remote{}, reason, EvReconciled, "PayMaster has no payment with this order number: it was never created")
			return
		}
	} else {
		remote, err = r.e.Gateway.CreatePayment(ctx, CreateRequest{
			OrderNo:        p.OrderNo,
			Amount:         p.Amount,
			Description:    fmt.Sprintf("Касса самообслуживания %s, чек %s", r.settings.TillID, p.CheckID),
			Expires:        p.ExpiresAt,
			StickerID:      r.stickerID(),
			IdempotencyKey: p.IdempotencyKey,
			Params:         map[string]string{"till": r.settings.TillID, "check": p.CheckID, "sbpd_id": p.ID},
		})
	}
	if err != nil {
		r.createFailed(ctx, err)
		return
	}
	if remote.OrderNo != "" && remote.OrderNo != p.OrderNo {
		r.createFailed(ctx, &Error{Code: EUnavailable, Reason: "order_mismatch",
			Message: fmt.Sprintf("PayMaster answered with payment %s for order %s, not %s", remote.ID, remote.OrderNo, p.OrderNo)})
		return
	}
	r.createDue = false
	r.saveRemote(ctx, remote)
}

func (r *runner) stickerID() string {
	if r.p.Mode == ModeSticker {
		return r.settings.StickerID
	}
	return ""
}

func (r *runner) createFailed(ctx context.Context, err error) {
	r.log.Warn("create payment failed", "err", err)
	if ErrorCode(err) == EUnavailable && ErrorReason(err) == CreateKeyUsed && r.p.State != StateNeedsAttention {
		// PayMaster has a payment made with the key, and the list does not
		// show it: sending the create again cannot help, and concluding
		// "not paid" could be wrong. A person decides; the lookup goes on.
		r.createDue = false
		r.attention(ctx, ReasonTechnical, fmt.Sprintf("PayMaster refused the create's idempotency key as used, so it holds a payment made with it, "+
			"but the payment with order %s was not found in its list; it is looked up in the background: %v", r.p.OrderNo, err))
		return
	}
	if ErrorCode(err) == ERejected {
		// PayMaster refused: nothing was created, nothing can be paid.
		r.commit(ctx, func(p *Payment) {
			p.State, p.Reason, p.Offline = StateNotPaid, ReasonTechnical, false
			p.Error = &APIError{Code: ErrorReason(err), Message: TextTechnical}
		}, Event{Kind: EvCreateFailed, Detail: err.Error()})
		return
	}
	// Outcome unknown: show the dialog; the same request (same key) is
	// sent again on Retry and in the background.
	r.createDue = true
	if r.p.State == StateCreating || !r.p.Offline {
		r.commit(ctx, func(p *Payment) {
			if p.State == StateCreating {
				p.State = StateStatusUnknown
			}
			p.Offline = true
		}, Event{Kind: EvCreateFailed, Detail: err.Error()})
	}
}

// saveRemote stores PayMaster's id (and the QR link, if any) before anybody
// can see the QR.
func (r *runner) saveRemote(ctx context.Context, remote Remote) {
	r.unsaved = &remote
	mode := r.p.Mode
	ready := remote.QRPayload != "" || mode == ModeSticker
	ok := r.commit(ctx, func(p *Payment) {
		p.PayMasterID = remote.ID
		p.PayMasterStatus = string(remote.Status)
		p.Offline = false
		if ready && (p.State == StateCreating || p.State == StateStatusUnknown) {
			p.QRPayload = remote.QRPayload
			if p.Mode != ModePrint {
				p.State = StateAwaitingPayment
			}
		}
	}, Event{Kind: EvRemoteCreated, Detail: fmt.Sprintf("PayMaster payment %s, status %s", remote.ID, remote.Status)})
	if !ok {
		return
	}
	r.unsaved = nil
	now := r.e.Clock.Now()
	if ready {
		r.statusDeadline = now.Add(r.settings.StatusTimeout)
		r.nextPoll = now.Add(r.settings.PollInterval)
	} else {
		r.nextPoll = now.Add(r.settings.QRPollInterval)
	}
	if remote.Status.Final() {
		r.conclude(ctx, remote)
		return
	}
	if ready && mode == ModePrint {
		r.printDue = true
		r.printSlip(ctx)
	}
}

// printSlip prints the QR on the receipt tape (mode 0). The payment waits
// for the shopper only once the slip is written; a printer that cannot
// print sends the payment to the screen (mode 1), and the journal says why.
func (r *runner) printSlip(ctx context.Context) {
	if r.afterPrint == nil {
		r.printDue = false
		p := r.p
		var err error = &Error{Code: EUnavailable, Reason: PrinterPortMissing, Message: "no receipt printer is configured"}
		if r.e.Printer != nil {
			err = r.e.Printer.PrintSlip(ctx, Slip{PaymentID: p.ID, TillID: r.settings.TillID, CheckID: p.CheckID,
				OrderNo: p.OrderNo, Amount: p.Amount, QRPayload: p.QRPayload, ExpiresAt: p.ExpiresAt})
		}
		r.afterPrint = &err
	}
	err := *r.afterPrint
	change := func(p *Payment) {
		if p.State == StateCreating || p.State == StateStatusUnknown {
			p.State = StateAwaitingPayment
		}
	}
	ev := Event{Kind: EvSlipPrinted}
	if err != nil {
		r.log.Warn("receipt printer cannot print: showing the QR on screen",
			"reason", ErrorReason(err), "err", err)
		change = func(p *Payment) {
			p.Mode = ModeScreen
			if p.State == StateCreating || p.State == StateStatusUnknown {
				p.State = StateAwaitingPayment
			}
		}
		ev = Event{Kind: EvPrinterFallback, Detail: ErrorReason(err) + ": " + err.Error()}
	}
	if r.commit(ctx, change, ev) {
		r.afterPrint = nil
		r.statusDeadline = r.e.Clock.Now().Add(r.settings.StatusTimeout)
	}
}

// poll reads PayMaster's status once.
func (r *runner) poll(ctx context.Context) {
	p := r.p
	now := r.e.Clock.Now()
	r.nextPoll = now.Add(r.settings.PollInterval)
	if p.State == StateCreating && p.QRPayload == "" && p.Mode != ModeSticker {
		r.nextPoll = now.Add(r.settings.QRPollInterval)
	}
	remote, err := r.e.Gateway.GetPayment(ctx, p.PayMasterID)
	if err == nil && remote.ID != "" && remote.ID != p.PayMasterID {
		err = &Error{Code: EUnavailable, Reason: "id_mismatch", Message: fmt.Sprintf("asked for PayMaster payment %s, got %s", p.PayMasterID, remote.ID)}
	}
	if err != nil {
		r.log.Warn("poll failed", "paymaster_id", p.PayMasterID, "err", err)
		if !p.Offline {
			r.commit(ctx, func(p *Payment) { p.Offline = true }, Event{Kind: EvRemoteStatus, Detail: "no answer from PayMaster: " + err.Error()})
		}
		return
	}
	if !remote.Status.Known() {
		r.log.Warn("unknown PayMaster status, treated as pending", "status", string(remote.Status))
	}
	if remote.Status.Final() {
		r.conclude(ctx, remote)
		return
	}
	qrNew := p.QRPayload == "" && remote.QRPayload != "" && (p.State == StateCreating || p.State == StateStatusUnknown)
	if string(remote.Status) == p.PayMasterStatus && !p.Offline && !qrNew {
		return // nothing new: no journal write
	}
	kind := EvRemoteStatus
	if qrNew {
		kind = EvQRReady
		r.statusDeadline = now.Add(r.settings.StatusTimeout)
		r.nextPoll = now.Add(r.settings.PollInterval)
	}
	ok := r.commit(ctx, func(p *Payment) {
		p.PayMasterStatus = string(remote.Status)
		p.Offline = false
		if qrNew {
			p.QRPayload = remote.QRPayload
			if p.Mode != ModePrint {
				p.State = StateAwaitingPayment
			}
		}
	}, Event{Kind: kind, Detail: fmt.Sprintf("PayMaster status %s %s", remote.Status, remote.ResultCode)})
	if ok && qrNew && p.Mode == ModePrint {
		r.printDue = true
		r.printSlip(ctx)
	}
}

// conclude turns PayMaster's final status into ours.
func (r *runner) conclude(ctx context.Context, remote Remote) {
	p := r.p
	switch remote.Status {
	case RemoteSettled:
		if remote.Amount != p.Amount {
			r.commit(ctx, func(p *Payment) { p.PayMasterStatus, p.ResultCode = string(remote.Status), remote.ResultCode }, Event{Kind: EvRemoteStatus,
				Detail: fmt.Sprintf("PayMaster status %s %s", remote.Status, remote.ResultCode)})
			r.attention(ctx, ReasonAmountMismatch, fmt.Sprintf("PayMaster settled %s ₽, the check asked for %s ₽", FormatRoubles(remote.Amount), FormatRoubles(p.Amount)))
			return
		}
		r.finish(ctx, remote, ReasonNone, EvFinal, "paid")
	default:
		r.finish(ctx, remote, ReasonFor(remote, p.CancelRequested), EvFinal, fmt.Sprintf("not paid: %s %s", remote.Status, remote.ResultCode))
	}
}

// finish commits a final state.
func (r *runner) finish(ctx context.Context, remote Remote, reason Reason, kind, detail string) {
	r.commit(ctx, func(p *Payment) {
		if remote.Status != "" {
			p.PayMasterStatus = string(remote.Status)
			p.ResultCode = remote.ResultCode
		}
		p.Offline = false
		p.Reason = reason
		if remote.Status == RemoteSettled {
			p.State = StatePaid
			p.LateSettle = p.CancelRequested
		} else {
			p.State = StateNotPaid
		}
	}, Event{Kind: kind, Detail: detail})
	if r.p.State == StatePaid && r.p.LateSettle {
		r.log.Warn("payment settled after cancel was requested")
	}
}

func (r *runner) attention(ctx context.Context, reason Reason, detail string) {
	r.commit(ctx, func(p *Payment) {
		p.State = StateNeedsAttention
		p.Reason = reason
	}, Event{Kind: EvAttention, Detail: detail})
	r.log.Error("payment needs attention", "reason", string(reason), "detail", detail)
}

// cancel sends the one cancel call.
func (r *runner) cancel(ctx context.Context) {
	r.cancelDue = false
	err := r.e.Gateway.CancelPayment(ctx, r.p.PayMasterID)
	if err == nil {
		r.nextPoll = r.e.Clock.Now() // poll at once: the cancel is not the verdict
		r.commit(ctx, func(p *Payment) { p.CancelSent = true }, Event{Kind: EvCancelSent, Actor: "sbpd"})
		return
	}
	r.log.Warn("cancel failed", "err", err)
	r.commit(ctx, func(p *Payment) {}, Event{Kind: EvCancelFailed, Detail: err.Error()})
	// Read the payment back at once: it may have become final meanwhile
	// (paid a moment ago), or, when the cancel's outcome is unknown (no
	// answer, a garbled one), the cancel may have gone through. If it is
	// not final, a person decides now, and polling goes on.
	r.poll(ctx)
	if !r.p.State.Final() {
		detail := "the cancel call failed: " + ErrorMessage(err)
		if ErrorCode(err) == EUnavailable {
			detail = fmt.Sprintf("the cancel's outcome is unknown (%s) and PayMaster reports %q: %s",
				ErrorReason(err), r.p.PayMasterStatus, ErrorMessage(err))
		}
		r.attention(ctx, ReasonCancelFailed, detail)
	}
}

// handle applies the shopper's choice.
func (r *runner) handle(ctx context.Context, action string) (Payment, error) {
	p := r.p
	conflict := func() (Payment, error) {
		return r.snapshot(), &Error{Code: EConflict, Reason: RefusedInvalidState,
			Message: fmt.Sprintf("cannot %s payment %s: it is %s", action, p.ID, p.State)}
	}
	switch action {
	case ActionRetry:
		switch p.State {
		case StateCreating, StateAwaitingPayment:
			return r.snapshot(), nil // already watching
		case StateStatusUnknown:
		default:
			return conflict()
		}
		now := r.e.Clock.Now()
		r.statusDeadline = now.Add(r.settings.StatusTimeout)
		r.nextPoll = now
		next := StateAwaitingPayment
		if p.PayMasterID == "" || (p.QRPayload == "" && p.Mode != ModeSticker) {
			next = StateCreating
		}
		if !r.commit(ctx, func(p *Payment) { p.State = next }, Event{Kind: EvRetry, Actor: "shopper"}) {
			return r.snapshot(), r.storageError()
		}
		return r.snapshot(), nil
	case ActionCancel:
		switch p.State {
		case StateCanceling, StateNeedsAttention:
			if p.CancelRequested {
				return r.snapshot(), nil // exactly one cancel
			}
			if p.State == StateNeedsAttention {
				return conflict()
			}
		case StateCreating, StateAwaitingPayment, StateStatusUnknown:
		default:
			return conflict()
		}
		if p.PayMasterID == "" {
			return r.cancelUncreated(ctx)
		}
		if !r.commit(ctx, func(p *Payment) { p.State = StateCanceling; p.CancelRequested = true },
			Event{Kind: EvCancelRequested, Actor: "shopper"}) {
			return r.snapshot(), r.storageError()
		}
		r.cancelDue = true
		return r.snapshot(), nil
	}
	return r.snapshot(), Errorf(EInvalid, "unknown action %q", action)
}

// cancelUncreated cancels a payment PayMaster never confirmed creating.
// If PayMaster has it after all, it is cancelled like any other.
func (r *runner) cancelUncreated(ctx context.Context) (Payment, error) {
	remote, ok, err := r.e.Gateway.FindPayment(ctx, r.p.OrderNo, r.p.CreatedAt)
	if err != nil {
		// Nobody saw a QR, but we cannot prove nothing exists: a person decides.
		r.commit(ctx, func(p *Payment) { p.CancelRequested = true }, Event{Kind: EvCancelRequested, Actor: "shopper"})
		r.attention(ctx, ReasonCancelFailed, "cancel requested while PayMaster is unreachable; whether the payment was created is unknown: "+err.Error())
		return r.snapshot(), nil
	}
	if !ok {
		r.commit(ctx, func(p *Payment) { p.CancelRequested = true }, Event{Kind: EvCancelRequested, Actor: "shopper"})
		r.finish(ctx, Remote{}, ReasonCancelled, EvFinal, "cancelled before PayMaster created the payment")
		return r.snapshot(), nil
	}
	r.createDue = false
	r.saveRemote(ctx, remote)
	if r.p.State.Final() {
		return r.snapshot(), nil
	}
	return r.handle(ctx, ActionCancel)
}

func (r *runner) storageError() error {
	return &Error{Code: EStorage, Reason: "journal_unavailable", Message: "the payment journal cannot record the change; the payment is unchanged"}
}

// commit applies change to a copy of the payment, writes it with ev to the
// journal, and only then makes it current and publishes it. It reports
// whether the change is on disk.
func (r *runner) commit(ctx context.Context, change func(*Payment), ev Event) bool {
	next := r.p
	change(&next)
	now := r.e.Clock.Now().UTC()
	next.UpdatedAt = now
	ev.PaymentID, ev.At, ev.State = next.ID, now, next.State
	if ev.Actor == "" {
		ev.Actor = "sbpd"
	}
	if err := r.e.Journal.Update(ctx, &next, ev); err != nil {
		if ErrorReason(err) == "payment_final" {
			// Somebody (a technician, a reconciliation) settled it meanwhile:
			// take the journal's word and stop.
			if rec, gerr := r.e.Journal.Get(ctx, r.id); gerr == nil {
				r.mu.Lock()
				r.p = *rec
				r.mu.Unlock()
				r.e.publish(*rec)
				r.log.Info("payment was resolved outside the flow", "state", string(rec.State))
				return false
			}
		}
		r.log.Error("journal write failed; change not applied", "event", ev.Kind, "err", err)
		return false
	}
	r.mu.Lock()
	r.p = next
	r.mu.Unlock()
	r.e.observe(ev, next)
	r.e.publish(next)
	return true
}
