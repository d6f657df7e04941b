package display

import (
	"fmt"
	"strings"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

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
// payment's message, decided by the flow). screen.js carries the same
// words (TestPageWordsAreGos).
const (
	TextIdle        = "Оплата по QR-коду/NFC СБП"
	TextToPay       = "К оплате"
	TextToPayMixed  = "Осталось оплатить по СБП" // the remainder of a mixed payment, after the cards
	TextRetryButton = "Повторить"
	TextCancelBtn   = "Отменить"
	TextSBP         = "СБП" // the neutral SBP mark of the payment screens
	// TextAlreadyPaid is under the dialog's question: a shopper who paid in
	// the bank app must not pay again.
	TextAlreadyPaid = "Если вы уже оплатили, не оплачивайте ещё раз — нажмите «Повторить»"
	// TextCodeValid and TextStickerValid start the countdown to expires_at,
	// followed by M:SS; TextCodeExpired replaces it at zero, while sbpd
	// asks PayMaster for the verdict.
	TextCodeValid    = "Код действует ещё"
	TextStickerValid = "Оплатить можно ещё"
	TextCodeExpired  = "Срок действия кода истёк. Проверяем, прошла ли оплата…"
	// TextStickerExpired replaces the sticker's countdown at zero: the
	// sticker's code does not expire, the payment's time does.
	TextStickerExpired = "Время оплаты истекло. Проверяем, прошла ли оплата…"
	TextTakeReceipt    = "Заберите чек" // under "Оплата прошла успешно" and the amount
	TextOrder          = "Заказ №"      // needs attention: OrderLine, "Заказ № K07-000153-1, 14:05"
	// The not-paid screens: what happened (plugin's words for the reason,
	// or TextNoFunds and TextTechnicalShort without the advice plugin's
	// long messages carry), then what to do next.
	TextNextOtherWay   = "Выберите другой способ оплаты"
	TextNextTryAgain   = "Попробуйте ещё раз"
	TextNoFunds        = "Недостаточно средств"
	TextTechnicalShort = "Произошла техническая ошибка"
)

// NotPaid is what a not-paid screen says for the payment's reason: what
// happened and what to do next, the same pattern for every reason. The
// shopper's own cancel is not drawn as an error (Neutral).
func NotPaid(r plugin.Reason) (happened, next string, neutral bool) {
	switch r {
	case plugin.ReasonInsufficientFunds:
		return TextNoFunds, TextNextOtherWay, false
	case plugin.ReasonExpired:
		return plugin.TextExpired, TextNextTryAgain, false
	case plugin.ReasonDeclinedInApp:
		return plugin.TextDeclinedInApp, TextNextTryAgain, false
	case plugin.ReasonCancelled:
		return plugin.TextCancelled, TextNextOtherWay, true
	}
	// A technical error is an outage: trying again now would fail again.
	return TextTechnicalShort, TextNextOtherWay, false
}

// shortWords are the prepositions, conjunctions and particles a line must
// not end with: Glue binds each to the next word.
var shortWords = map[string]bool{"в": true, "во": true, "к": true, "ко": true, "с": true, "со": true,
	"о": true, "об": true, "у": true, "на": true, "по": true, "за": true, "из": true, "от": true,
	"до": true, "не": true, "и": true, "а": true, "без": true, "для": true, "при": true}

// Glue puts non-breaking spaces where a line must not break: after a short
// preposition or particle ("в приложении") and before a dash. The page's
// screen.js glues every text it shows the same way.
func Glue(text string) string {
	words := strings.Split(text, " ")
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			if shortWords[strings.ToLower(words[i-1])] || w == "—" {
				b.WriteString(nbsp)
			} else {
				b.WriteString(" ")
			}
		}
		b.WriteString(w)
	}
	return b.String()
}

// Countdown is the time left as the page shows it, "M:SS", rounded up to
// the second; zero and below are "0:00".
func Countdown(left time.Duration) string {
	s := int64((left + time.Second - 1) / time.Second)
	if s < 0 {
		s = 0
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// OrderLine is the needs-attention screen's line for the administrator:
// "Заказ № K07-000153-1, 14:05", the order number glued to its sign, and
// the time the payment started (in at's zone) when at is set.
func OrderLine(orderNo string, at time.Time) string {
	line := TextOrder + nbsp + orderNo
	if !at.IsZero() {
		line += ", " + at.Format("15:04")
	}
	return line
}

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
