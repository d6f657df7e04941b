package tillapi

import (
	"context"
	"sync"

	"github.com/sbpd/sbpd/plugin"
)

// fakePayments is a Payments whose calls are function fields. A test sets
// only the calls it expects; any other call panics, which the server turns
// into a 500 and logs.
type fakePayments struct {
	StartFn     func(ctx context.Context, req plugin.StartRequest) (plugin.Payment, bool, error)
	GetFn       func(ctx context.Context, id string) (plugin.Payment, error)
	RetryFn     func(ctx context.Context, id string) (plugin.Payment, error)
	CancelFn    func(ctx context.Context, id string) (plugin.Payment, error)
	SubscribeFn func(id string) (<-chan plugin.Payment, func())
}

var _ Payments = (*fakePayments)(nil)

func (f *fakePayments) Start(ctx context.Context, req plugin.StartRequest) (plugin.Payment, bool, error) {
	if f.StartFn == nil {
		panic("unexpected call to Payments.Start")
	}
	return f.StartFn(ctx, req)
}

func (f *fakePayments) Get(ctx context.Context, id string) (plugin.Payment, error) {
	if f.GetFn == nil {
		panic("unexpected call to Payments.Get")
	}
	return f.GetFn(ctx, id)
}

func (f *fakePayments) Retry(ctx context.Context, id string) (plugin.Payment, error) {
	if f.RetryFn == nil {
		panic("unexpected call to Payments.Retry")
	}
	return f.RetryFn(ctx, id)
}

func (f *fakePayments) Cancel(ctx context.Context, id string) (plugin.Payment, error) {
	if f.CancelFn == nil {
		panic("unexpected call to Payments.Cancel")
	}
	return f.CancelFn(ctx, id)
}

func (f *fakePayments) Subscribe(id string) (<-chan plugin.Payment, func()) {
	if f.SubscribeFn == nil {
		panic("unexpected call to Payments.Subscribe")
	}
	return f.SubscribeFn(id)
}

// fakeSearcher is a Searcher whose call is a function field.
type fakeSearcher struct {
	SearchFn func(ctx context.Context, f plugin.Filter) ([]*plugin.Payment, error)
}

var _ Searcher = (*fakeSearcher)(nil)

func (f *fakeSearcher) Search(ctx context.Context, flt plugin.Filter) ([]*plugin.Payment, error) {
	if f.SearchFn == nil {
		panic("unexpected call to Searcher.Search")
	}
	return f.SearchFn(ctx, flt)
}

// subscription is one fake Subscribe: the test pushes updates with send,
// and stop ends it and closes the channel, as the engine's stop does. A
// forwarding goroutine is the channel's only writer and closer, so a send
// racing with stop never writes to a closed channel.
type subscription struct {
	ch      chan plugin.Payment
	in      chan plugin.Payment
	once    sync.Once
	stopped chan struct{}
	calls   chan string // the id of each Subscribe call
}

func newSubscription() *subscription {
	s := &subscription{
		ch:      make(chan plugin.Payment),
		in:      make(chan plugin.Payment),
		stopped: make(chan struct{}),
		calls:   make(chan string, 1),
	}
	go func() {
		defer close(s.ch)
		for {
			select {
			case <-s.stopped:
				return
			case p := <-s.in:
				select {
				case s.ch <- p:
				case <-s.stopped:
					return
				}
			}
		}
	}()
	return s
}

// subscribe is a SubscribeFn handing out s.
func (s *subscription) subscribe(id string) (<-chan plugin.Payment, func()) {
	select {
	case s.calls <- id:
	default: // only the first call is recorded
	}
	return s.ch, s.stop
}

func (s *subscription) stop() { s.once.Do(func() { close(s.stopped) }) }

// send hands p to the subscriber, reporting false if it stopped first.
func (s *subscription) send(p plugin.Payment) bool {
	select {
	case s.in <- p:
		return true
	case <-s.stopped:
		return false
	}
}
