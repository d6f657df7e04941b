package paymaster

import (
	"sync"
	"time"
)

// MaxCreatePosts is the most create requests (POST /api/v2/payments) the
// gateway sends with one Idempotency-Key, retries included. Once they are
// spent, and at once after PayMaster refuses the key as used
// (idempotency_key_violation), CreatePayment sends no more create requests
// with that key and only looks the payment up in the list.
const MaxCreatePosts = 5

const (
	keyMemory = 24 * time.Hour // a key's record is dropped this long after its first create
	maxKeys   = 4096           // past this many records, old ones are dropped
)

// keyRecord is what the gateway remembers of one Idempotency-Key.
type keyRecord struct {
	first   time.Time // when the first create with the key was sent
	posts   int       // create requests sent, or being sent, with the key
	refusal *APIError // PayMaster's idempotency_key_violation, once it refused the key
}

// keyBook counts the create requests sent with each Idempotency-Key. It
// lives as long as the gateway: after a restart the counts start again.
type keyBook struct {
	mu   sync.Mutex
	keys map[string]*keyRecord
}

// reserve returns the key's record and how many create requests may go out
// now, at most want, and counts them as sent. It is 0 once the key was
// refused or MaxCreatePosts are spent. first is the time of the first
// create with the key (now for a new key).
func (b *keyBook) reserve(key string, now time.Time, want int) (first time.Time, refusal *APIError, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.keys[key]
	if k == nil {
		b.prune(now)
		if b.keys == nil {
			b.keys = map[string]*keyRecord{}
		}
		k = &keyRecord{first: now}
		b.keys[key] = k
	}
	if k.refusal == nil {
		n = max(0, min(want, MaxCreatePosts-k.posts))
		k.posts += n
	}
	return k.first, k.refusal, n
}

// settle gives back the reserved requests that did not go out.
func (b *keyBook) settle(key string, reserved, sent int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k := b.keys[key]; k != nil && sent < reserved {
		k.posts -= reserved - sent
	}
}

// refuse records that PayMaster refused the key as used.
func (b *keyBook) refuse(key string, e *APIError) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k := b.keys[key]; k != nil {
		k.refusal = e
	}
}

// prune drops old records when the book is full. Call with b.mu held.
func (b *keyBook) prune(now time.Time) {
	if len(b.keys) < maxKeys {
		return
	}
	oldest := ""
	for key, k := range b.keys {
		if now.Sub(k.first) > keyMemory {
			delete(b.keys, key)
		} else if oldest == "" || k.first.Before(b.keys[oldest].first) {
			oldest = key
		}
	}
	if len(b.keys) >= maxKeys {
		delete(b.keys, oldest)
	}
}
