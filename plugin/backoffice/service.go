package backoffice

import (
	"context"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Journal is what the back office needs of the payment journal.
type Journal interface {
	// Get returns a recorded payment, or an *plugin.Error with ENotFound.
	Get(ctx context.Context, id string) (*plugin.Payment, error)
	// Find returns the payments whose id, order number or PayMaster id is
	// ref, newest first.
	Find(ctx context.Context, ref string) ([]*plugin.Payment, error)
	// Events returns a payment's history, oldest first.
	Events(ctx context.Context, id string) ([]plugin.Event, error)
	// Search returns one page of the payments f selects.
	Search(ctx context.Context, f plugin.Filter) ([]*plugin.Payment, error)
	// Resolve applies change and appends ev atomically, only if the
	// payment is still in one of from; otherwise an EConflict with reason
	// "state_changed".
	Resolve(ctx context.Context, id string, from []plugin.State, change func(*plugin.Payment), ev plugin.Event) (*plugin.Payment, error)
}

// Outbox is what the back office needs of the queue of notifications to
// the accounting system. Its writes check, in their own transaction, that
// the payment is still final and not entered by hand.
type Outbox interface {
	// Status says whether and how the accounting system was told.
	Status(ctx context.Context, paymentID string) (Notice, error)
	// Requeue makes the delivery of the payment's current state pending
	// and due at once, recording who and why.
	Requeue(ctx context.Context, paymentID, who, why string) (Delivery, error)
	// MarkEnteredByHand records that the payment is never to be sent.
	MarkEnteredByHand(ctx context.Context, paymentID, who, why string) error
	// Stuck lists the paid payments whose notification is exhausted.
	Stuck(ctx context.Context) ([]Stuck, error)
}

// PayMaster is what the back office asks PayMaster.
type PayMaster interface {
	GetPayment(ctx context.Context, id string) (plugin.Remote, error)
	FindPayment(ctx context.Context, orderNo string, around time.Time) (r plugin.Remote, ok bool, err error)
	// List returns the payments created in [from, to).
	List(ctx context.Context, from, to time.Time) ([]plugin.Remote, error)
}

// Service is the back office of one kiosk.
type Service struct {
	Journal Journal
	Outbox  Outbox
	// PayMaster may be nil for the acts that do not ask it (resync,
	// mark-entered, stuck, find, show); the others are refused then
	// (paymaster_unset), after their own checks.
	PayMaster PayMaster
	// NoPayMaster says why PayMaster is nil (the settings' problem); the
	// refusal gives it.
	NoPayMaster string
	// TillID is this kiosk's till: reconcile ignores other tills' order
	// numbers at PayMaster.
	TillID string
	// Margin widens both lists of a reconciliation so that a payment near
	// an edge of the period is matched even if the journal and PayMaster
	// stamped it on different sides of the edge.
	Margin time.Duration
	// PageSize is how many rows one Search returns at most (the journal's
	// own cap); 100 when zero.
	PageSize int
	// Secrets are removed from every text the service records or returns.
	Secrets []string
	// NoNotify says that notify.url is not set: a notification queued
	// (Resync) waits in the journal until it is, and is sent then.
	NoNotify bool
}

// Scrub removes the service's secrets from s.
func (s *Service) Scrub(text string) string {
	return plugin.Redact(text, s.Secrets...)
}

func (s *Service) payMaster() (PayMaster, error) {
	if s.PayMaster == nil {
		why := ""
		if s.NoPayMaster != "" {
			why = ": " + s.Scrub(s.NoPayMaster)
		}
		return nil, refuse(plugin.EUnavailable, RPayMasterUnset, "this asks PayMaster, and its settings are not usable%s", why)
	}
	return s.PayMaster, nil
}
