package sandbox

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// apiError is the API's error body.
type apiError struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Errors  []string `json:"errors,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		noBody(w, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

func (s *Server) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.opts.Token)) == 1
}

// handleAPI answers an API call once the faults let it through.
func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request, kind, id string) {
	s.mu.Lock()
	s.handled[kind]++
	s.mu.Unlock()
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, apiError{Code: "not_authorized",
			Message: "Authorization failed: send a valid token as \"Authorization: Bearer <token>\""})
		return
	}
	switch kind {
	case KindCreate:
		s.create(w, r)
	case KindGet:
		s.get(w, id)
	case KindList:
		s.list(w, r)
	case KindCancel:
		s.cancel(w, id)
	case KindSticker:
		s.sticker(w, id)
	default:
		notFound(w)
	}
}

type createIn struct {
	MerchantID string `json:"merchantId"`
	TestMode   bool   `json:"testMode"`
	Invoice    *struct {
		Description string            `json:"description"`
		OrderNo     string            `json:"orderNo"`
		Expires     string            `json:"expires"`
		Params      map[string]string `json:"params"`
	} `json:"invoice"`
	Amount *struct {
		Value    json.RawMessage `json:"value"`
		Currency string          `json:"currency"`
	} `json:"amount"`
	PaymentData *struct {
		PaymentMethod string `json:"paymentMethod"`
		StickerID     string `json:"stickerId"`
	} `json:"paymentData"`
}

func validationError(w http.ResponseWriter, errs ...string) {
	writeJSON(w, http.StatusBadRequest, apiError{Code: "validation_error", Message: "Request is invalid, see errors", Errors: errs})
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		validationError(w, "Request body could not be read")
		return
	}
	var in createIn
	if err := json.Unmarshal(data, &in); err != nil {
		validationError(w, "Request body is not valid JSON: "+err.Error())
		return
	}
	key := r.Header.Get("Idempotency-Key")

	s.mu.Lock()
	defer s.mu.Unlock()
	if used, ok := s.keys[key]; ok && key != "" {
		if s.replayKey(w, used) {
			return
		}
		s.log.Info("sandbox: idempotency key reused", "payment", used)
		writeJSON(w, http.StatusConflict, apiError{Code: "idempotency_key_violation",
			Message: "Idempotency key has already been used"})
		return
	}
	p, errs := s.validate(in)
	errs = append(errs, s.dialectErrors(in)...)
	if len(errs) > 0 {
		validationError(w, errs...)
		return
	}
	now := s.clock.Now()
	p.ID = strconv.FormatInt(s.nextID, 10)
	s.nextID++
	p.Created = now.UTC().Truncate(time.Second)
	p.IdempotencyKey = key
	p.ResultCode = ResultSuccess
	if p.StickerID != "" {
		p.Status = StatusPending
		for _, old := range s.order {
			old.refresh(now)
			if old.StickerID == p.StickerID && !final(old.Status) {
				old.Status, old.ResultCode = StatusCancelled, ResultOperationNotAllowed
				s.log.Info("sandbox: sticker activation superseded", "payment", old.ID, "sticker", p.StickerID)
			}
		}
	} else {
		p.Status = StatusConfirmation
		p.PaymentURL = qrLink(p)
		p.qrAfter = s.qrAfterGets
	}
	s.payments[p.ID] = p
	s.order = append(s.order, p)
	if key != "" {
		s.keys[key] = p.ID
	}
	s.log.Info("sandbox: payment created", "payment", p.ID, "order_no", p.OrderNo, "amount", p.Amount)
	writeJSON(w, http.StatusOK, s.render(p))
}

// validate checks a create request like the API does and lists every
// problem. Call with s.mu held.
func (s *Server) validate(in createIn) (*payment, []string) {
	p := &payment{}
	var errs []string
	if in.MerchantID != s.opts.MerchantID {
		errs = append(errs, "MerchantId is unknown")
	}
	p.TestMode = in.TestMode
	if in.Invoice == nil {
		errs = append(errs, "Invoice is required")
	} else {
		p.Description = in.Invoice.Description
		p.OrderNo = in.Invoice.OrderNo
		p.params = in.Invoice.Params
		if strings.TrimSpace(p.Description) == "" {
			errs = append(errs, "Invoice.Description is required")
		}
		if strings.TrimSpace(p.OrderNo) == "" {
			errs = append(errs, "Invoice.OrderNo is required")
		}
		if in.Invoice.Expires != "" {
			t, err := time.Parse(time.RFC3339Nano, in.Invoice.Expires)
			switch {
			case err != nil:
				errs = append(errs, "Invoice.Expires must be an ISO 8601 date, e.g. 2024-06-01T10:15:00Z")
			case !t.After(s.clock.Now()):
				errs = append(errs, "Invoice.Expires must be in the future")
			}
			p.Expires, p.expiresRaw = t, in.Invoice.Expires
		}
	}
	if in.Amount == nil {
		errs = append(errs, "Amount is required")
	} else {
		k, err := parseAmount(in.Amount.Value)
		if err != nil {
			errs = append(errs, err.Error())
		}
		p.Amount = k
		if in.Amount.Currency != "RUB" {
			errs = append(errs, "Amount.Currency must be RUB")
		}
	}
	if in.PaymentData == nil {
		errs = append(errs, "PaymentData is required")
	} else {
		if !strings.EqualFold(in.PaymentData.PaymentMethod, "SBP") {
			errs = append(errs, "PaymentData.PaymentMethod must be SBP")
		}
		if id := in.PaymentData.StickerID; id != "" {
			switch st := s.stickers[id]; {
			case st == nil:
				errs = append(errs, fmt.Sprintf("PaymentData.StickerId %q is not a registered sticker", id))
			case !st.cashlink:
				errs = append(errs, fmt.Sprintf("PaymentData.StickerId %q is not a cash-link sticker", id))
			case !st.active:
				errs = append(errs, fmt.Sprintf("PaymentData.StickerId %q is not active", id))
			}
			p.StickerID = id
		}
	}
	return p, errs
}

// notFound answers a call about a payment, sticker or endpoint the sandbox
// does not know. None of the six documented error codes names a missing
// resource and the status is undocumented, so the answer is invented: HTTP
// 404 with no body, no code.
func notFound(w http.ResponseWriter) { noBody(w, http.StatusNotFound) }

// noBody answers status with an empty body.
func noBody(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

func (s *Server) get(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		notFound(w)
		return
	}
	p.refresh(s.clock.Now())
	p.Gets++
	writeJSON(w, http.StatusOK, s.render(p))
}

type listOut struct {
	Items  []any  `json:"items"` // paymentOut, or a map in a Dialect that leaves fields out
	Cursor string `json:"cursor,omitempty"`
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var errs []string
	if q.Get("merchantId") != s.opts.MerchantID {
		errs = append(errs, "MerchantId is unknown")
	}
	start, err1 := time.Parse(time.RFC3339Nano, q.Get("start"))
	if err1 != nil {
		errs = append(errs, "Start must be an ISO 8601 date, e.g. 2024-06-01T10:00:00Z")
	}
	end, err2 := time.Parse(time.RFC3339Nano, q.Get("end"))
	if err2 != nil {
		errs = append(errs, "End must be an ISO 8601 date, e.g. 2024-06-01T11:00:00Z")
	}
	after := int64(0)
	if c := q.Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		n, err2 := strconv.ParseInt(strings.TrimPrefix(string(b), "after:"), 10, 64)
		if err != nil || err2 != nil || !strings.HasPrefix(string(b), "after:") {
			errs = append(errs, "Cursor is invalid")
		}
		after = n
	}
	if len(errs) > 0 {
		validationError(w, errs...)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	out := listOut{Items: []any{}}
	lastID := ""
	for _, p := range s.order {
		n, _ := strconv.ParseInt(p.ID, 10, 64)
		if n <= after || p.Created.Before(start) || p.Created.After(end) {
			continue
		}
		if len(out.Items) == s.opts.PageSize {
			out.Cursor = base64.RawURLEncoding.EncodeToString([]byte("after:" + lastID))
			break
		}
		p.refresh(now)
		out.Items = append(out.Items, s.listRow(s.render(p)))
		lastID = p.ID
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) cancel(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		notFound(w)
		return
	}
	p.refresh(s.clock.Now())
	p.CancelCalls++
	if final(p.Status) {
		writeJSON(w, http.StatusBadRequest, apiError{Code: "invalid_operation",
			Message: fmt.Sprintf("Payment %s is %s and cannot be cancelled", id, p.Status)})
		return
	}
	switch s.cancelMode {
	case CancelReject:
		writeJSON(w, http.StatusBadRequest, apiError{Code: "invalid_operation",
			Message: fmt.Sprintf("Payment %s cannot be cancelled now", id)})
		return
	case CancelAcceptPending:
		// accepted, but the payment goes on: a later Pay settles it
	default:
		p.Status, p.ResultCode = StatusCancelled, ResultCancelledByUser
	}
	p.CancelAccepted = true
	s.log.Info("sandbox: cancel accepted", "payment", id, "status", p.Status)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

type stickerOut struct {
	ID          string `json:"id"`
	MerchantID  string `json:"merchantId"`
	StickerType string `json:"stickerType"`
	Cashlink    bool   `json:"cashlink"`
	Status      string `json:"status"`
	Payload     string `json:"payload"`
}

// stickerState is a registered sticker.
type stickerState struct {
	cashlink bool
	active   bool
}

func (s *Server) sticker(w http.ResponseWriter, id string) {
	s.mu.Lock()
	var st stickerState
	p := s.stickers[id]
	if p != nil {
		st = *p
	}
	s.mu.Unlock()
	if p == nil {
		notFound(w)
		return
	}
	status := "Active"
	if !st.active {
		status = "Inactive"
	}
	writeJSON(w, http.StatusOK, stickerOut{ID: id, MerchantID: s.opts.MerchantID, StickerType: "Sbp",
		Cashlink: st.cashlink, Status: status, Payload: stickerQR(id)})
}
