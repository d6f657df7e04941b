package plugin

import (
	"fmt"
	"time"
)

// State is where a payment is in the flow (docs/architecture.md has the
// transitions).
type State string

const (
	StateCreating        State = "creating"
	StateAwaitingPayment State = "awaiting_payment"
	StateStatusUnknown   State = "status_unknown"
	StateCanceling       State = "canceling"
	StatePaid            State = "paid"
	StateNotPaid         State = "not_paid"
	StateNeedsAttention  State = "needs_attention"
)

// States lists every state in code order.
var States = []State{StateCreating, StateAwaitingPayment, StateStatusUnknown,
	StateCanceling, StatePaid, StateNotPaid, StateNeedsAttention}

// Code is the number the till software sees; 5 and 6 are final.
func (s State) Code() int {
	for i, v := range States {
		if v == s {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether s is one of States.
func (s State) Valid() bool { return s.Code() != 0 }

// Final reports whether s is paid or not_paid: nothing more will happen.
func (s State) Final() bool { return s == StatePaid || s == StateNotPaid }

// Active reports whether a payment in state s holds the kiosk: the shopper
// is in front of it and the till is waiting.
func (s State) Active() bool {
	return s == StateCreating || s == StateAwaitingPayment || s == StateStatusUnknown || s == StateCanceling
}

// Mode is how the QR reaches the shopper (sbp.qr_mode).
type Mode int

const (
	ModePrint   Mode = 0 // printed on the receipt tape
	ModeScreen  Mode = 1 // shown on the kiosk screen
	ModeSticker Mode = 2 // the kiosk's NFC/QR sticker (PayMaster cash link)
)

func (m Mode) Valid() bool { return m >= ModePrint && m <= ModeSticker }

func (m Mode) String() string {
	switch m {
	case ModePrint:
		return "print"
	case ModeScreen:
		return "screen"
	case ModeSticker:
		return "sticker"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// Reason says why a payment ended not paid or needs attention.
type Reason string

const (
	ReasonNone              Reason = ""
	ReasonInsufficientFunds Reason = "insufficient_funds"
	ReasonExpired           Reason = "expired"
	ReasonDeclinedInApp     Reason = "declined_in_app"
	ReasonCancelled         Reason = "cancelled"       // our cancel was confirmed
	ReasonTechnical         Reason = "technical"       // PayMaster refused or failed
	ReasonCancelFailed      Reason = "cancel_failed"   // needs_attention
	ReasonAmountMismatch    Reason = "amount_mismatch" // needs_attention
	ReasonLifetimeEnded     Reason = "lifetime_ended"  // needs_attention
	ReasonManual            Reason = "manual"          // resolved by a person
)

// Payment is one attempt to take an SBP payment for a check. Amount is in
// kopecks. It is the object of the till API (docs/integrator.md).
type Payment struct {
	ID             string    `json:"id"`
	CheckID        string    `json:"check_id"`
	OrderNo        string    `json:"order_no"`
	Amount         int64     `json:"amount"`
	Mixed          bool      `json:"mixed"`
	Mode           Mode      `json:"mode"`
	State          State     `json:"state"`
	StateCode      int       `json:"state_code"`
	PayMasterID    string    `json:"paymaster_id,omitempty"`
	QRPayload      string    `json:"qr_payload,omitempty"`
	ExpiresAt      time.Time `json:"expires_at"`
	Message        string    `json:"message"`
	Dialog         *Dialog   `json:"dialog"`
	Error          *APIError `json:"error"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	IdempotencyKey string    `json:"-"`

	// Journal fields, not part of the till contract's required set but
	// useful to the back office.
	PayMasterStatus string `json:"paymaster_status,omitempty"`
	ResultCode      string `json:"result_code,omitempty"`
	Reason          Reason `json:"reason,omitempty"`
	CancelRequested bool   `json:"cancel_requested,omitempty"`
	CancelSent      bool   `json:"cancel_sent,omitempty"` // PayMaster accepted our one cancel call
	LateSettle      bool   `json:"late_settle,omitempty"` // Settled after our cancel was sent
	Offline         bool   `json:"-"`                     // last PayMaster call failed; picks the dialog text
}

// Dialog is the Retry/Cancel question shown in status_unknown.
type Dialog struct {
	Text    string   `json:"text"`
	Actions []string `json:"actions"`
}

// APIError is the error object of the till API.
type APIError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Shopper-facing texts, as the kiosk flow's original documents word them.
const (
	TextWait           = "Пожалуйста, подождите"
	TextScanReceipt    = "Отсканируйте QR-код на чеке"
	TextScanScreen     = "Для оплаты используйте NFC или отсканируйте QR-код"
	TextScanSticker    = "Отсканируйте QR-код на наклейке или приложите телефон к NFC-метке"
	TextNoConnection   = "Оплата не завершена, нет связи с процессингом"
	TextNotCompleted   = "Оплата не завершена"
	TextCanceling      = "Отмена оплаты…"
	TextPaid           = "Оплата прошла успешно"
	TextInsufficient   = "Недостаточно средств. Попробуйте другой способ оплаты."
	TextExpired        = "Время оплаты истекло"
	TextDeclinedInApp  = "Оплата отменена в приложении банка"
	TextCancelled      = "Оплата отменена"
	TextTechnical      = "Произошла техническая ошибка. Пожалуйста, попробуйте ещё раз через несколько минут."
	TextNeedsAttention = "Оплата не завершена. Обратитесь к администратору"
	ActionRetry        = "retry"
	ActionCancel       = "cancel"
)

// Decorate fills the fields derived from the state: state_code, message,
// dialog and error. Call it on every copy handed out.
func (p *Payment) Decorate() {
	p.StateCode = p.State.Code()
	p.Dialog = nil
	switch p.State {
	case StateCreating:
		p.Message = TextWait
	case StateAwaitingPayment:
		switch p.Mode {
		case ModePrint:
			p.Message = TextScanReceipt
		case ModeSticker:
			p.Message = TextScanSticker
		default:
			p.Message = TextScanScreen
		}
	case StateStatusUnknown:
		p.Message = TextNotCompleted
		if p.Offline {
			p.Message = TextNoConnection
		}
		p.Dialog = &Dialog{Text: p.Message, Actions: []string{ActionRetry, ActionCancel}}
	case StateCanceling:
		p.Message = TextCanceling
	case StatePaid:
		p.Message = TextPaid
	case StateNotPaid:
		p.Message = notPaidText(p.Reason)
	case StateNeedsAttention:
		p.Message = TextNeedsAttention
	}
	if p.Error == nil && (p.State == StateNeedsAttention || (p.State == StateNotPaid && p.Reason == ReasonTechnical)) {
		p.Error = &APIError{Code: string(p.Reason), Message: p.Message}
	}
}

func notPaidText(r Reason) string {
	switch r {
	case ReasonInsufficientFunds:
		return TextInsufficient
	case ReasonExpired:
		return TextExpired
	case ReasonDeclinedInApp:
		return TextDeclinedInApp
	case ReasonCancelled:
		return TextCancelled
	}
	return TextTechnical
}

// FormatRoubles renders kopecks as "259,90" (no currency sign).
func FormatRoubles(kopecks int64) string {
	sign := ""
	if kopecks < 0 {
		sign, kopecks = "-", -kopecks
	}
	return fmt.Sprintf("%s%d,%02d", sign, kopecks/100, kopecks%100)
}
