package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

func itoa(n int) string { return strconv.Itoa(n) }

// stuckRow is a paid payment the accounting system was not told about.
type stuckRow struct{ Link, Check, OrderNo, Amount, Paid, Attempts, LastError, Resync string }

// stuck lists the paid payments whose notification was given up
// («Совершён без оповещения»), as `sbpd journal stuck`.
func (s *Server) stuck(w http.ResponseWriter, r *http.Request, se *session) {
	st, err := s.svc().Stuck(r.Context())
	if err != nil {
		s.fail(w, r, se, err)
		return
	}
	rows := []stuckRow{}
	for _, x := range st {
		link := Prefix + "payments/" + url.PathEscape(x.Payment.ID)
		rows = append(rows, stuckRow{Link: link, Check: s.text(x.Payment.CheckID), OrderNo: s.text(x.Payment.OrderNo),
			Amount: rub(x.Payment.Amount), Paid: when(x.Payment.UpdatedAt, s.o.Zone), Attempts: itoa(x.Delivery.Attempts),
			LastError: s.text(x.Delivery.LastError), Resync: link + "/resync"})
	}
	s.render(w, http.StatusOK, "stuck", s.page(r, se, "Без оповещения", nil).with("stuck", rows))
}

// kioskView is the kiosk page.
type kioskView struct {
	Version, Printer string
	Settings         []Setting
	Checks           []Check
	Ran, CanRun      bool
}

// kiosk shows the kiosk's health: the version, the printer, the settings
// in force with their sources; doctor's checks run when its form is posted
// (kioskRun), never on a GET another site could make a browser send.
func (s *Server) kiosk(w http.ResponseWriter, r *http.Request, se *session) {
	s.kioskPage(w, r, se, false)
}

// kioskRun runs doctor's checks, one run or reconciliation at a time.
func (s *Server) kioskRun(w http.ResponseWriter, r *http.Request, se *session) {
	if !s.heavy.try() {
		s.busy(w, r, se, "Киоск", "Сейчас уже идёт проверка киоска или сверка: sbpd делает одну за раз. Повторите, когда она закончится.")
		return
	}
	defer s.heavy.done()
	s.kioskPage(w, r, se, true)
}

func (s *Server) kioskPage(w http.ResponseWriter, r *http.Request, se *session, run bool) {
	v := &kioskView{Version: s.text(s.o.Version), Printer: "не используется", CanRun: s.o.Doctor != nil}
	if s.o.Printer != nil {
		v.Printer = s.scrub(printerWord(s.o.Printer(r.Context())))
	}
	if s.o.Settings != nil {
		for _, st := range s.o.Settings() {
			if st.Secret { // whether it is set, never more, whatever the caller gave
				st.Value = plugin.MaskSecret(st.Value)
			}
			st.Value, st.Source = s.text(st.Value), s.text(st.Source)
			v.Settings = append(v.Settings, st)
		}
	}
	if s.o.Doctor != nil && run {
		v.Ran = true
		for _, c := range s.o.Doctor(r.Context()) {
			c.Message, c.Fix = s.text(c.Message), s.scrub(plugin.Printable(c.Fix))
			v.Checks = append(v.Checks, c)
		}
	}
	s.render(w, http.StatusOK, "kiosk", s.page(r, se, "Киоск", nil).with("kiosk", v))
}

// export streams the payments of the filter in the query as CSV or XLSX
// (format=csv|xlsx), oldest first, as `sbpd journal export`. One export
// runs at a time (another is told to wait: 429); HEAD answers the headers
// only. A refusal before the first byte (an XLSX too large for a sheet) is
// a page; a failure later cuts the download.
func (s *Server) export(w http.ResponseWriter, r *http.Request, se *session) {
	q := cleanQuery(r.URL.Query())
	format := q.Get("format")
	q.Del("format")
	q.Del("limit")
	q.Del("offset")
	if s.o.Export == nil || (format != "csv" && format != "xlsx") {
		s.render(w, http.StatusBadRequest, "message", s.page(r, se, "Выгрузка", &flash{Title: "Неверный формат",
			Text: "Выберите CSV или XLSX.", Detail: "format: use csv or xlsx", Code: "bad_format"}))
		return
	}
	f, err := plugin.ParseFilter(q, s.o.Zone)
	if err != nil {
		s.fail(w, r, se, err)
		return
	}
	ctype := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	name := fmt.Sprintf("sbpd-payments-%s.%s", s.o.Clock.Now().In(s.o.Zone).Format("20060102-150405"), format)
	head := func() {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	if r.Method == http.MethodHead {
		head()
		return
	}
	if !s.exporting.try() {
		s.busy(w, r, se, "Выгрузка", "Сейчас уже идёт другая выгрузка: sbpd делает одну за раз, чтобы не мешать кассе. Повторите, когда она закончится.")
		return
	}
	defer s.exporting.done()
	dw := &deadlineWriter{w: w, head: head}
	if _, err := s.o.Export(r.Context(), dw, f, format); err != nil {
		if !dw.begun {
			s.fail(w, r, se, err)
			return
		}
		// The answer has begun: cut it, so the browser reports a failed
		// download instead of keeping a short file.
		panic(http.ErrAbortHandler)
	}
	if !dw.begun {
		head()
	}
}

// busy answers 429 with a page saying why and when to try again.
func (s *Server) busy(w http.ResponseWriter, r *http.Request, se *session, title, text string) {
	w.Header().Set("Retry-After", strconv.Itoa(int(retryBusy/time.Second)))
	s.render(w, http.StatusTooManyRequests, "message", s.page(r, se, title, &flash{Title: "Подождите", Text: text, Code: "busy"}))
}

// retryBusy is the Retry-After of a job refused because one runs.
const retryBusy = 30 * time.Second

// gate lets one long job of its kind run at a time.
type gate chan struct{}

func newGate() gate { return make(gate, 1) }

// try takes the gate, or reports that a job holds it.
func (g gate) try() bool {
	select {
	case g <- struct{}{}:
		return true
	default:
		return false
	}
}

func (g gate) done() { <-g }

// deadlineWriter gives every write of a long download its own write
// deadline, as the daemon's event streams have, and sends the download's
// headers (head) with its first byte.
type deadlineWriter struct {
	w     http.ResponseWriter
	head  func()
	begun bool
}

const writeWindow = 30 * time.Second

func (d *deadlineWriter) Write(b []byte) (int, error) {
	if !d.begun {
		d.begun = true
		d.head()
	}
	// A network deadline is the wall clock's, not the injectable clock's.
	_ = http.NewResponseController(d.w).SetWriteDeadline(time.Now().Add(writeWindow))
	return d.w.Write(b)
}

var _ io.Writer = (*deadlineWriter)(nil)
