package backoffice

import (
	"context"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

func TestResyncAndMarkEntered(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		state  plugin.State
		hand   bool   // entered by hand before
		act    string // resync, entered
		id     string // "" is P
		why    string
		code   string
		reason string
		says   string
	}{
		{name: "resync paid", state: plugin.StatePaid, act: "resync", why: " 1C lost it "},
		{name: "resync not paid, no reason", state: plugin.StateNotPaid, act: "resync"},
		{name: "resync entered by hand", state: plugin.StatePaid, hand: true, act: "resync",
			code: plugin.EConflict, reason: REnteredByHand, says: "never sent again"},
		{name: "resync not final", state: plugin.StateAwaitingPayment, act: "resync",
			code: plugin.EConflict, reason: RNotFinal, says: "awaiting_payment, not final"},
		{name: "resync needs attention", state: plugin.StateNeedsAttention, act: "resync",
			code: plugin.EConflict, reason: RNotFinal, says: "resolve it first"},
		{name: "resync unknown", act: "resync", id: "nope", code: plugin.ENotFound, reason: RNoPayment, says: `no payment with id, order number or PayMaster id "nope"`},
		{name: "entered", state: plugin.StatePaid, act: "entered", why: "typed into 1C"},
		{name: "entered before final", state: plugin.StateNeedsAttention, act: "entered", why: "typed into 1C"},
		{name: "entered without reason", state: plugin.StatePaid, act: "entered", why: "  ",
			code: plugin.EInvalid, reason: RReasonRequired, says: "say who entered payment P"},
		{name: "entered twice", state: plugin.StatePaid, hand: true, act: "entered", why: "again",
			code: plugin.EConflict, reason: REnteredByHand, says: "already marked"},
		{name: "entered unknown", act: "entered", id: "nope", why: "x", code: plugin.ENotFound, reason: RNoPayment, says: `no payment with id, order number or PayMaster id "nope"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := newJournal(pay("P", c.state, 100, "PM", 0))
			o := &fakeOutbox{j: j, hand: map[string]string{}}
			if c.hand {
				o.hand["P"] = "before"
			}
			svc := &Service{Journal: j, Outbox: o}
			id := c.id
			if id == "" {
				id = "P"
			}
			var err error
			if c.act == "resync" {
				var d Delivery
				d, err = svc.Resync(ctx, id, "ivan", c.why)
				if err == nil && (d.ID != "P:"+string(c.state) || len(o.requeued) != 1 || o.requeued[0] != "P by ivan: "+strings.TrimSpace(c.why)) {
					t.Fatalf("delivery %+v, requeued %v", d, o.requeued)
				}
			} else {
				err = svc.MarkEntered(ctx, id, "olga", c.why)
				if err == nil && o.hand["P"] != "olga: "+strings.TrimSpace(c.why) {
					t.Fatalf("entered %v", o.hand)
				}
			}
			if c.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantRefusal(t, err, c.code, c.reason, c.says)
			if len(o.requeued) != 0 || (!c.hand && len(o.hand) != 0) {
				t.Fatalf("refused, but written: %v %v", o.requeued, o.hand)
			}
		})
	}
}

func TestStuck(t *testing.T) {
	o := &fakeOutbox{j: newJournal()}
	svc := &Service{Outbox: o}
	st, err := svc.Stuck(context.Background())
	if err != nil || st == nil || len(st) != 0 {
		t.Fatalf("%v %#v: want an empty list, never nil", err, st)
	}
	o.stuck = []Stuck{{Payment: plugin.Payment{ID: "P"}, Delivery: Delivery{ID: "P:paid", Status: "exhausted", Attempts: 3}}}
	if st, err := svc.Stuck(context.Background()); err != nil || len(st) != 1 || st[0].Delivery.Attempts != 3 {
		t.Fatalf("%v %+v", err, st)
	}
}

func TestFindAndShow(t *testing.T) {
	a := pay("A", plugin.StatePaid, 100, "PM1", 0)
	b := pay("B", plugin.StateNotPaid, 100, "PM2", 1)
	b.OrderNo = a.OrderNo // a retry with the same order number
	j := newJournal(a, b)
	j.events["A"] = []plugin.Event{{Kind: plugin.EvCreated}, {Kind: plugin.EvFinal}}
	svc := &Service{Journal: j, Outbox: &fakeOutbox{j: j}}
	ctx := context.Background()
	for _, c := range []struct {
		ref, id, code, reason, says string
	}{
		{ref: "A", id: "A"},
		{ref: "PM2", id: "B"},
		{ref: a.OrderNo, code: plugin.EConflict, reason: RAmbiguous, says: "matches 2 payments (A, B): give our id"},
		{ref: "nope", code: plugin.ENotFound, reason: RNoPayment, says: `no payment with id, order number or PayMaster id "nope"`},
		{ref: strings.Repeat("A", 30000), code: plugin.ENotFound, reason: RNoPayment, says: `id "` + strings.Repeat("A", plugin.MaxEchoed) + `…": find`},
	} {
		p, err := svc.Find(ctx, c.ref)
		if c.code != "" {
			wantRefusal(t, err, c.code, c.reason, c.says)
			continue
		}
		if err != nil || p.ID != c.id {
			t.Errorf("Find(%q) = %v, %v; want %s", c.ref, p, err, c.id)
		}
	}
	s, err := svc.Show(ctx, "PM1")
	if err != nil || s.Payment.ID != "A" || s.Payment.StateCode != plugin.StatePaid.Code() || len(s.Events) != 2 || s.Notification.State != plugin.StatePaid || s.TillID != "K07" {
		t.Fatalf("%v %+v", err, s)
	}
}

func TestWho(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		by   string
		env  map[string]string
		want string
	}{
		{" ivanov ", map[string]string{"SUDO_USER": "petrova"}, "ivanov"},
		{"", map[string]string{"SUDO_USER": "petrova", "USER": "root"}, "petrova"},
		{"  ", map[string]string{"USER": "kiosk", "LOGNAME": "x"}, "kiosk"},
		{"", map[string]string{"LOGNAME": "op"}, "op"},
		{"", map[string]string{"SUDO_USER": " "}, "unknown user"},
	} {
		if got := Who(c.by, env(c.env)); got != c.want {
			t.Errorf("Who(%q, %v) = %q, want %q", c.by, c.env, got, c.want)
		}
	}
	if got := Who("", nil); got != "unknown user" {
		t.Errorf("Who without an environment: %q", got)
	}
}

// The reason's bound and the person's name are the service's, for the CLI
// and the web alike: a reason over MaxReason is refused by every act; a
// secret in the name is cut before the journal records it.
func TestActs_ReasonBoundAndActorScrubbed(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("я", MaxReason+1)
	newSvc := func() (*Service, *fakeJournal, *fakeOutbox) {
		j := newJournal(pay("P", plugin.StatePaid, 100, "PM1", 1), pay("N", plugin.StateNeedsAttention, 100, "PM2", 2))
		o := &fakeOutbox{j: j, hand: map[string]string{}}
		pm := newPayMaster(remote("PM2", "K07-CN-1", plugin.RemoteSettled, 100, 2))
		return &Service{Journal: j, Outbox: o, PayMaster: pm, Secrets: []string{"s3cr3t-token"}}, j, o
	}
	s, j, o := newSvc()
	_, err := s.Mark(ctx, Mark{ID: "N", Paid: true, Reason: long, Who: "olga"})
	wantRefusal(t, err, plugin.EInvalid, RReasonTooLong, "501 characters", "at most 500")
	wantRefusal(t, s.MarkEntered(ctx, "P", "olga", long), plugin.EInvalid, RReasonTooLong)
	_, err = s.Resync(ctx, "P", "olga", long)
	wantRefusal(t, err, plugin.EInvalid, RReasonTooLong)
	if len(j.events["N"]) != 0 || len(o.hand) != 0 || len(o.requeued) != 0 {
		t.Fatalf("a refused act wrote: %v %v %v", j.events, o.hand, o.requeued)
	}
	if _, err := s.Mark(ctx, Mark{ID: "N", Paid: true, Reason: strings.Repeat("я", MaxReason), Who: "web:s3cr3t-token"}); err != nil {
		t.Fatal(err)
	}
	if ev := j.last("N"); ev.Actor != "web:***" {
		t.Errorf("the actor recorded is %q", ev.Actor)
	}
	if err := s.MarkEntered(ctx, "P", "s3cr3t-token", "typed by s3cr3t-token"); err != nil || o.hand["P"] != "***: typed by ***" {
		t.Errorf("entered by hand: %q, %v", o.hand["P"], err)
	}
	if !s.HasSecret("olga s3cr3t-token") || s.HasSecret("olga") {
		t.Error("HasSecret")
	}
}
