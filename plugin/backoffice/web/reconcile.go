package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

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
	Safe     int // differences --apply would resolve
}

// period reads the period of a reconciliation as `sbpd journal reconcile`
// reads --from and --to: both required, a date given to "to" includes
// that day.
func (s *Server) period(from, to string) (time.Time, time.Time, error) {
	var t [2]time.Time
	for i, v := range []string{from, to} {
		name := [2]string{"from", "to"}[i]
		if strings.TrimSpace(v) == "" {
			return t[0], t[1], &plugin.FilterError{Param: name, Value: v, Rule: "required, e.g. 2025-03-14"}
		}
		var err error
		if t[i], err = plugin.ParseTime(v, s.o.Zone, i == 1); err != nil {
			return t[0], t[1], &plugin.FilterError{Param: name, Value: v, Rule: err.Error()}
		}
	}
	return t[0], t[1], nil
}

// reconcile shows the reconciliation form, and the differences once a
// period is given; nothing is changed.
func (s *Server) reconcile(w http.ResponseWriter, r *http.Request, se *session) {
	q := r.URL.Query()
	v := &reconcileView{From: q.Get("from"), To: q.Get("to")}
	if v.From == "" && v.To == "" {
		s.render(w, http.StatusOK, "reconcile", s.page(r, se, "Сверка с PayMaster", nil).with("reconcile", v))
		return
	}
	s.runReconcile(w, r, se, v, false)
}

// reconcileApply resolves the safe differences of the period.
func (s *Server) reconcileApply(w http.ResponseWriter, r *http.Request, se *session) {
	v := &reconcileView{From: r.PostFormValue("from"), To: r.PostFormValue("to")}
	s.runReconcile(w, r, se, v, true)
}

func (s *Server) runReconcile(w http.ResponseWriter, r *http.Request, se *session, v *reconcileView, apply bool) {
	from, to, err := s.period(v.From, v.To)
	if err == nil {
		var rep backoffice.Report
		if rep, err = s.o.Service.Reconcile(r.Context(), from, to, apply); err == nil {
			s.fillReport(v, rep, apply)
			s.render(w, http.StatusOK, "reconcile", s.page(r, se, "Сверка с PayMaster", nil).with("reconcile", v))
			return
		}
	}
	status, f := failure(err)
	s.render(w, status, "reconcile", s.page(r, se, "Сверка с PayMaster", f).with("reconcile", v))
}

func (s *Server) fillReport(v *reconcileView, rep backoffice.Report, apply bool) {
	v.Ran, v.Applied, v.Summary = true, apply, rep.Summary()
	v.Counts = countsText(rep)
	side := func(state string, n *int64) string {
		if state == "" || n == nil {
			return "—"
		}
		return s.text(state) + ", " + rub(*n)
	}
	for _, d := range rep.Differences {
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
			v.Safe++
		default:
			dr.Outcome = "решает человек"
		}
		v.Diffs = append(v.Diffs, dr)
	}
}

func countsText(rep backoffice.Report) string {
	parts := []string{itoa(rep.Journal) + " в журнале", itoa(rep.PayMaster) + " в PayMaster"}
	if rep.Active > 0 {
		parts = append(parts, itoa(rep.Active)+" ещё идут (пропущены)")
	}
	if rep.OtherTills > 0 {
		parts = append(parts, itoa(rep.OtherTills)+" других касс (не сравниваются)")
	}
	return strings.Join(parts, ", ")
}
