package tillapi

import (
	"bytes"
	"net/http"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// events handles GET /api/v1/payments/{id}/events: a text/event-stream of
// the payment, sent at once and then on every change as
//
//	event: payment
//	data: {...}
//
// with a ": ping" comment every heartbeat while nothing changes. The stream
// ends after a final payment (paid or not_paid) is sent, when the engine
// closes the subscription (it stops following a needs_attention payment:
// plugin.Engine.Subscribe), or when the client goes away.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	notePayment(w, id, "")
	ctx := r.Context()

	// Subscribe before reading the payment so no change falls in between.
	updates, stop := h.payments.Subscribe(id)
	defer stop()
	p, err := h.payments.Get(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	notePayment(w, id, p.CheckID)

	rc := http.NewResponseController(w)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	var last []byte
	// send writes p unless it is the same as the last event, and reports
	// whether the stream should go on.
	send := func(p plugin.Payment) bool {
		p = decorated(p)
		data, err := marshal(p)
		if err != nil {
			h.log.Error("till api: encode payment event", "payment_id", id, "err", err)
			return false
		}
		if !bytes.Equal(data, last) {
			last = data
			var b bytes.Buffer
			b.WriteString("event: payment\ndata: ")
			b.Write(data)
			b.WriteString("\n\n")
			if _, err := w.Write(b.Bytes()); err != nil {
				return false
			}
			if err := rc.Flush(); err != nil {
				return false
			}
		}
		return !p.State.Final()
	}
	if !send(p) {
		return
	}

	tick := time.NewTicker(h.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case p, ok := <-updates:
			if !ok || !send(p) {
				return
			}
		case <-tick.C:
			if _, err := w.Write([]byte(": ping\n\n")); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}
