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

// refusal is how the web shows a refusal of the back office: a Russian
// title and sentence by its reason; the service's own sentence follows as
// a detail, as the CLI prints it.
type refusal struct{ title, text string }

var refusals = map[string]refusal{
	backoffice.RReasonRequired:     {"Укажите причину", "Это действие записывается в журнал с причиной: заполните поле «Причина»."},
	backoffice.RReasonTooLong:      {"Слишком длинная причина", "Причина длиннее допустимого: сократите её."},
	backoffice.RPaymentActive:      {"Платёж ещё идёт", "sbpd ещё следит за этим платежом; дождитесь его завершения."},
	backoffice.RAlreadyPaid:        {"Платёж уже оплачен", "Оплаченный платёж sbpd никогда не переводит обратно."},
	backoffice.RAlreadyNotPaid:     {"Платёж уже не оплачен", "Менять нечего: платёж уже отмечен неоплаченным."},
	backoffice.RInvalidState:       {"Не для платежа в этом состоянии", "Это действие не подходит платежу в его нынешнем состоянии."},
	backoffice.RPayMasterDisagrees: {"PayMaster не подтверждает", "Ответ PayMaster не позволяет это изменение. Если вы уверены, отметьте «Всё равно» и укажите причину."},
	backoffice.RPayMasterAsk:       {"PayMaster недоступен", "Не удалось спросить PayMaster. Повторите позже или отметьте «Всё равно» с причиной."},
	backoffice.RPayMasterUnset:     {"Нет настроек PayMaster", "В настройках нет доступа к PayMaster: действия, которые его спрашивают, недоступны."},
	backoffice.RStateChanged:       {"Платёж изменился", "Пока вы подтверждали, платёж изменился. Откройте его заново и проверьте."},
	backoffice.REnteredByHand:      {"Внесён в учёт вручную", "Платёж отмечен как внесённый вручную: оповещение по нему больше не отправляется."},
	backoffice.RNotFinal:           {"Платёж не завершён", "Оповещать учётную систему можно только о завершённом платеже."},
	backoffice.RNoPayment:          {"Платёж не найден", "В журнале нет платежа с такой ссылкой."},
	backoffice.RAmbiguous:          {"Несколько платежей", "Ссылке соответствуют несколько платежей: откройте нужный из журнала."},
	backoffice.RPeriod:             {"Пустой период", "Начало периода должно быть раньше его конца."},
	backoffice.RPeriodTooLong:      {"Слишком длинный период", "Сверка идёт не больше чем за допустимый период: разбейте его на части."},
	backoffice.RSecretName:         {"Имя содержит секрет", "В имени есть ключ или пароль из настроек sbpd. Укажите своё имя, а не ключ."},
	backoffice.RListFailed:         {"Список PayMaster не прочитан", "PayMaster не отдал список платежей за период. Повторите позже."},
	plugin.RefusedTooManyRows:      {"Слишком много платежей для XLSX", "В лист XLSX столько платежей не помещается: выгрузите CSV или выберите период короче."},
}

func refusalOf(reason string) refusal {
	if t, ok := refusals[reason]; ok {
		return t
	}
	return refusal{"Отказано", "sbpd отказал в действии; подробности ниже."}
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
	case plugin.DeliveryDelivered:
		return "Да", "ok"
	case plugin.DeliveryExhausted:
		return "Нет: не доставлено", "bad"
	case plugin.DeliveryPending:
		if d.Attempts == 0 {
			return "В очереди", ""
		}
		return "Повтор после ошибки", "warn"
	case plugin.DeliveryCancelled:
		return "Отменено", ""
	}
	return plugin.Printable(d.Status), ""
}

// deliveryWord names a delivery's status.
func deliveryWord(status string) string {
	switch status {
	case plugin.DeliveryDelivered:
		return "доставлено"
	case plugin.DeliveryExhausted:
		return "не доставлено (попытки исчерпаны)"
	case plugin.DeliveryPending:
		return "ждёт отправки"
	case plugin.DeliveryCancelled:
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
	plugin.PrinterOK:            "готов к печати",
	plugin.PrinterPaperNearEnd:  "готов, бумага скоро кончится",
	plugin.PrinterNotConfigured: "не настроен (printer.port пуст)",
	plugin.PrinterPaperEnd:      "нет бумаги",
	plugin.PrinterCoverOpen:     "открыта крышка",
	plugin.PrinterOffline:       "не в сети",
	plugin.PrinterError:         "ошибка принтера",
	plugin.PrinterNoAnswer:      "не отвечает",
	plugin.PrinterPortMissing:   "порт не открывается",
	plugin.PrinterWriteFailed:   "ошибка записи в порт",
	plugin.PrinterWriteStalled:  "не принимает данные (буфер полон или кончилась бумага)",
	plugin.PrinterLockRefused:   "файл блокировки порта не принят (см. sbpd doctor)",
	plugin.PrinterBusy:          "порт занят другим процессом",
}

// printerWord is a printer status for a person, with its code.
func printerWord(status string) string {
	if w, ok := printerWords[status]; ok {
		return w + " (" + status + ")"
	}
	return plugin.Printable(status)
}
