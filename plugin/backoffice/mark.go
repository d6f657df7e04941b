package backoffice

import (
	"context"
	"fmt"
	"strings"

	"github.com/sbpd/sbpd/plugin"
)

// Event kinds written by a person's or a reconciliation's decision.
const (
	EvManualPaid        = "manual_paid"
	EvManualNotPaid     = "manual_not_paid"
	EvReconciledPaid    = "reconciled_paid"
	EvReconciledNotPaid = "reconciled_not_paid"
)

// ActorReconcile is the actor of a reconciliation's decisions when no
// person is named.
const ActorReconcile = "reconcile"

// Mark is a person's decision that a payment was paid, or not paid.
type Mark struct {
	ID     string // our id, an order number or a PayMaster id (as Find)
	Paid   bool   // paid; else not paid
	Reason string // why: required
	Who    string // see Who
	// Force changes it even if PayMaster disagrees or cannot be asked; the
	// journal records that it was forced and what PayMaster said.
	Force bool
}

// Marked is what a Mark did.
type Marked struct {
	Payment *plugin.Payment // as written
	Said    string          // what PayMaster answered, in one line
	Forced  string          // why it needed forcing, or ""
}

// markSpec is what differs between marking paid and not paid.
type markSpec struct {
	verb  string // "paid" / "not paid"
	state plugin.State
	kind  string
	from  []plugin.State
	// refuse returns why PayMaster's answer forbids the change, or "".
	refuse func(a answer, p *plugin.Payment) string
}

var markPaid = markSpec{
	verb: "paid", state: plugin.StatePaid, kind: EvManualPaid,
	from: []plugin.State{plugin.StateNeedsAttention, plugin.StateNotPaid},
	refuse: func(a answer, p *plugin.Payment) string {
		switch {
		case a.found && a.remote.Status == plugin.RemoteSettled && a.remote.Amount == p.Amount:
			return ""
		case a.found && a.remote.Status == plugin.RemoteSettled:
			return fmt.Sprintf("PayMaster settled %s ₽, but the payment is for %s ₽", plugin.FormatRoubles(a.remote.Amount), plugin.FormatRoubles(p.Amount))
		}
		return "PayMaster does not say it is settled"
	},
}

var markNotPaid = markSpec{
	verb: "not paid", state: plugin.StateNotPaid, kind: EvManualNotPaid,
	from: []plugin.State{plugin.StateNeedsAttention},
	refuse: func(a answer, p *plugin.Payment) string {
		switch {
		case !a.found:
			return ""
		case a.remote.Status == plugin.RemoteSettled:
			return "the money arrived at PayMaster: use mark-paid"
		case !a.remote.Status.Final():
			return "the payment is still open at PayMaster and may yet be paid: cancel it in the PayMaster cabinet first"
		}
		return ""
	},
}

// Mark records a person's decision about a payment that needs attention
// (or, to mark it paid, one not paid); m.ID names it as for Find (an
// unknown or ambiguous reference is Find's refusal). PayMaster is asked
// first, by the stored PayMaster id or else by the order number; unless
// m.Force, the change is refused when PayMaster's answer forbids it
// (reason paymaster_disagrees) or PayMaster could not be asked (reason
// paymaster_unreachable). A payment the daemon watches, or already in
// the state, or paid, is refused whatever m.Force says.
func (s *Service) Mark(ctx context.Context, m Mark) (Marked, error) {
	spec := markNotPaid
	if m.Paid {
		spec = markPaid
	}
	reason := strings.TrimSpace(m.Reason)
	if reason == "" {
		return Marked{}, refuse(plugin.EInvalid, RReasonRequired, `say why the payment is %s, e.g. "bank confirmed by phone, ticket 4411"`, spec.verb)
	}
	if err := checkReason(reason); err != nil {
		return Marked{}, err
	}
	pm, err := s.payMaster()
	if err != nil {
		return Marked{}, err
	}
	p, err := s.Find(ctx, m.ID)
	if err != nil {
		return Marked{}, err
	}
	if err := markAllowed(spec, p); err != nil {
		return Marked{}, err
	}
	a := ask(ctx, pm, p)
	said := s.Scrub(a.describe(p))
	why := ""
	if a.err != nil {
		why = "PayMaster could not be asked"
	} else {
		why = spec.refuse(a, p)
	}
	if why != "" && !m.Force {
		return Marked{}, disagree(spec, p, a, said, why)
	}
	detail := reason + " | " + said
	if why != "" {
		detail += " | forced: " + why
	}
	got, err := s.Journal.Resolve(ctx, p.ID, []plugin.State{p.State}, func(q *plugin.Payment) {
		q.State, q.Reason, q.Error, q.Offline = spec.state, plugin.ReasonManual, nil, false
		if a.found && a.err == nil {
			if q.PayMasterID == "" {
				q.PayMasterID = a.remote.ID
			}
			q.PayMasterStatus, q.ResultCode = string(a.remote.Status), a.remote.ResultCode
		}
	}, plugin.Event{Kind: spec.kind, Actor: s.actor(m.Who), Detail: s.Scrub(detail)})
	if plugin.ErrorReason(err) == RStateChanged {
		return Marked{}, refuse(plugin.EConflict, RStateChanged, "payment %s changed while PayMaster was asked: %s; look at it again", p.ID, plugin.ErrorMessage(err))
	}
	if err != nil {
		return Marked{}, err
	}
	return Marked{Payment: got, Said: said, Forced: why}, nil
}

// disagree is the refusal of a change PayMaster's answer forbids, saying
// what PayMaster answered once.
func disagree(spec markSpec, p *plugin.Payment, a answer, said, why string) error {
	code, reason, msg := plugin.EConflict, RPayMasterDisagrees, said+"; "+why
	if a.err != nil {
		code, reason, msg = plugin.EUnavailable, RPayMasterAsk, said
	}
	return refuse(code, reason, "payment %s not marked %s: %s. Check the PayMaster cabinet", plugin.Printable(p.ID), spec.verb, plugin.Printable(msg))
}

// markAllowed refuses a payment the act is not for.
func markAllowed(spec markSpec, p *plugin.Payment) error {
	switch {
	case p.State.Active():
		return refuse(plugin.EConflict, RPaymentActive, "payment %s is %s: the daemon is still watching this payment; wait until it ends (it becomes needs_attention if nobody can decide)", p.ID, p.State)
	case p.State == spec.state:
		return refuse(plugin.EConflict, "already_"+string(spec.state), "payment %s is already %s", p.ID, spec.verb)
	case p.State == plugin.StatePaid:
		return refuse(plugin.EConflict, RAlreadyPaid, "payment %s is paid: sbpd never un-pays a payment; a refund is a back-office act at PayMaster", p.ID)
	}
	for _, st := range spec.from {
		if p.State == st {
			return nil
		}
	}
	return refuse(plugin.EConflict, RInvalidState, "payment %s is %s: only a payment that needs attention can be marked %s", p.ID, p.State, spec.verb)
}

// answer is what PayMaster said about one payment.
type answer struct {
	remote plugin.Remote
	found  bool
	err    error
}

// ask reads the payment by its stored PayMaster id, or looks it up by its
// order number when no id was stored.
func ask(ctx context.Context, pm PayMaster, p *plugin.Payment) answer {
	if p.PayMasterID != "" {
		r, err := pm.GetPayment(ctx, p.PayMasterID)
		if plugin.ErrorCode(err) == plugin.ENotFound {
			return answer{}
		}
		return answer{remote: r, found: err == nil, err: err}
	}
	r, ok, err := pm.FindPayment(ctx, p.OrderNo, p.CreatedAt)
	return answer{remote: r, found: ok && err == nil, err: err}
}

// describe says in one line what PayMaster answered.
func (a answer) describe(p *plugin.Payment) string {
	switch {
	case a.err != nil:
		return "PayMaster could not be asked: " + a.err.Error()
	case !a.found && p.PayMasterID != "":
		return fmt.Sprintf("PayMaster does not know payment %s", p.PayMasterID)
	case !a.found:
		return fmt.Sprintf("PayMaster has no payment with order number %s", p.OrderNo)
	}
	return "PayMaster says " + remoteText(a.remote)
}

// remoteText is PayMaster's status, result code, amount and id.
func remoteText(r plugin.Remote) string {
	s := string(r.Status)
	if r.ResultCode != "" {
		s += "/" + r.ResultCode
	}
	return s + fmt.Sprintf(" for %s ₽ (PayMaster id %s)", plugin.FormatRoubles(r.Amount), r.ID)
}
