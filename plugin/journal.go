package plugin

import (
	"context"
	"errors"
	"time"
)

// JournalFile is the journal's file name in data_dir: where the settings
// find it (config), where doctor checks it.
const JournalFile = "sbpd.db"

// Why a journal cannot be opened: the journal's driver wraps them, a
// diagnosis (plugin/doctor) tells them apart.
var (
	ErrJournalNewer          = errors.New("database schema is newer than this sbpd knows") // written by a newer sbpd
	ErrJournalDirNotWritable = errors.New("the journal's directory is not writable")       // no -wal and -shm files can be made
	ErrJournalInUse          = errors.New("the journal is in use by another sbpd")         // another daemon holds data_dir's lock
)

// Journal is the durable record of every attempt. A state change is on disk
// when Update returns, before anybody is told about it.
type Journal interface {
	// Create records a new attempt with its first event.
	Create(ctx context.Context, p *Payment, ev Event) error
	// Update stores p's new fields and appends ev, atomically.
	Update(ctx context.Context, p *Payment, ev Event) error
	// Get returns a recorded payment, or an *Error with ENotFound.
	Get(ctx context.Context, id string) (*Payment, error)
	// Unfinished returns every payment whose state is not final, oldest first.
	Unfinished(ctx context.Context) ([]*Payment, error)
	// ByCheck returns the payments for a check, oldest first.
	ByCheck(ctx context.Context, checkID string) ([]*Payment, error)
}

// Event is one appended line of a payment's history.
type Event struct {
	Seq       int64     `json:"seq"`
	PaymentID string    `json:"payment_id"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	State     State     `json:"state"`
	Detail    string    `json:"detail,omitempty"`
	Actor     string    `json:"actor,omitempty"` // "till", "shopper", "sbpd", a technician's name
}

// Event kinds.
const (
	EvCreated         = "created"          // the attempt is recorded, before PayMaster is called
	EvCreateFailed    = "create_failed"    // the create call failed
	EvRemoteCreated   = "remote_created"   // PayMaster's id is stored
	EvQRReady         = "qr_ready"         // the QR link is stored; the shopper may now see it
	EvRemoteStatus    = "remote_status"    // PayMaster's status changed
	EvStatusTimeout   = "status_timeout"   // no final status in time: the dialog
	EvRetry           = "retry"            // the shopper chose Повторить
	EvCancelRequested = "cancel_requested" // the shopper chose Отменить
	EvCancelSent      = "cancel_sent"      // PayMaster accepted the cancel call
	EvCancelFailed    = "cancel_failed"    // the cancel call failed
	EvFinal           = "final"            // paid or not paid
	EvAttention       = "needs_attention"  // a person must decide
	EvReconciled      = "reconciled"       // checked with PayMaster at start
	EvSlipPrinted     = "slip_printed"     // mode 0: the QR is on the receipt tape
	EvPrinterFallback = "printer_fallback" // mode 0: the printer could not print; the QR goes to the screen
	EvResync          = "resync"           // a person asked to send the notification again
	EvEnteredByHand   = "entered_by_hand"  // the accounting system has it by hand: never notified
)

// Filter selects payments for a journal search. Zero fields match all.
type Filter struct {
	State   State
	CheckID string
	From    time.Time
	To      time.Time
	Query   string // matches check id, order number, PayMaster id, or amount in kopecks
	Mode    *Mode  // nil matches every mode
	Mixed   *bool  // nil matches mixed and whole payments
	Limit   int
	Offset  int
	// Before, a payment's id, keeps only the payments after it in the
	// newest-first order (older, or as old with a smaller id): a keyset
	// page that costs the same however deep it is. An unknown id selects
	// nothing.
	Before string
}
