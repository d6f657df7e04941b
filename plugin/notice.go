package plugin

import "time"

// Delivery is one notification of one final state of a payment to the
// accounting system: one row of the journal's outbox.
type Delivery struct {
	ID          string    `json:"delivery_id"` // "<payment id>:<state>"
	PaymentID   string    `json:"payment_id"`
	State       State     `json:"state"`
	Status      string    `json:"status"` // one of the Delivery… statuses
	Attempts    int       `json:"attempts"`
	NextAt      time.Time `json:"next_at"`
	LastError   string    `json:"last_error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	DeliveredAt time.Time `json:"delivered_at,omitempty"`
}

// Delivery statuses: a row of the journal's outbox (drivers/sqlite, whose
// migration spells them in SQL too), the back office's texts and pages.
const (
	DeliveryPending   = "pending"   // waiting to be sent (again)
	DeliveryDelivered = "delivered" // the receiver answered 2xx
	DeliveryExhausted = "exhausted" // notify.max_attempts tries failed
	DeliveryCancelled = "cancelled" // entered by hand, or superseded by another final state
)

// The outcomes of one attempt to notify the accounting system, as the
// notify driver reports them and the sbpd_notify_deliveries_total metric
// labels them.
const (
	NotifyDelivered = "delivered" // the receiver answered 2xx
	NotifyFailed    = "failed"    // to be tried again
	NotifyGaveUp    = "gave_up"   // notify.max_attempts tries failed: exhausted
)

// DueDelivery is a delivery to send now, with the payment as recorded:
// what the journal's outbox hands the notify driver.
type DueDelivery struct {
	Delivery
	Payment Payment
}

// Notice is whether, and how, the accounting system was told about a
// payment.
type Notice struct {
	PaymentID     string     `json:"payment_id"`
	State         State      `json:"state"`
	EnteredByHand bool       `json:"entered_by_hand"`
	EnteredBy     string     `json:"entered_by,omitempty"`
	EnteredReason string     `json:"entered_reason,omitempty"`
	Deliveries    []Delivery `json:"deliveries"` // oldest first
}

// Stuck is a paid payment whose notification was given up: paid, but the
// accounting system was not told ("Совершён без оповещения").
type Stuck struct {
	Payment  Payment  `json:"payment"`
	Delivery Delivery `json:"delivery"`
}
