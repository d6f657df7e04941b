package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// act is one act on a payment, confirmed on a page of its own.
type act struct {
	name, label, class string
	question           string // what the confirmation asks
	reason             string // the reason field's label; "" for none asked
	force              bool   // offers to force it past PayMaster
	run                func(s *Server, ctx context.Context, id string, in actInput) (string, error)
}

// actInput is what the confirmation form gives.
type actInput struct {
	Who, Reason string
	Force       bool
}

// acts are the payment page's buttons, in order.
var acts = []act{
	{name: "resync", label: "Отправить оповещение", question: "Отправить оповещение в учётную систему ещё раз (с тем же id доставки)?",
		reason: "Причина (необязательно)", run: (*Server).resync},
	{name: "mark-paid", label: "Отметить оплаченным", class: "warn", force: true,
		question: "Отметить платёж оплаченным? Сначала sbpd спросит PayMaster; если он не подтвердит оплату той же суммы, ничего не изменится.",
		reason:   "Причина (обязательно), например «банк подтвердил, заявка 4411»", run: (*Server).markPaid},
	{name: "mark-not-paid", label: "Отметить неоплаченным", class: "warn", force: true,
		question: "Отметить платёж неоплаченным? Сначала sbpd спросит PayMaster; если деньги пришли или платёж ещё открыт, ничего не изменится.",
		reason:   "Причина (обязательно)", run: (*Server).markNotPaid},
	{name: "mark-entered", label: "Внесено вручную", question: "Записать, что платёж внесён в учётную систему вручную? Оповещение больше никогда не будет отправлено; отменить нельзя.",
		reason: "Кто и где внёс (обязательно)", run: (*Server).markEntered},
}

func actNamed(name string) (act, bool) {
	for _, a := range acts {
		if a.name == name {
			return a, true
		}
	}
	return act{}, false
}

// confirmView is an act's confirmation page.
type confirmView struct {
	ID, Title, Question, Action, Back, Label, ReasonLabel, Who, Reason string
	Force, Forced                                                      bool
}

// confirm asks before an act.
func (s *Server) confirm(w http.ResponseWriter, r *http.Request, se *session) {
	a, ok := actNamed(r.PathValue("act"))
	if !ok {
		s.notFound(w, r, se)
		return
	}
	if s.readOnly() {
		s.refuseReadOnly(w, r, se)
		return
	}
	p, err := s.svc().Find(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, se, err)
		return
	}
	s.render(w, http.StatusOK, "confirm", s.page(r, se, a.label, nil).with("list", s.confirmOf(a, p, actInput{Who: se.name})))
}

func (s *Server) confirmOf(a act, p *plugin.Payment, in actInput) *confirmView {
	base := Prefix + "payments/" + url.PathEscape(p.ID)
	return &confirmView{ID: p.ID, Title: fmt.Sprintf("%s: платёж %s, чек %s, %s", a.label, s.text(p.OrderNo), s.text(p.CheckID), rub(p.Amount)),
		Question: a.question, Action: base + "/" + a.name, Back: base, Label: a.label, ReasonLabel: a.reason,
		Force: a.force, Who: s.scrub(in.Who), Reason: s.scrub(in.Reason), Forced: in.Force}
}

// act does an act after its confirmation on the payment the path's id
// names (our id, an order number or a PayMaster id, as the service's
// Find): on success back to the payment with the outcome; a refusal
// shows the form again with the service's reason, as the CLI prints it.
func (s *Server) act(w http.ResponseWriter, r *http.Request, se *session) {
	a, ok := actNamed(r.PathValue("act"))
	if !ok {
		s.notFound(w, r, se)
		return
	}
	if s.readOnly() {
		s.refuseReadOnly(w, r, se)
		return
	}
	in := actInput{Who: bounded(r.PostFormValue("by"), maxName), Reason: strings.TrimSpace(r.PostFormValue("reason")),
		Force: a.force && r.PostFormValue("force") == "on"}
	// The id goes to the service as the CLI gives it: the same answers and
	// refusals (an unknown id included).
	id := r.PathValue("id")
	done, err := a.run(s, r.Context(), id, actInput{Who: webWho(in.Who, se), Reason: in.Reason, Force: in.Force})
	if err != nil {
		status, f := failure(err)
		p, ferr := s.svc().Find(r.Context(), id)
		if ferr != nil {
			s.render(w, status, "message", s.page(r, se, a.label, f))
			return
		}
		s.render(w, status, "confirm", s.page(r, se, a.label, f).with("list", s.confirmOf(a, p, in)))
		return
	}
	s.sessions.setFlash(se, &flash{OK: true, Title: a.label + ": готово", Text: done})
	// Back to the payment under our id, whichever reference named it.
	if p, err := s.svc().Find(r.Context(), id); err == nil {
		id = p.ID
	}
	http.Redirect(w, r, Prefix+"payments/"+url.PathEscape(id), http.StatusSeeOther)
}

// webWho is the actor an act of the web records: "web:" and the name
// given in the form or at login, or "web".
func webWho(given string, se *session) string {
	if given == "" {
		given = se.name
	}
	if given == "" {
		return "web"
	}
	return "web:" + given
}

func (s *Server) resync(ctx context.Context, id string, in actInput) (string, error) {
	svc := s.svc()
	d, err := svc.Resync(ctx, id, in.Who, in.Reason)
	if err != nil {
		return "", err
	}
	if svc.NoNotify {
		return fmt.Sprintf("оповещение %s поставлено в очередь; адрес учётной системы (notify.url) не задан: sbpd отправит оповещение, когда адрес будет задан", plugin.Printable(d.ID)), nil
	}
	return fmt.Sprintf("оповещение %s поставлено в очередь; sbpd отправит его в учётную систему в течение нескольких секунд", plugin.Printable(d.ID)), nil
}

func (s *Server) mark(ctx context.Context, id string, in actInput, paid bool) (string, error) {
	got, err := s.svc().Mark(ctx, backoffice.Mark{ID: id, Paid: paid, Reason: in.Reason, Who: in.Who, Force: in.Force})
	if err != nil {
		return "", err
	}
	text := fmt.Sprintf("платёж теперь «%s»; %s", stateWord(got.Payment.State), plugin.Printable(got.Said))
	if got.Forced != "" {
		text += "; записано как принудительное: " + plugin.Printable(got.Forced)
	}
	return text, nil
}

func (s *Server) markPaid(ctx context.Context, id string, in actInput) (string, error) {
	return s.mark(ctx, id, in, true)
}

func (s *Server) markNotPaid(ctx context.Context, id string, in actInput) (string, error) {
	return s.mark(ctx, id, in, false)
}

func (s *Server) markEntered(ctx context.Context, id string, in actInput) (string, error) {
	if err := s.svc().MarkEntered(ctx, id, in.Who, in.Reason); err != nil {
		return "", err
	}
	return "платёж отмечен как внесённый в учёт вручную; sbpd больше не будет его отправлять", nil
}
