package backoffice

import (
	"context"
	"fmt"
	"strings"

	"github.com/sbpd/sbpd/plugin"
)

// Delivery is one notification of one final state of a payment.
type Delivery = plugin.Delivery

// Notice is whether, and how, the accounting system was told about a
// payment.
type Notice = plugin.Notice

// Stuck is a paid payment whose notification is exhausted.
type Stuck = plugin.Stuck

// Resync queues the notification of a final payment again, with its
// delivery id kept, by who for why (why may be empty). ref names the
// payment as for Find. A payment entered by hand or not final is refused.
func (s *Service) Resync(ctx context.Context, ref, who, why string) (Delivery, error) {
	why = strings.TrimSpace(why)
	if err := checkReason(why); err != nil {
		return Delivery{}, err
	}
	p, err := s.Find(ctx, ref)
	if err != nil {
		return Delivery{}, err
	}
	ns, err := s.Outbox.Status(ctx, p.ID)
	if err != nil {
		return Delivery{}, err
	}
	if err := resyncAllowed(ns); err != nil {
		return Delivery{}, err
	}
	return s.Outbox.Requeue(ctx, p.ID, s.actor(who), s.Scrub(why))
}

func resyncAllowed(ns Notice) error {
	switch {
	case ns.EnteredByHand:
		return refuse(plugin.EConflict, REnteredByHand, "payment %s was entered by hand in the accounting system: its notification is never sent again", ns.PaymentID)
	case !ns.State.Final():
		return refuse(plugin.EConflict, RNotFinal, "payment %s is %s, not final: there is nothing to notify yet (resolve it first)", ns.PaymentID, ns.State)
	}
	return nil
}

// MarkEntered records that a person entered the payment ref names (as
// for Find) in the accounting system by hand, so it is never sent there.
// why is required; a payment already marked is refused. It cannot be
// undone.
func (s *Service) MarkEntered(ctx context.Context, ref, who, why string) error {
	why = strings.TrimSpace(why)
	if why == "" {
		return refuse(plugin.EInvalid, RReasonRequired, "say who entered payment %s in the accounting system and where", plugin.Printable(plugin.Clip(ref)))
	}
	if err := checkReason(why); err != nil {
		return err
	}
	p, err := s.Find(ctx, ref)
	if err != nil {
		return err
	}
	ns, err := s.Outbox.Status(ctx, p.ID)
	if err != nil {
		return err
	}
	if ns.EnteredByHand {
		return refuse(plugin.EConflict, REnteredByHand, "payment %s is already marked as entered by hand", p.ID)
	}
	if err := s.Outbox.MarkEnteredByHand(ctx, p.ID, s.actor(who), s.Scrub(why)); err != nil {
		return fmt.Errorf("backoffice: mark %s entered by hand: %w", p.ID, err)
	}
	return nil
}

// Stuck lists the paid payments the accounting system was not told about,
// oldest first; never nil.
func (s *Service) Stuck(ctx context.Context) ([]Stuck, error) {
	st, err := s.Outbox.Stuck(ctx)
	if st == nil && err == nil {
		st = []Stuck{}
	}
	return st, err
}
