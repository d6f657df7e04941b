package backoffice

import (
	"context"
	"fmt"
	"strings"

	"github.com/sbpd/sbpd/plugin"
)

// Find returns the one payment ref names: our id, or an order number or a
// PayMaster id that only one payment has. No payment is an ENotFound with
// reason no_payment; several, unless one has ref as its id, an EConflict
// with reason ambiguous naming them.
func (s *Service) Find(ctx context.Context, ref string) (*plugin.Payment, error) {
	ps, err := s.Journal.Find(ctx, ref)
	if err != nil {
		return nil, err
	}
	switch len(ps) {
	case 0:
		return nil, refuse(plugin.ENotFound, RNoPayment, "no payment with id, order number or PayMaster id %q: find it with sbpd journal list -q", plugin.Clip(ref))
	case 1:
		return ps[0], nil
	}
	for _, p := range ps {
		if p.ID == ref {
			return p, nil
		}
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return nil, refuse(plugin.EConflict, RAmbiguous, "%q matches %d payments (%s): give our id", plugin.Clip(ref), len(ps), plugin.Printable(strings.Join(ids, ", ")))
}

// Shown is one payment with its till (from its order number), its
// history and its notification: `sbpd journal show --json` prints it.
type Shown struct {
	Payment      *plugin.Payment `json:"payment"`
	TillID       string          `json:"till_id,omitempty"`
	Notification Notice          `json:"notification"`
	Events       []plugin.Event  `json:"events"`
}

// Show finds the payment ref names (as Find) with its events and whether
// the accounting system was told.
func (s *Service) Show(ctx context.Context, ref string) (Shown, error) {
	p, err := s.Find(ctx, ref)
	if err != nil {
		return Shown{}, err
	}
	evs, err := s.Journal.Events(ctx, p.ID)
	if err != nil {
		return Shown{}, fmt.Errorf("backoffice: events of %s: %w", p.ID, err)
	}
	ns, err := s.Outbox.Status(ctx, p.ID)
	if err != nil {
		return Shown{}, fmt.Errorf("backoffice: notification of %s: %w", p.ID, err)
	}
	p.Decorate()
	return Shown{Payment: p, TillID: TillOf(p), Notification: ns, Events: evs}, nil
}

// knownBefore refuses a page older than a payment the journal does not
// know (an empty page would look like the journal's end).
func (s *Service) knownBefore(ctx context.Context, id string) error {
	_, err := s.Journal.Get(ctx, id)
	if plugin.ErrorCode(err) == plugin.ENotFound {
		return &plugin.FilterError{Param: "before", Value: id, Rule: "no payment has this id: start again from the first page"}
	}
	return err
}

// List returns the page of payments f selects (f.Limit of them, at most
// plugin.MaxLimit, from f.Offset or after f.Before, newest first; an
// unknown f.Before is a FilterError),
// decorated for showing, and whether more follow it. Whether more follow
// is asked separately (one row after the page's last), so a page of the
// journal's cap knows it too.
func (s *Service) List(ctx context.Context, f plugin.Filter) (ps []*plugin.Payment, more bool, err error) {
	f.Limit = min(f.Limit, plugin.MaxLimit)
	if f.Limit <= 0 {
		f.Limit = plugin.DefaultLimit
	}
	if err := plugin.CheckOffset(f.Offset); err != nil {
		return nil, false, err
	}
	if ps, err = s.Journal.Search(ctx, f); err != nil {
		return nil, false, err
	}
	if len(ps) == 0 && f.Before != "" {
		return nil, false, s.knownBefore(ctx, f.Before)
	}
	if len(ps) == f.Limit {
		next := f
		next.Limit, next.Offset, next.Before = 1, 0, ps[len(ps)-1].ID
		after, err := s.Journal.Search(ctx, next)
		if err != nil {
			return nil, false, err
		}
		more = len(after) > 0
	}
	for _, p := range ps {
		p.Decorate()
	}
	return ps, more, nil
}
