package display

import "github.com/sbpd/sbpd/plugin"

// View names one screen the shopper can see. The page (web/screen.js) and
// the terminal pick the view of a payment with the same rules.
type View string

const (
	ViewIdle      View = "idle"      // no payment
	ViewWait      View = "wait"      // creating: spinner
	ViewQR        View = "qr"        // mode 1 (and a mixed payment's remainder): the QR
	ViewReceipt   View = "receipt"   // mode 0: the QR is on the receipt
	ViewSticker   View = "sticker"   // mode 2: the kiosk's sticker and NFC tag
	ViewDialog    View = "dialog"    // status_unknown: Повторить / Отменить
	ViewCanceling View = "canceling" // canceling: spinner
	ViewPaid      View = "paid"
	ViewNotPaid   View = "not_paid"
	ViewAttention View = "attention" // needs_attention
)

// ViewOf is the view of a payment.
func ViewOf(p plugin.Payment) View {
	switch p.State {
	case plugin.StateAwaitingPayment:
		switch {
		case p.Mode == plugin.ModePrint:
			return ViewReceipt
		case p.Mode == plugin.ModeSticker:
			return ViewSticker
		case p.QRPayload != "":
			return ViewQR
		}
	case plugin.StateStatusUnknown:
		return ViewDialog
	case plugin.StateCanceling:
		return ViewCanceling
	case plugin.StatePaid:
		return ViewPaid
	case plugin.StateNotPaid:
		return ViewNotPaid
	case plugin.StateNeedsAttention:
		return ViewAttention
	}
	return ViewWait
}

// Shopper-facing words of the page's own (everything else is the
// payment's message, decided by the flow).
const (
	TextIdle        = "Оплата по QR-коду/NFC СБП"
	TextToPay       = "К оплате"
	TextToPayMixed  = "К оплате по СБП" // the remainder of a mixed payment
	TextRetryButton = "Повторить"
	TextCancelBtn   = "Отменить"
)

// messageOf is the payment's main line: the dialog's question in
// status_unknown, the flow's message otherwise, never anything technical.
func messageOf(p plugin.Payment) string {
	if p.Dialog != nil && p.Dialog.Text != "" {
		return p.Dialog.Text
	}
	if p.Message != "" {
		return p.Message
	}
	return plugin.TextWait
}

// showsAmount reports whether the view shows what is to be paid.
func showsAmount(v View) bool {
	switch v {
	case ViewWait, ViewQR, ViewReceipt, ViewSticker, ViewDialog:
		return true
	}
	return false
}

func amountLabel(p plugin.Payment) string {
	if p.Mixed {
		return TextToPayMixed
	}
	return TextToPay
}
