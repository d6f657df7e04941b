package backoffice

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// fakeJournal is a journal in memory.
type fakeJournal struct {
	ps     map[string]*plugin.Payment
	events map[string][]plugin.Event
	// beforeResolve, when set, runs before Resolve reads the payment (a
	// concurrent change).
	beforeResolve func(*plugin.Payment)
	searches      int
	offsets       int // searches that paged by offset
}

func newJournal(ps ...*plugin.Payment) *fakeJournal {
	j := &fakeJournal{ps: map[string]*plugin.Payment{}, events: map[string][]plugin.Event{}}
	for _, p := range ps {
		j.ps[p.ID] = p
	}
	return j
}

func notFound(id string) error {
	return &plugin.Error{Code: plugin.ENotFound, Reason: "payment_not_found", Message: fmt.Sprintf("payment %s not found", id)}
}

func (j *fakeJournal) Get(_ context.Context, id string) (*plugin.Payment, error) {
	p, ok := j.ps[id]
	if !ok {
		return nil, notFound(id)
	}
	c := *p
	return &c, nil
}

func (j *fakeJournal) Find(_ context.Context, ref string) ([]*plugin.Payment, error) {
	out := []*plugin.Payment{}
	for _, p := range j.ps {
		if p.ID == ref || p.OrderNo == ref || p.PayMasterID == ref {
			c := *p
			out = append(out, &c)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out, nil
}

func (j *fakeJournal) Events(_ context.Context, id string) ([]plugin.Event, error) {
	return j.events[id], nil
}

func (j *fakeJournal) Search(_ context.Context, f plugin.Filter) ([]*plugin.Payment, error) {
	j.searches++
	var all []*plugin.Payment
	for _, p := range j.ps {
		if (f.From.IsZero() || !p.CreatedAt.Before(f.From)) && (f.To.IsZero() || p.CreatedAt.Before(f.To)) {
			c := *p
			all = append(all, &c)
		}
	}
	// Newest first, as the journal's Search.
	sort.Slice(all, func(a, b int) bool {
		if !all[a].CreatedAt.Equal(all[b].CreatedAt) {
			return all[a].CreatedAt.After(all[b].CreatedAt)
		}
		return all[a].ID > all[b].ID
	})
	if f.Before != "" {
		i := slices.IndexFunc(all, func(p *plugin.Payment) bool { return p.ID == f.Before })
		if i < 0 {
			return nil, nil
		}
		all = all[i+1:]
	}
	if f.Offset > 0 {
		j.offsets++
	}
	if f.Limit > plugin.MaxLimit { // the journal's cap
		f.Limit = plugin.MaxLimit
	}
	if f.Offset >= len(all) {
		return nil, nil
	}
	all = all[f.Offset:]
	if len(all) > f.Limit {
		all = all[:f.Limit]
	}
	return all, nil
}

func (j *fakeJournal) Resolve(_ context.Context, id string, from []plugin.State, change func(*plugin.Payment), ev plugin.Event) (*plugin.Payment, error) {
	p, ok := j.ps[id]
	if !ok {
		return nil, notFound(id)
	}
	if j.beforeResolve != nil {
		j.beforeResolve(p)
	}
	if !slices.Contains(from, p.State) {
		return nil, &plugin.Error{Code: plugin.EConflict, Reason: "state_changed", Message: fmt.Sprintf("payment %s is now %s", id, p.State)}
	}
	change(p)
	ev.PaymentID, ev.State = id, p.State
	j.events[id] = append(j.events[id], ev)
	c := *p
	return &c, nil
}

func (j *fakeJournal) last(id string) plugin.Event {
	evs := j.events[id]
	if len(evs) == 0 {
		return plugin.Event{}
	}
	return evs[len(evs)-1]
}

// fakeOutbox is a notification queue in memory.
type fakeOutbox struct {
	j        *fakeJournal
	hand     map[string]string // payment id -> why
	requeued []string
	stuck    []Stuck
}

func (o *fakeOutbox) Status(_ context.Context, id string) (Notice, error) {
	p, ok := o.j.ps[id]
	if !ok {
		return Notice{}, notFound(id)
	}
	_, hand := o.hand[id]
	return Notice{PaymentID: id, State: p.State, EnteredByHand: hand, Deliveries: []Delivery{}}, nil
}

func (o *fakeOutbox) Requeue(_ context.Context, id, who, why string) (Delivery, error) {
	p := o.j.ps[id]
	o.requeued = append(o.requeued, id+" by "+who+": "+why)
	return Delivery{ID: id + ":" + string(p.State), PaymentID: id, State: p.State, Status: "pending"}, nil
}

func (o *fakeOutbox) MarkEnteredByHand(_ context.Context, id, who, why string) error {
	if o.hand == nil {
		o.hand = map[string]string{}
	}
	o.hand[id] = who + ": " + why
	return nil
}

func (o *fakeOutbox) Stuck(context.Context) ([]Stuck, error) { return o.stuck, nil }

// fakePayMaster answers from its payments, or with err.
type fakePayMaster struct {
	byID  map[string]plugin.Remote
	err   error
	asked int
}

func newPayMaster(rs ...plugin.Remote) *fakePayMaster {
	pm := &fakePayMaster{byID: map[string]plugin.Remote{}}
	for _, r := range rs {
		pm.byID[r.ID] = r
	}
	return pm
}

func (pm *fakePayMaster) GetPayment(_ context.Context, id string) (plugin.Remote, error) {
	pm.asked++
	if pm.err != nil {
		return plugin.Remote{}, pm.err
	}
	r, ok := pm.byID[id]
	if !ok {
		return plugin.Remote{}, plugin.Errorf(plugin.ENotFound, "no payment %s", id)
	}
	return r, nil
}

func (pm *fakePayMaster) FindPayment(_ context.Context, orderNo string, _ time.Time) (plugin.Remote, bool, error) {
	pm.asked++
	if pm.err != nil {
		return plugin.Remote{}, false, pm.err
	}
	for _, r := range pm.byID {
		if r.OrderNo == orderNo {
			return r, true, nil
		}
	}
	return plugin.Remote{}, false, nil
}

func (pm *fakePayMaster) List(_ context.Context, from, to time.Time) ([]plugin.Remote, error) {
	if pm.err != nil {
		return nil, pm.err
	}
	var out []plugin.Remote
	for _, r := range pm.byID {
		if !r.Created.Before(from) && r.Created.Before(to) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out, nil
}

var t0 = time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)

// pay is a payment of the journal created at t0 plus n minutes.
func pay(id string, st plugin.State, amount int64, pmID string, n int) *plugin.Payment {
	return &plugin.Payment{ID: id, CheckID: "C" + id, OrderNo: "K07-C" + id + "-1", Amount: amount, State: st,
		PayMasterID: pmID, CreatedAt: t0.Add(time.Duration(n) * time.Minute)}
}

// remote is PayMaster's payment for p's order number (or orderNo when p
// is nil), created at t0 plus n minutes.
func remote(id, orderNo string, st plugin.RemoteStatus, amount int64, n int) plugin.Remote {
	return plugin.Remote{ID: id, OrderNo: orderNo, Status: st, Amount: amount, Created: t0.Add(time.Duration(n) * time.Minute)}
}
