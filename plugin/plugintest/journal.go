package plugintest

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/sbpd/sbpd/plugin"
)

// Journal is an in-memory plugin.Journal. Set Fail to make writes fail,
// as a full disk or a read-only directory would.
type Journal struct {
	mu       sync.Mutex
	payments map[string]plugin.Payment
	events   []plugin.Event
	Fail     error
}

var _ plugin.Journal = (*Journal)(nil)

func NewJournal() *Journal { return &Journal{payments: map[string]plugin.Payment{}} }

func (j *Journal) SetFail(err error) {
	j.mu.Lock()
	j.Fail = err
	j.mu.Unlock()
}

func (j *Journal) Create(ctx context.Context, p *plugin.Payment, ev plugin.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.Fail != nil {
		return j.Fail
	}
	if _, ok := j.payments[p.ID]; ok {
		return fmt.Errorf("payment %s exists", p.ID)
	}
	j.payments[p.ID] = *p
	j.append(ev)
	return nil
}

func (j *Journal) Update(ctx context.Context, p *plugin.Payment, ev plugin.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.Fail != nil {
		return j.Fail
	}
	old, ok := j.payments[p.ID]
	if !ok {
		return plugin.Errorf(plugin.ENotFound, "payment %s not found", p.ID)
	}
	if old.State.Final() {
		return &plugin.Error{Code: plugin.EConflict, Reason: "payment_final", Message: fmt.Sprintf("payment %s is already %s", p.ID, old.State)}
	}
	j.payments[p.ID] = *p
	j.append(ev)
	return nil
}

func (j *Journal) append(ev plugin.Event) {
	ev.Seq = int64(len(j.events) + 1)
	j.events = append(j.events, ev)
}

func (j *Journal) Get(ctx context.Context, id string) (*plugin.Payment, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	p, ok := j.payments[id]
	if !ok {
		return nil, &plugin.Error{Code: plugin.ENotFound, Reason: "payment_not_found", Message: fmt.Sprintf("payment %s not found", plugin.Clip(id))}
	}
	return &p, nil
}

func (j *Journal) list(keep func(plugin.Payment) bool) []*plugin.Payment {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*plugin.Payment
	for _, p := range j.payments {
		if keep(p) {
			p := p
			out = append(out, &p)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].CreatedAt.Before(out[b].CreatedAt) })
	return out
}

func (j *Journal) Unfinished(ctx context.Context) ([]*plugin.Payment, error) {
	return j.list(func(p plugin.Payment) bool { return !p.State.Final() }), nil
}

func (j *Journal) ByCheck(ctx context.Context, checkID string) ([]*plugin.Payment, error) {
	return j.list(func(p plugin.Payment) bool { return p.CheckID == checkID }), nil
}

// Resolve sets a payment's state as a person would, outside the flow.
func (j *Journal) Resolve(id string, state plugin.State) {
	j.mu.Lock()
	defer j.mu.Unlock()
	p := j.payments[id]
	p.State, p.Reason = state, plugin.ReasonManual
	j.payments[id] = p
	j.append(plugin.Event{PaymentID: id, Kind: "manual", State: state, Actor: "technician"})
}

// Events returns the events of a payment in order.
func (j *Journal) Events(id string) []plugin.Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []plugin.Event
	for _, ev := range j.events {
		if ev.PaymentID == id {
			out = append(out, ev)
		}
	}
	return out
}
