package sandbox

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// CancelMode is how the sandbox answers PUT /payments/{id}/cancel for a
// payment that is not final.
type CancelMode int

const (
	CancelAccept        CancelMode = iota // 200, and the payment is Cancelled at once (default)
	CancelAcceptPending                   // 200, but the payment stays pending: a later Pay settles it
	CancelReject                          // 400 invalid_operation
)

var cancelModeNames = map[CancelMode]string{
	CancelAccept:        "accept",
	CancelAcceptPending: "accept_pending",
	CancelReject:        "reject",
}

func (m CancelMode) String() string {
	if s, ok := cancelModeNames[m]; ok {
		return s
	}
	return fmt.Sprintf("CancelMode(%d)", int(m))
}

// ParseCancelMode reads "accept", "accept_pending" or "reject".
func ParseCancelMode(s string) (CancelMode, error) {
	for m, name := range cancelModeNames {
		if name == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("sandbox: cancel mode %q is not one of accept, accept_pending, reject", s)
}

// Errors of the control API.
var (
	ErrUnknownPayment = errors.New("no such payment")
	ErrFinal          = errors.New("payment is already final")
)

// change applies fn to a payment that is not final, after expiring it if
// its time is up.
func (s *Server) change(id string, fn func(p *payment)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return fmt.Errorf("sandbox: payment %s: %w", id, ErrUnknownPayment)
	}
	p.refresh(s.clock.Now())
	if final(p.Status) {
		return fmt.Errorf("sandbox: payment %s is %s/%s: %w", id, p.Status, p.ResultCode, ErrFinal)
	}
	fn(p)
	s.log.Info("sandbox: payment changed", "payment", id, "status", p.Status, "result_code", p.ResultCode)
	return nil
}

// Pay settles a payment for its amount, as if the shopper paid.
func (s *Server) Pay(id string) error {
	return s.change(id, func(p *payment) {
		p.Status, p.ResultCode, p.PaidAmount = StatusSettled, ResultSuccess, p.Amount
	})
}

// PayAmount settles a payment reporting another amount, for mismatch tests.
func (s *Server) PayAmount(id string, kopecks int64) error {
	if kopecks <= 0 {
		return fmt.Errorf("sandbox: pay amount %d must be positive kopecks", kopecks)
	}
	return s.change(id, func(p *payment) {
		p.Status, p.ResultCode, p.PaidAmount = StatusSettled, ResultSuccess, kopecks
	})
}

// Decline rejects a payment with resultCode, e.g. InsufficientFunds or
// CancelledByUser (the default when resultCode is empty).
func (s *Server) Decline(id, resultCode string) error {
	if resultCode == "" {
		resultCode = ResultCancelledByUser
	}
	return s.change(id, func(p *payment) { p.Status, p.ResultCode = StatusRejected, resultCode })
}

// Expire ends a payment as its invoice running out would:
// Cancelled/PaymentExpired.
func (s *Server) Expire(id string) error {
	return s.change(id, func(p *payment) { p.Status, p.ResultCode = StatusCancelled, ResultPaymentExpired })
}

// SetStatus sets any status string, final or not, known or not.
func (s *Server) SetStatus(id, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return fmt.Errorf("sandbox: payment %s: %w", id, ErrUnknownPayment)
	}
	p.Status = status
	return nil
}

// SetCancelMode sets how cancels are answered from now on.
func (s *Server) SetCancelMode(m CancelMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancelMode = m
}

// SetQRAfterGets makes new QR payments answer "Pending" without a
// confirmation for their first n GETs; GET n+1 shows "Confirmation" with
// the paymentUrl. 0 shows it at once (also in the create answer).
func (s *Server) SetQRAfterGets(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.qrAfterGets = max(n, 0)
}

// SetStickerActive activates or deactivates a registered sticker, as
// PUT /api/v2/stickers/{id} {"active": bool} does: GET shows "Active" or
// "Inactive", and an inactive sticker cannot be activated by a payment.
func (s *Server) SetStickerActive(id string, active bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stickers[id]
	if st == nil {
		return fmt.Errorf("sandbox: sticker %s is not registered", id)
	}
	st.active = active
	return nil
}

// Payments returns a snapshot of every payment, oldest first.
func (s *Server) Payments() []Payment {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	out := make([]Payment, 0, len(s.order))
	for _, p := range s.order {
		p.refresh(now)
		out = append(out, p.Payment)
	}
	return out
}

// Payment returns a snapshot of one payment.
func (s *Server) Payment(id string) (Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return Payment{}, false
	}
	p.refresh(s.clock.Now())
	return p.Payment, true
}

// Calls counts the /api/v2/ requests of a kind received (see the Kind
// constants), including those a fault answered, dropped or that failed auth.
func (s *Server) Calls(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received[kind]
}

// Handled counts the requests of a kind that reached the API handler,
// i.e. were not stopped by a fault applied before handling.
func (s *Server) Handled(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handled[kind]
}

// PaymentCalls counts the requests of a kind (get or cancel) received for
// one payment id, including faulted ones.
func (s *Server) PaymentCalls(id, kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perPayment[id][kind]
}

// Requests returns the /api/v2/ requests received, oldest first (the most
// recent ones; the log keeps at most 10000).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// HTTP control endpoints under /sandbox/.

func (s *Server) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /sandbox/payments/{id}/pay", s.ctlPay)
	mux.HandleFunc("POST /sandbox/payments/{id}/decline", s.ctlDecline)
	mux.HandleFunc("POST /sandbox/payments/{id}/expire", s.ctlExpire)
	mux.HandleFunc("POST /sandbox/payments/{id}/status", s.ctlStatus)
	mux.HandleFunc("GET /sandbox/payments", s.ctlPayments)
	mux.HandleFunc("GET /sandbox/payments/{id}", s.ctlPayment)
	mux.HandleFunc("POST /sandbox/faults", s.ctlAddFault)
	mux.HandleFunc("DELETE /sandbox/faults", s.ctlClearFaults)
	mux.HandleFunc("POST /sandbox/config", s.ctlConfig)
	mux.HandleFunc("/sandbox/", func(w http.ResponseWriter, r *http.Request) {
		ctlError(w, http.StatusNotFound, fmt.Sprintf("no control endpoint %s %s; see the sandbox package doc", r.Method, r.URL.Path))
	})
}

type ctlErrorOut struct {
	Error string `json:"error"`
}

func ctlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, ctlErrorOut{Error: msg})
}

// ctlBody decodes an optional JSON body strictly into v. It writes a 400
// and returns false when the body is bad.
func ctlBody(w http.ResponseWriter, r *http.Request, v any) bool {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		ctlError(w, http.StatusBadRequest, "could not read the request body")
		return false
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return true
	}
	if err := decodeStrict(data, v); err != nil {
		ctlError(w, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return false
	}
	return true
}

// ctlResult answers a control change: the payment, or why it failed.
func (s *Server) ctlResult(w http.ResponseWriter, id string, err error) {
	switch {
	case errors.Is(err, ErrUnknownPayment):
		ctlError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, ErrFinal):
		ctlError(w, http.StatusConflict, err.Error())
	case err != nil:
		ctlError(w, http.StatusBadRequest, err.Error())
	default:
		p, _ := s.Payment(id)
		writeJSON(w, http.StatusOK, p)
	}
}

func (s *Server) ctlPay(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Amount *int64 `json:"amount"`
	}
	if !ctlBody(w, r, &in) {
		return
	}
	id := r.PathValue("id")
	if in.Amount != nil {
		s.ctlResult(w, id, s.PayAmount(id, *in.Amount))
		return
	}
	s.ctlResult(w, id, s.Pay(id))
}

func (s *Server) ctlDecline(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ResultCode string `json:"result_code"`
	}
	if !ctlBody(w, r, &in) {
		return
	}
	id := r.PathValue("id")
	s.ctlResult(w, id, s.Decline(id, in.ResultCode))
}

func (s *Server) ctlExpire(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.ctlResult(w, id, s.Expire(id))
}

func (s *Server) ctlStatus(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Status string `json:"status"`
	}
	if !ctlBody(w, r, &in) {
		return
	}
	if strings.TrimSpace(in.Status) == "" {
		ctlError(w, http.StatusBadRequest, `body must be {"status": "<any status string>"}`)
		return
	}
	id := r.PathValue("id")
	s.ctlResult(w, id, s.SetStatus(id, in.Status))
}

func (s *Server) ctlPayments(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Payments())
}

func (s *Server) ctlPayment(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, ok := s.Payment(id)
	if !ok {
		ctlError(w, http.StatusNotFound, fmt.Sprintf("sandbox: payment %s: %v", id, ErrUnknownPayment))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) ctlAddFault(w http.ResponseWriter, r *http.Request) {
	var in faultJSON
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil || len(strings.TrimSpace(string(data))) == 0 {
		ctlError(w, http.StatusBadRequest, `body must be a fault, e.g. {"method":"GET","status":503,"times":2}`)
		return
	}
	if err := decodeStrict(data, &in); err != nil {
		ctlError(w, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return
	}
	f, err := in.fault()
	if err != nil {
		ctlError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.AddFault(f)
	writeJSON(w, http.StatusOK, map[string]string{"added": f.String()})
}

func (s *Server) ctlClearFaults(w http.ResponseWriter, r *http.Request) {
	s.ClearFaults()
	writeJSON(w, http.StatusOK, map[string]bool{"cleared": true})
}

func (s *Server) ctlConfig(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Cancel      *string `json:"cancel"`
		QRAfterGets *int    `json:"qr_after_gets"`
	}
	if !ctlBody(w, r, &in) {
		return
	}
	var mode CancelMode
	if in.Cancel != nil {
		m, err := ParseCancelMode(*in.Cancel)
		if err != nil {
			ctlError(w, http.StatusBadRequest, err.Error())
			return
		}
		mode = m
	}
	if in.QRAfterGets != nil && *in.QRAfterGets < 0 {
		ctlError(w, http.StatusBadRequest, "qr_after_gets must be 0 or more")
		return
	}
	if in.Cancel != nil {
		s.SetCancelMode(mode)
	}
	if in.QRAfterGets != nil {
		s.SetQRAfterGets(*in.QRAfterGets)
	}
	s.mu.Lock()
	out := map[string]any{"cancel": s.cancelMode.String(), "qr_after_gets": s.qrAfterGets}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}
