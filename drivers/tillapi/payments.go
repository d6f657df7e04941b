package tillapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sbpd/sbpd/plugin"
)

// startFields are the fields of a start request, in the order error
// messages list them.
var startFields = []string{"check_id", "amount", "mixed"}

const (
	startExample   = `{"check_id":"000153","amount":25990,"mixed":false}`
	amountRule     = "amount must be a positive whole number of kopecks, e.g. 25990 for 259,90 ₽"
	maxEchoedValue = 40 // bytes of a bad value quoted back in a message
	maxNamedFields = 3  // unknown fields a message names; the rest are counted
)

// inputError is a bad request body: the status, code and message to answer.
type inputError struct {
	status  int
	code    string
	message string
}

func (e *inputError) Error() string { return e.message }

func invalid(code, format string, args ...any) *inputError {
	return &inputError{http.StatusUnprocessableEntity, code, fmt.Sprintf(format, args...)}
}

// start handles POST /api/v1/payments.
func (h *handler) start(w http.ResponseWriter, r *http.Request) {
	req, ierr := h.readStart(w, r)
	if ierr != nil {
		writeError(w, ierr.status, ierr.code, ierr.message)
		return
	}
	if err := req.Validate(); err != nil {
		h.fail(w, r, err)
		return
	}
	p, created, err := h.payments.Start(r.Context(), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	notePayment(w, p.ID, p.CheckID)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/payments/"+url.PathEscape(p.ID))
	}
	writeJSON(w, status, decorated(p))
}

// readStart reads and decodes a start request body strictly: one JSON
// object, only the known fields, amount an integer, check_id a string,
// mixed a bool. The rules of the values themselves are req.Validate's.
func (h *handler) readStart(w http.ResponseWriter, r *http.Request) (plugin.StartRequest, *inputError) {
	var req plugin.StartRequest
	body, ierr := h.readBody(w, r)
	if ierr != nil {
		return req, ierr
	}
	fields, ierr := decodeObject(body)
	if ierr != nil {
		return req, ierr
	}

	var unknown []string
	for name := range fields {
		if !slices.Contains(startFields, name) {
			unknown = append(unknown, strconv.Quote(plugin.Clip(name)))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		noun := "field"
		if len(unknown) > 1 {
			noun = "fields"
		}
		named := strings.Join(unknown[:min(len(unknown), maxNamedFields)], ", ")
		if more := len(unknown) - maxNamedFields; more > 0 {
			named += fmt.Sprintf(" and %d more", more)
		}
		return req, invalid("unknown_field", "unknown %s %s: allowed fields are %s",
			noun, named, strings.Join(startFields, ", "))
	}

	if raw, ok := fields["check_id"]; ok {
		if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &req.CheckID) != nil {
			return req, invalid("invalid_check_id",
				`check_id must be a JSON string, the till's check number of %s, e.g. "000153"; got %s`, plugin.CheckIDRule, echo(raw))
		}
	}

	raw, ok := fields["amount"]
	if !ok {
		return req, invalid("invalid_amount", "%s; the field is missing", amountRule)
	}
	if !isInteger(raw) {
		return req, invalid("invalid_amount", "%s; got %s%s", amountRule, echo(raw), amountHint(raw))
	}
	amount, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return req, invalid("invalid_amount", "%s; got %s, which is out of range", amountRule, echo(raw))
	}
	req.Amount = amount

	if raw, ok := fields["mixed"]; ok {
		switch string(raw) {
		case "true":
			req.Mixed = true
		case "false":
		default:
			return req, invalid("invalid_mixed",
				"mixed must be true (SBP pays the rest of a check partly paid by card) or false; got %s", echo(raw))
		}
	}
	return req, nil
}

// readBody reads the whole request body, up to the size limit.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *inputError) {
	tooLarge := &inputError{http.StatusRequestEntityTooLarge, plugin.EBodyTooLarge,
		fmt.Sprintf("request body is larger than %d bytes; send one JSON object like %s", h.maxBody, startExample)}
	if r.ContentLength > h.maxBody {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge
		}
		return nil, &inputError{http.StatusBadRequest, "invalid_json",
			"could not read the request body: " + err.Error()}
	}
	return body, nil
}

// decodeObject parses body as exactly one JSON object and returns its
// fields undecoded.
func decodeObject(body []byte) (map[string]json.RawMessage, *inputError) {
	bad := func(format string, args ...any) *inputError {
		return &inputError{http.StatusBadRequest, "invalid_json", fmt.Sprintf(format, args...)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, bad("request body is empty: send a JSON object like %s", startExample)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, bad("request body is not valid JSON: %s at byte %d; send a JSON object like %s",
				se.Error(), se.Offset, startExample)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, bad("request body is not valid JSON: it ends at byte %d before the value is complete; send a JSON object like %s",
				len(body), startExample)
		}
		return nil, bad("request body is not valid JSON: %s", err.Error())
	}
	end := dec.InputOffset()
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		return nil, bad("request body has more data after the JSON object ends at byte %d; send exactly one JSON object like %s",
			end, startExample)
	}
	if v[0] != '{' {
		return nil, bad("request body must be a JSON object like %s, not %s", startExample, jsonKind(v))
	}
	return objectFields(v)
}

// objectFields splits a JSON object into its fields, refusing a field
// named twice: which of the two values counts would be a guess, and with
// "amount" a guess about money.
func objectFields(obj json.RawMessage) (map[string]json.RawMessage, *inputError) {
	fields := map[string]json.RawMessage{}
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil { // the opening brace
		return nil, &inputError{http.StatusBadRequest, "invalid_json", "request body is not valid JSON: " + err.Error()}
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, &inputError{http.StatusBadRequest, "invalid_json", "request body is not valid JSON: " + err.Error()}
		}
		name, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, &inputError{http.StatusBadRequest, "invalid_json", "request body is not valid JSON: " + err.Error()}
		}
		if _, dup := fields[name]; dup {
			return nil, invalid("duplicate_field", "field %q appears more than once: send each of %s at most once",
				plugin.Clip(name), strings.Join(startFields, ", "))
		}
		fields[name] = value
	}
	return fields, nil
}

// isInteger reports whether a JSON value is written as an integer: an
// optional minus and digits, no fraction, no exponent, no quotes.
func isInteger(raw json.RawMessage) bool {
	s := string(raw)
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// amountHint explains a common mistake with an amount.
func amountHint(raw json.RawMessage) string {
	switch kind := jsonKind(raw); kind {
	case "a string":
		return " (a string: send the number without quotes)"
	case "a number":
		if bytes.ContainsAny(raw, "eE") {
			return " (written with an exponent: send whole kopecks as plain digits, 1e6 is 1000000)"
		}
		return " (not a whole number: send kopecks, 259,90 ₽ is 25990)"
	default:
		return " (" + kind + ")"
	}
}

// jsonKind names the type of a JSON value for messages.
func jsonKind(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// echo quotes a bad value back, shortened.
func echo(raw json.RawMessage) string { return plugin.ClipTo(string(raw), maxEchoedValue) }

// get handles GET /api/v1/payments/{id}.
func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, h.payments.Get)
}

// retry handles POST /api/v1/payments/{id}/retry: the shopper chose Повторить.
func (h *handler) retry(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, h.payments.Retry)
}

// cancel handles POST /api/v1/payments/{id}/cancel: the shopper chose Отменить.
func (h *handler) cancel(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, h.payments.Cancel)
}

// act calls the engine with the payment id of the path and answers with the
// payment. A request body, if any, is ignored.
func (h *handler) act(w http.ResponseWriter, r *http.Request, call func(ctx context.Context, id string) (plugin.Payment, error)) {
	id := r.PathValue("id")
	notePayment(w, id, "")
	p, err := call(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	notePayment(w, id, p.CheckID)
	writeJSON(w, http.StatusOK, decorated(p))
}
