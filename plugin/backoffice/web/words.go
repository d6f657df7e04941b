package web

import (
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// The Russian words of the pages.

// stateWords names sbpd's states for a person.
var stateWords = map[plugin.State]string{
	plugin.StateCreating:        "Создаётся",
	plugin.StateAwaitingPayment: "Ожидает оплаты",
	plugin.StateStatusUnknown:   "Статус неизвестен",
	plugin.StateCanceling:       "Отменяется",
	plugin.StatePaid:            "Оплачен",
	plugin.StateNotPaid:         "Не оплачен",
	plugin.StateNeedsAttention:  "Требует внимания",
}

func stateWord(st plugin.State) string {
	if w, ok := stateWords[st]; ok {
		return w
	}
	return plugin.Printable(string(st))
}

// modeWords names the QR modes.
var modeWords = map[plugin.Mode]string{
	plugin.ModePrint:   "QR на чеке",
	plugin.ModeScreen:  "QR на экране",
	plugin.ModeSticker: "Наклейка NFC/QR",
}

func modeWord(m plugin.Mode) string {
	if w, ok := modeWords[m]; ok {
		return w
	}
	return m.String()
}

// refusalTitles head a refusal of the back office by its reason; the
// service's own sentence follows, as the CLI prints it.
var refusalTitles = map[string]string{
	backoffice.RReasonRequired:     "Укажите причину",
	backoffice.RPaymentActive:      "Платёж ещё идёт",
	backoffice.RAlreadyPaid:        "Платёж уже оплачен",
	backoffice.RAlreadyNotPaid:     "Платёж уже не оплачен",
	backoffice.RInvalidState:       "Не для платежа в этом состоянии",
	backoffice.RPayMasterDisagrees: "PayMaster не подтверждает",
	backoffice.RPayMasterAsk:       "PayMaster недоступен",
	backoffice.RPayMasterUnset:     "Нет настроек PayMaster",
	backoffice.RStateChanged:       "Платёж изменился",
	backoffice.REnteredByHand:      "Внесён в учёт вручную",
	backoffice.RNotFinal:           "Платёж не завершён",
	backoffice.RNoPayment:          "Платёж не найден",
	backoffice.RAmbiguous:          "Несколько платежей",
	backoffice.RPeriod:             "Пустой период",
	backoffice.RListFailed:         "Список PayMaster не прочитан",
}

func refusalTitle(reason string) string {
	if t, ok := refusalTitles[reason]; ok {
		return t
	}
	return "Отказано"
}

// told says in a few words whether the accounting system has the payment.
func told(ns backoffice.Notice) (text, class string) {
	if ns.EnteredByHand {
		return "Внесён вручную", "ok"
	}
	if len(ns.Deliveries) == 0 {
		if ns.State.Final() {
			return "Не в очереди", "warn"
		}
		return "—", ""
	}
	d := ns.Deliveries[len(ns.Deliveries)-1]
	switch d.Status {
	case "delivered":
		return "Да", "ok"
	case "exhausted":
		return "Нет: не доставлено", "bad"
	case "pending":
		if d.Attempts == 0 {
			return "В очереди", ""
		}
		return "Повтор после ошибки", "warn"
	case "cancelled":
		return "Отменено", ""
	}
	return plugin.Printable(d.Status), ""
}

// deliveryWord names a delivery's status.
func deliveryWord(status string) string {
	switch status {
	case "delivered":
		return "доставлено"
	case "exhausted":
		return "не доставлено (попытки исчерпаны)"
	case "pending":
		return "ждёт отправки"
	case "cancelled":
		return "отменено"
	}
	return plugin.Printable(status)
}

const stamp = "02.01.2006 15:04:05"

// when is t in z, or "—".
func when(t time.Time, z *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(z).Format(stamp)
}

func rub(kopecks int64) string { return plugin.FormatRoubles(kopecks) + " ₽" }

// printerWords name the printer's statuses (plugin's reasons a printer
// cannot print, and the daemon's own).
var printerWords = map[string]string{
	"ok":                      "готов к печати",
	"paper_near_end":          "готов, бумага скоро кончится",
	"not_configured":          "не настроен (printer.port пуст)",
	plugin.PrinterPaperEnd:    "нет бумаги",
	plugin.PrinterCoverOpen:   "открыта крышка",
	plugin.PrinterOffline:     "не в сети",
	plugin.PrinterError:       "ошибка принтера",
	plugin.PrinterNoAnswer:    "не отвечает",
	plugin.PrinterPortMissing: "порт не открывается",
	plugin.PrinterWriteFailed: "ошибка записи в порт",
	plugin.PrinterBusy:        "порт занят другим процессом",
}

// printerWord is a printer status for a person, with its code.
func printerWord(status string) string {
	if w, ok := printerWords[status]; ok {
		return w + " (" + status + ")"
	}
	return plugin.Printable(status)
}
