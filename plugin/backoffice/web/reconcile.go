package web

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// diffRow is one difference of a reconciliation.
type diffRow struct {
	Kind, Payment, Link, OrderNo, Here, There, Detail, Outcome string
}

// reconcileView is the reconciliation page.
type reconcileView struct {
	From, To string
	Ran      bool
	Applied  bool
	Summary  string
	Counts   string
	Diffs    []diffRow
	Safe     int    // differences --apply would resolve
	Hidden   string // the differences past maxDiffs, counted by kind
}

// maxDiffs is the most differences the page lists; the rest are counted.
const maxDiffs = 200

// reconcile shows the reconciliation form, filled from the query; it
// runs nothing: a reconciliation reads PayMaster and the journal, so it
// is a POST with the form's CSRF token (another site can make a browser
// GET a page, never post this form).
func (s *Server) reconcile(w http.ResponseWriter, r *http.Request, se *session) {
	q := r.URL.Query()
	v := &reconcileView{From: bounded(q.Get("from"), maxName), To: bounded(q.Get("to"), maxName)}
	s.render(w, http.StatusOK, "reconcile", s.page(r, se, "Сверка с PayMaster", nil).with("reconcile", v))
}

// reconcileRun compares the period (apply=1: and resolves its safe
// differences, only after a login), one reconciliation or doctor's run at
// a time.
func (s *Server) reconcileRun(w http.ResponseWriter, r *http.Request, se *session) {
	v := &reconcileView{From: bounded(r.PostFormValue("from"), maxName), To: bounded(r.PostFormValue("to"), maxName)}
	apply := r.PostFormValue("apply") == "1"
	if apply && s.readOnly() {
		s.refuseReadOnly(w, r, se)
		return
	}
	if !s.heavy.try() {
		s.busy(w, r, se, "Сверка с PayMaster", "Сейчас уже идёт сверка или проверка киоска: sbpd делает одну за раз. Повторите, когда она закончится.")
		return
	}
	defer s.heavy.done()
	s.runReconcile(w, r, se, v, apply)
}

func (s *Server) runReconcile(w http.ResponseWriter, r *http.Request, se *session, v *reconcileView, apply bool) {
	from, to, err := plugin.ParseBoundedPeriod(v.From, v.To, s.o.Zone)
	if err == nil {
		var rep backoffice.Report
		if rep, err = s.svc().Reconcile(r.Context(), from, to, apply, webWho("", se)); err == nil {
			s.fillReport(v, rep, apply)
			s.render(w, http.StatusOK, "reconcile", s.page(r, se, "Сверка с PayMaster", nil).with("reconcile", v))
			return
		}
	}
	status, f := failure(err)
	s.render(w, status, "reconcile", s.page(r, se, "Сверка с PayMaster", f).with("reconcile", v))
}

func (s *Server) fillReport(v *reconcileView, rep backoffice.Report, apply bool) {
	v.Ran, v.Applied = true, apply
	v.Summary = fmt.Sprintf("Расхождений: %d, исправлено: %d, осталось: %d", len(rep.Differences), rep.Resolved, rep.Remaining)
	v.Counts = countsText(rep)
	side := func(state string, n *int64) string {
		if state == "" || n == nil {
			return "—"
		}
		return s.text(state) + ", " + rub(*n)
	}
	hidden := map[string]int{}
	for i, d := range rep.Differences {
		if d.Safe != "" && !apply {
			v.Safe++
		}
		if i >= maxDiffs {
			hidden[d.Kind]++
			continue
		}
		here := d.State
		if here != "" {
			here = stateWord(plugin.State(here))
		}
		dr := diffRow{Kind: s.text(d.Kind), Payment: s.text(d.PaymentID), OrderNo: s.text(d.OrderNo),
			Here: side(here, d.Amount), There: side(d.PayMasterStatus, d.PayMasterAmount), Detail: s.text(d.Detail)}
		if d.PaymentID != "" {
			dr.Link = Prefix + "payments/" + url.PathEscape(d.PaymentID)
		}
		switch {
		case d.Resolved != "":
			dr.Outcome = "исправлено: теперь «" + stateWord(plugin.State(d.Resolved)) + "»"
		case d.Safe != "" && !apply:
			dr.Outcome = "можно исправить: станет «" + stateWord(d.Safe) + "»"
		default:
			dr.Outcome = "решает человек"
		}
		v.Diffs = append(v.Diffs, dr)
	}
	v.Hidden = hiddenText(hidden)
}

// hiddenText counts the differences not listed, by kind.
func hiddenText(hidden map[string]int) string {
	if len(hidden) == 0 {
		return ""
	}
	n, parts := 0, []string{}
	for _, k := range slices.Sorted(maps.Keys(hidden)) {
		n += hidden[k]
		parts = append(parts, plugin.Printable(k)+": "+itoa(hidden[k]))
	}
	return fmt.Sprintf("Показаны первые %d расхождений; ещё %d не показаны (%s). Сверьте период короче или смотрите все в sbpd journal reconcile.",
		maxDiffs, n, strings.Join(parts, ", "))
}

func countsText(rep backoffice.Report) string {
	parts := []string{itoa(rep.Journal) + " в журнале", itoa(rep.PayMaster) + " в PayMaster"}
	if rep.Active > 0 {
		parts = append(parts, itoa(rep.Active)+" ещё идут (пропущены)")
	}
	if rep.OtherTills > 0 {
		parts = append(parts, itoa(rep.OtherTills)+" других касс (не сравниваются)")
	}
	if rep.Probes > 0 {
		parts = append(parts, "пробных платежей sbpd paymaster probe: "+itoa(rep.Probes)+" (не сравниваются)")
	}
	return strings.Join(parts, ", ")
}
