package sqlite

import (
	"crypto/rand"
	"sync"

	"github.com/oklog/ulid/v2"

	"github.com/sbpd/sbpd/plugin"
)

// NewIDs makes the journal's payment ids: ULIDs stamped with clock's time
// and strictly increasing, also within one millisecond, so that the ids
// sort as the payments were created.
func NewIDs(clock plugin.Clock) func() string {
	entropy := ulid.Monotonic(rand.Reader, 0)
	var mu sync.Mutex
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return ulid.MustNew(ulid.Timestamp(clock.Now()), entropy).String()
	}
}
