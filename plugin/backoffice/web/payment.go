package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// field is one line of a payment's fields.
type field struct{ Label, Value string }

// eventRow is one line of a payment's history.
type eventRow struct{ Time, Kind, State, Actor, Detail string }

// deliveryRow is one notification of a payment.
type deliveryRow struct{ ID, State, Status, Attempts, Next, Delivered, LastError string }

// actLink is a button of the payment page.
type actLink struct{ Label, Link, Class string }

// paymentView is the payment page.
type paymentView struct {
	ID, Title, PayMasterID, State, StateClass string
	Fields                                    []field
	Events                                    []eventRow
	Told                                      string
	Deliveries                                []deliveryRow
	Acts                                      []actLink
	Reconcile                                 string
}

// payment is one payment: every field, the history, the notification and
// the acts. The id may be our id, an order number or a PayMaster id, as
// for `sbpd journal show`.
func (s *Server) payment(w http.ResponseWriter, r *http.Request, se *session) {
	sh, err := s.svc().Show(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, se, err)
		return
	}
	p := sh.Payment
	v := &paymentView{ID: p.ID, PayMasterID: s.text(p.PayMasterID), State: stateWord(p.State), StateClass: string(p.State),
		Title: fmt.Sprintf("Платёж %s, чек %s", s.text(p.OrderNo), s.text(p.CheckID))}
	v.Fields = s.fields(p)
	for _, ev := range sh.Events {
		v.Events = append(v.Events, eventRow{Time: when(ev.At, s.o.Zone), Kind: s.text(ev.Kind), State: stateWord(ev.State),
			Actor: s.text(ev.Actor), Detail: s.text(ev.Detail)})
	}
	v.Told = s.scrub(backoffice.NoticeText(sh.Notification, s.o.Zone))
	for _, d := range sh.Notification.Deliveries {
		dr := deliveryRow{ID: s.text(d.ID), State: stateWord(d.State), Status: deliveryWord(d.Status), Attempts: strconv.Itoa(d.Attempts),
			Delivered: when(d.DeliveredAt, s.o.Zone), LastError: s.text(d.LastError), Next: "—"}
		if d.Status == plugin.DeliveryPending {
			dr.Next = when(d.NextAt, s.o.Zone)
		}
		v.Deliveries = append(v.Deliveries, dr)
	}
	base := Prefix + "payments/" + url.PathEscape(p.ID) + "/"
	for _, a := range acts {
		if s.readOnly() {
			break
		}
		v.Acts = append(v.Acts, actLink{Label: a.label, Link: base + a.name, Class: a.class})
	}
	day := p.CreatedAt.In(s.o.Zone).Format("2006-01-02")
	v.Reconcile = Prefix + "reconcile?" + url.Values{"from": {day}, "to": {day}}.Encode()
	s.render(w, http.StatusOK, "payment", s.page(r, se, "Платёж", nil).with("list", v))
}

// fields are every field of p, as `sbpd journal show` prints them.
func (s *Server) fields(p *plugin.Payment) []field {
	errText := "—"
	if p.Error != nil {
		errText = s.text(p.Error.Code + ": " + p.Error.Message)
	}
	yes := map[bool]string{true: "да", false: "нет"}
	return []field{
		{"Наш id", p.ID},
		{"Чек", s.text(p.CheckID)},
		{"Номер заказа", s.text(p.OrderNo)},
		{"Касса", s.text(backoffice.TillOf(p))},
		{"Сумма", rub(p.Amount) + " (" + strconv.FormatInt(p.Amount, 10) + " коп.)"},
		{"Смешанная оплата", yes[p.Mixed]},
		{"Режим", modeWord(p.Mode)},
		{"Состояние sbpd", fmt.Sprintf("%s (%s, код %d)", stateWord(p.State), p.State, p.StateCode)},
		{"Сообщение", s.text(p.Message)},
		{"Причина", s.text(string(p.Reason))},
		{"Ошибка", errText},
		{"PayMaster id", s.text(p.PayMasterID)},
		{"Статус от банка (PayMaster)", s.text(p.PayMasterStatus)},
		{"Код результата", s.text(p.ResultCode)},
		{"Покупатель отменил", yes[p.CancelRequested]},
		{"Отмена отправлена", yes[p.CancelSent]},
		{"Оплачен после отмены", yes[p.LateSettle]},
		{"Ссылка QR", s.text(p.QRPayload)},
		{"Создан", when(p.CreatedAt, s.o.Zone)},
		{"Изменён", when(p.UpdatedAt, s.o.Zone)},
		{"Истекает", when(p.ExpiresAt, s.o.Zone)},
	}
}
