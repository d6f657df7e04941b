package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"weak"
)

// Dialect makes the sandbox answer like a PayMaster whose undocumented
// behaviour differs from the sandbox's own reading of the documentation,
// so that tests show what the driver does then. The zero Dialect is the
// sandbox's default behaviour.
type Dialect struct {
	// ListRowsWithoutOrderNo leaves invoice.orderNo out of the rows of the
	// payment list (GET /api/v2/payments); GET /api/v2/payments/{id} keeps
	// it. No public source shows list rows echoing it.
	ListRowsWithoutOrderNo bool
	// ListRowsWithoutInvoice leaves the whole invoice (orderNo,
	// description, params) out of list rows: nothing in a row names the
	// order.
	ListRowsWithoutInvoice bool
	// KeyReuse is the answer to a create whose Idempotency-Key was used
	// before. The default refuses it.
	KeyReuse KeyReuse
	// MethodExact accepts paymentData.paymentMethod only as "sbp", the
	// spelling of every PayMaster source; by default any case is accepted.
	MethodExact bool
}

// KeyReuse is what a create with a used Idempotency-Key gets.
type KeyReuse int

const (
	// KeyReuseRefused answers 409 with the code idempotency_key_violation
	// (the default).
	KeyReuseRefused KeyReuse = iota
	// KeyReuseReplayed answers 200 with the payment the key made, as it is
	// now, and creates nothing.
	KeyReuseReplayed
)

func (k KeyReuse) String() string {
	switch k {
	case KeyReuseRefused:
		return "refused"
	case KeyReuseReplayed:
		return "replayed"
	}
	return fmt.Sprintf("KeyReuse(%d)", int(k))
}

// dialects holds each server's Dialect, by a weak pointer so that a server
// nobody holds any more takes its entry with it.
var dialects = struct {
	sync.Mutex
	m map[weak.Pointer[Server]]Dialect
}{m: map[weak.Pointer[Server]]Dialect{}}

// SetDialect makes the server answer in dialect d from the next request on.
func (s *Server) SetDialect(d Dialect) {
	wp := weak.Make(s)
	dialects.Lock()
	_, had := dialects.m[wp]
	dialects.m[wp] = d
	dialects.Unlock()
	if !had {
		runtime.AddCleanup(s, func(wp weak.Pointer[Server]) {
			dialects.Lock()
			delete(dialects.m, wp)
			dialects.Unlock()
		}, wp)
	}
	s.log.Info("sandbox: dialect set", "list_rows_without_order_no", d.ListRowsWithoutOrderNo,
		"list_rows_without_invoice", d.ListRowsWithoutInvoice, "key_reuse", d.KeyReuse.String(), "method_exact", d.MethodExact)
}

// Dialect returns the dialect the server answers in.
func (s *Server) Dialect() Dialect {
	dialects.Lock()
	defer dialects.Unlock()
	return dialects.m[weak.Make(s)]
}

// dialectErrors are the create request's problems in the server's dialect,
// besides those validate finds.
func (s *Server) dialectErrors(in createIn) []string {
	if !s.Dialect().MethodExact || in.PaymentData == nil {
		return nil
	}
	if m := in.PaymentData.PaymentMethod; m != "sbp" {
		return []string{fmt.Sprintf("PaymentData.PaymentMethod %q is unknown: the SBP alias is sbp", m)}
	}
	return nil
}

// replayKey answers a create whose Idempotency-Key made payment id before,
// if the dialect replays used keys. It reports whether it answered. Call
// with s.mu held.
func (s *Server) replayKey(w http.ResponseWriter, id string) bool {
	p := s.payments[id]
	if s.Dialect().KeyReuse != KeyReuseReplayed || p == nil {
		return false
	}
	p.refresh(s.clock.Now())
	s.log.Info("sandbox: idempotency key reused; first answer replayed", "payment", id)
	writeJSON(w, http.StatusOK, s.render(p))
	return true
}

// listRow is a payment as a row of the list, in the server's dialect.
func (s *Server) listRow(o paymentOut) any {
	d := s.Dialect()
	if !d.ListRowsWithoutOrderNo && !d.ListRowsWithoutInvoice {
		return o
	}
	b, err := json.Marshal(o)
	var row map[string]any
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber() // amounts stay as they were written, 10.5000
		err = dec.Decode(&row)
	}
	if err != nil {
		return o
	}
	if d.ListRowsWithoutInvoice {
		delete(row, "invoice")
	} else if inv, ok := row["invoice"].(map[string]any); ok {
		delete(inv, "orderNo")
	}
	return row
}
