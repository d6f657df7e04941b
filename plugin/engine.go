package plugin

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// Screen is told about every committed change of every payment, in order.
// Show must not block: a screen that cannot keep up drops stale states.
type Screen interface {
	Show(p Payment)
}

// Engine runs the payment flow of one kiosk: one active payment at a time,
// every change written to the Journal before anybody hears of it.
type Engine struct {
	Gateway Gateway
	Journal Journal
	Clock   Clock
	Screen  Screen       // optional
	Printer Printer      // mode 0; optional
	Logger  *slog.Logger // optional
	// Observer, if set, hears of every change the engine committed to the
	// journal, in order (metrics). It must not block.
	Observer Observer
	NewID    func() string
	NewKey   func() string // idempotency keys

	mu       sync.Mutex
	settings Settings
	ready    bool
	closed   bool
	active   *runner
	runners  map[string]*runner
	subs     map[string]map[chan Payment]struct{}
	ctx      context.Context
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// NewEngine returns an engine with the given parts and settings. Call Open
// before Start.
func NewEngine(gw Gateway, j Journal, clock Clock, s Settings) (*Engine, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if clock == nil {
		clock = RealClock{}
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Engine{
		Gateway: gw, Journal: j, Clock: clock, settings: s,
		runners: map[string]*runner{}, subs: map[string]map[chan Payment]struct{}{},
		ctx: ctx, stop: stop,
	}, nil
}

func (e *Engine) log() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

// Settings returns the settings the next payment will use.
func (e *Engine) Settings() Settings {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.settings
}

// SetSettings validates s and makes it the settings of the next payment.
// A payment in progress keeps the settings it started with.
func (e *Engine) SetSettings(s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	e.mu.Lock()
	e.settings = s
	e.mu.Unlock()
	return nil
}

// Ready reports whether Open has reconciled the journal.
func (e *Engine) Ready() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ready
}

// Open reconciles every unfinished journal row with PayMaster, one step
// each, then accepts new payments. A payment still in progress resumes;
// one PayMaster could not be asked about keeps being retried in the
// background.
func (e *Engine) Open(ctx context.Context) error {
	rows, err := e.Journal.Unfinished(ctx)
	if err != nil {
		return fmt.Errorf("open engine: read unfinished payments: %w", err)
	}
	for _, p := range rows {
		r := e.newRunner(*p, e.Settings(), true)
		r.step(WithPayment(ctx, p.ID, p.CheckID))
		e.mu.Lock()
		e.runners[p.ID] = r
		if r.snapshot().State.Active() {
			e.active = r // the newest active one holds the kiosk
		}
		e.mu.Unlock()
		e.launch(r)
	}
	e.mu.Lock()
	e.ready = true
	for id := range e.subs {
		if e.runners[id] == nil {
			e.endSubsLocked(id) // subscribed while the journal was read: nothing follows
		}
	}
	e.mu.Unlock()
	e.log().Info("engine ready", "reconciled", len(rows))
	return nil
}

// Close stops every runner. Payments in progress stay in the journal as
// they are and resume at the next Open.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.stop()
	e.wg.Wait()
	return nil
}

func (e *Engine) launch(r *runner) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		r.run(e.ctx)
		e.mu.Lock()
		if e.runners[r.id] == r {
			delete(e.runners, r.id)
		}
		if e.active == r {
			e.active = nil
		}
		if e.runners[r.id] == nil {
			e.endSubsLocked(r.id) // its last change is in their mailboxes
		}
		e.mu.Unlock()
	}()
}

// Start begins a payment for a check, or returns the active one for the
// same check. created is false when an existing payment is returned.
func (e *Engine) Start(ctx context.Context, req StartRequest) (p Payment, created bool, err error) {
	if err := req.Validate(); err != nil {
		return Payment{}, false, err
	}
	e.mu.Lock()
	// The journal write must not be cut off when the till hangs up.
	r, existing, err := e.startLocked(context.WithoutCancel(ctx), req)
	e.mu.Unlock()
	switch {
	case err != nil:
		return Payment{}, false, err
	case existing != nil:
		existing.Decorate()
		return *existing, false, nil
	}
	updates, stop := e.Subscribe(r.id)
	defer stop()
	e.publish(r.snapshot())
	e.launch(r)
	// Wait a little for the QR so that the till's answer usually carries it.
	t := e.Clock.NewTimer(r.settings.StartWait)
	defer t.Stop()
	for {
		select {
		case p, ok := <-updates:
			if !ok {
				return r.snapshot(), true, nil // the runner ended already
			}
			if p.State != StateCreating {
				return p, true, nil
			}
		case <-t.Chan():
			return r.snapshot(), true, nil
		case <-ctx.Done():
			return r.snapshot(), true, nil
		}
	}
}

func (e *Engine) startLocked(ctx context.Context, req StartRequest) (*runner, *Payment, error) {
	switch {
	case e.closed:
		return nil, nil, Errorf(ENotReady, "sbpd is shutting down")
	case !e.ready:
		return nil, nil, &Error{Code: ENotReady, Reason: "not_ready", Message: "sbpd is still reconciling unfinished payments with PayMaster; try again in a moment"}
	}
	// The same start again is answered with the payment that exists before
	// the settings are asked: a till that lost the answer must find it, or
	// learn that the check is paid, after sbp.enabled or sbp.mixed_payment
	// changed too. So is the check's own 409: the settings' refusal
	// (sbp_disabled) tells the till to take the money another way, which
	// is wrong for a check whose SBP payment is on screen, paid or may yet
	// be paid. Only a start for a check with nothing of its own in the way
	// is refused by the settings.
	if e.active != nil {
		a := e.active.snapshot()
		switch {
		case a.CheckID == req.CheckID && a.Amount == req.Amount && a.Mixed == req.Mixed:
			return nil, &a, nil
		case a.CheckID == req.CheckID:
			return nil, nil, activeConflict(a, req)
		}
		if err := e.settingsRefuse(req); err != nil {
			return nil, nil, err
		}
		return nil, nil, activeConflict(a, req)
	}
	prior, err := e.Journal.ByCheck(ctx, req.CheckID)
	if err != nil {
		return nil, nil, &Error{Code: EStorage, Reason: "journal_unavailable", Message: "the payment journal cannot be read", Err: err}
	}
	paid, refused := priorVerdict(prior, req)
	switch {
	case paid != nil:
		return nil, paid, nil // already paid: never charge a check twice
	case refused != nil:
		return nil, nil, refused
	}
	if err := e.settingsRefuse(req); err != nil {
		return nil, nil, err
	}
	return e.createLocked(ctx, req, len(prior))
}

// settingsRefuse refuses a start that would make a new payment when the
// settings do not allow it.
func (e *Engine) settingsRefuse(req StartRequest) error {
	switch {
	case !e.settings.Enabled:
		return &Error{Code: EDisabled, Reason: "sbp_disabled", Message: "SBP payments are turned off for this kiosk (sbp.enabled = false)"}
	case req.Mixed && !e.settings.MixedAllowed:
		return &Error{Code: EInvalid, Reason: "mixed_not_enabled", Message: "mixed payment is not enabled in the cash-desk template (sbp.mixed_payment = false)"}
	}
	return nil
}

// activeConflict refuses a start that is not the active payment's repeat.
func activeConflict(a Payment, req StartRequest) error {
	if a.CheckID != req.CheckID {
		return &Error{Code: EConflict, Reason: "another_payment_active",
			Message: fmt.Sprintf("payment %s for check %s is in progress: finish or cancel it first", a.ID, a.CheckID)}
	}
	return &Error{Code: EConflict, Reason: "check_in_progress",
		Message: fmt.Sprintf("payment %s for check %s is in progress for %s: cancel it before asking for %s",
			a.ID, a.CheckID, describeAsk(a.Amount, a.Mixed, req.Mixed != a.Mixed), describeAsk(req.Amount, req.Mixed, req.Mixed != a.Mixed))}
}

// priorVerdict reads a check's earlier payments, oldest first, and returns
// the first that decides the start: a payment paid for the same amount
// (answered as it is), or why no new payment may be made for the check.
func priorVerdict(prior []*Payment, req StartRequest) (paid *Payment, refused error) {
	for _, old := range prior {
		switch {
		case old.State == StatePaid && old.Amount == req.Amount:
			return old, nil
		case old.State == StatePaid:
			return nil, &Error{Code: EConflict, Reason: "check_already_paid",
				Message: fmt.Sprintf("check %s is already paid by SBP (payment %s, %s ₽)", req.CheckID, old.ID, FormatRoubles(old.Amount))}
		case old.State == StateNeedsAttention || !old.State.Final():
			return nil, &Error{Code: EConflict, Reason: "check_needs_attention",
				Message: fmt.Sprintf("an earlier payment for check %s (%s) has no final status yet and needs an administrator's decision", req.CheckID, old.ID)}
		}
	}
	return nil, nil
}

// createLocked records a new payment for req after the check's attempts
// earlier ones, and makes its runner the kiosk's active one.
func (e *Engine) createLocked(ctx context.Context, req StartRequest, attempts int) (*runner, *Payment, error) {
	s := e.settings
	now := e.Clock.Now().UTC()
	mode := s.Mode
	if req.Mixed {
		mode = ModeScreen // the remainder's QR is always shown on screen
	}
	p := Payment{
		ID:             e.NewID(),
		CheckID:        req.CheckID,
		OrderNo:        OrderNo(s.TillID, req.CheckID, attempts+1),
		Amount:         req.Amount,
		Mixed:          req.Mixed,
		Mode:           mode,
		State:          StateCreating,
		IdempotencyKey: e.NewKey(),
		ExpiresAt:      now.Add(s.InvoiceTTL),
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	ev := Event{PaymentID: p.ID, At: now, Kind: EvCreated, State: p.State, Actor: "till",
		Detail: fmt.Sprintf("check %s, %s ₽, mode %d, mixed %t, order %s", p.CheckID, FormatRoubles(p.Amount), p.Mode, p.Mixed, p.OrderNo)}
	if err := e.Journal.Create(ctx, &p, ev); err != nil {
		return nil, nil, &Error{Code: EStorage, Reason: "journal_unavailable", Message: "the payment journal cannot record a new payment; no payment was started", Err: err}
	}
	e.observe(ev, p)
	r := e.newRunner(p, s, false)
	e.runners[p.ID] = r
	e.active = r
	e.log().Info("payment started", "payment_id", p.ID, "check_id", p.CheckID, "amount", p.Amount, "mode", int(p.Mode))
	return r, nil, nil
}

// Get returns a payment: the live one if it is running, else the journal's.
func (e *Engine) Get(ctx context.Context, id string) (Payment, error) {
	e.mu.Lock()
	r := e.runners[id]
	e.mu.Unlock()
	if r != nil {
		return r.snapshot(), nil
	}
	p, err := e.Journal.Get(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	p.Decorate()
	return *p, nil
}

// Retry is the shopper's Повторить: keep watching the same payment.
func (e *Engine) Retry(ctx context.Context, id string) (Payment, error) {
	return e.command(ctx, id, ActionRetry)
}

// Cancel is the shopper's Отменить: send one cancel, then watch for the
// final status.
func (e *Engine) Cancel(ctx context.Context, id string) (Payment, error) {
	return e.command(ctx, id, ActionCancel)
}

func (e *Engine) command(ctx context.Context, id, action string) (Payment, error) {
	e.mu.Lock()
	r := e.runners[id]
	e.mu.Unlock()
	if r == nil {
		return e.commandFinished(ctx, id, action)
	}
	c := command{action: action, reply: make(chan commandResult, 1)}
	select {
	case r.cmds <- c:
	case <-r.done:
		return e.commandFinished(ctx, id, action)
	case <-ctx.Done():
		return Payment{}, ctx.Err()
	}
	select {
	case res := <-c.reply:
		return res.p, res.err
	case <-ctx.Done():
		return Payment{}, ctx.Err()
	}
}

// commandFinished answers a shopper's choice on a payment no runner holds:
// pressing Отменить again on a payment already cancelled is answered with
// the payment; anything else is a conflict.
func (e *Engine) commandFinished(ctx context.Context, id, action string) (Payment, error) {
	p, err := e.Get(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	if action == ActionCancel && p.CancelRequested {
		return p, nil
	}
	return p, &Error{Code: EConflict, Reason: RefusedInvalidState,
		Message: fmt.Sprintf("cannot %s payment %s: it is %s", action, id, p.State)}
}

// Subscribe delivers the payment on every committed change, starting with
// its current state. The channel is closed, after the last change, when
// the engine stops following the payment: it is final, or it needs
// attention and its lifetime is over, so that only a person (in the back
// office) or the next start's reconciliation changes it, neither through
// a subscription; a payment the engine
// no longer follows is delivered once and the channel closed. stop ends
// the subscription and closes the channel if it is still open.
func (e *Engine) Subscribe(id string) (<-chan Payment, func()) {
	ch := make(chan Payment, 1)
	e.mu.Lock()
	if e.subs[id] == nil {
		e.subs[id] = map[chan Payment]struct{}{}
	}
	e.subs[id][ch] = struct{}{}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			e.mu.Lock()
			e.dropSubLocked(id, ch)
			e.mu.Unlock()
		})
	}
	if r := e.runners[id]; r != nil {
		// The state now, offered under the lock publish takes: no newer
		// state can be published between the two and then overwritten.
		offer(ch, r.snapshot())
		e.mu.Unlock()
		return ch, stop
	}
	e.mu.Unlock()
	p, err := e.Get(context.Background(), id) // the journal, outside the lock
	e.mu.Lock()
	if _, open := e.subs[id][ch]; open {
		if err == nil {
			offer(ch, p)
		}
		if e.ready && e.runners[id] == nil {
			e.dropSubLocked(id, ch) // nobody follows it: nothing more will come
		}
	}
	e.mu.Unlock()
	return ch, stop
}

// dropSubLocked ends one subscription if it is still open. e.mu is held.
func (e *Engine) dropSubLocked(id string, ch chan Payment) {
	if _, open := e.subs[id][ch]; !open {
		return
	}
	delete(e.subs[id], ch)
	if len(e.subs[id]) == 0 {
		delete(e.subs, id)
	}
	close(ch)
}

// endSubsLocked ends every subscription to payment id; what they hold
// stays to be read. e.mu is held.
func (e *Engine) endSubsLocked(id string) {
	for ch := range e.subs[id] {
		close(ch)
	}
	delete(e.subs, id)
}

// offer puts p into a one-slot channel, replacing a stale value.
func offer(ch chan Payment, p Payment) {
	for {
		select {
		case ch <- p:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

// Observer hears of the journal's changes as the engine commits them.
type Observer interface {
	// Observe is called with each event after it and the payment as it
	// now is were committed.
	Observe(ev Event, p Payment)
}

func (e *Engine) observe(ev Event, p Payment) {
	if e.Observer != nil {
		e.Observer.Observe(ev, p)
	}
}

// publish tells the screen and subscribers about a committed change.
func (e *Engine) publish(p Payment) {
	p.Decorate()
	if e.Screen != nil {
		e.Screen.Show(p)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for ch := range e.subs[p.ID] {
		offer(ch, p)
	}
	if e.active != nil && e.active.id == p.ID && !p.State.Active() {
		e.active = nil // the kiosk is free for the next check
	}
}

// Active returns the payment holding the kiosk, if any.
func (e *Engine) Active() (Payment, bool) {
	e.mu.Lock()
	r := e.active
	e.mu.Unlock()
	if r == nil {
		return Payment{}, false
	}
	return r.snapshot(), true
}

// describeAsk names what a start request asks for in a conflict message:
// the amount, and whether it is mixed when that is what differs.
func describeAsk(amount int64, mixed, sayMixed bool) string {
	s := FormatRoubles(amount) + " ₽"
	if sayMixed {
		s += fmt.Sprintf(" with mixed = %t", mixed)
	}
	return s
}
