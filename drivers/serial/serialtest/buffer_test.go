package serialtest

import (
	"bytes"
	"testing"
	"time"
)

func TestReceiver_feed_splitsQueries(t *testing.T) {
	tests := []struct {
		name    string
		chunks  [][]byte
		data    []byte
		queries []byte
	}{
		{"plain", [][]byte{{1, 2, 3}}, []byte{1, 2, 3}, nil},
		{"query", [][]byte{{'a', dle, eot, 4, 'b'}}, []byte("ab"), []byte{4}},
		{"query split over chunks", [][]byte{{'a', dle}, {eot}, {1, 'b'}}, []byte("ab"), []byte{1}},
		{"n out of range is data", [][]byte{{dle, eot, 5, dle, eot, 0}}, []byte{dle, eot, 5, dle, eot, 0}, nil},
		{"DLE DLE EOT n", [][]byte{{dle, dle, eot, 2}}, []byte{dle}, []byte{2}},
		{"DLE EOT DLE EOT n", [][]byte{{dle, eot, dle, eot, 3}}, []byte{dle, eot}, []byte{3}},
		{"DLE not followed by EOT", [][]byte{{dle, 'x', dle}, {'y'}}, []byte{dle, 'x', dle, 'y'}, nil},
		{"trailing DLE EOT held back", [][]byte{{'z', dle, eot}}, []byte("z"), nil},
		{"back to back queries", [][]byte{{dle, eot, 1, dle, eot, 2, dle, eot, 4}}, nil, []byte{1, 2, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r receiver
			var answered []byte
			for _, c := range tt.chunks {
				r.feed(c, time.Now(), func(n byte) { answered = append(answered, n) })
			}
			if !bytes.Equal(r.data, tt.data) {
				t.Errorf("data = % x, want % x", r.data, tt.data)
			}
			if !bytes.Equal(r.queries, tt.queries) || !bytes.Equal(answered, tt.queries) {
				t.Errorf("queries = % x, answered % x, want % x", r.queries, answered, tt.queries)
			}
		})
	}
}

func TestReceiver_admit_dropsWhenFull(t *testing.T) {
	t0 := time.Unix(1000, 0)
	r := receiver{size: 100, rate: 1000, printing: true} // 1 byte per ms
	r.feed(make([]byte, 80), t0, nil)
	if len(r.data) != 80 || r.dropped != 0 {
		t.Fatalf("after 80: data %d dropped %d", len(r.data), r.dropped)
	}
	// 10 ms later 10 bytes have been printed: 70 in the buffer, 30 free.
	r.feed(make([]byte, 50), t0.Add(10*time.Millisecond), nil)
	if len(r.data) != 110 || r.dropped != 20 {
		t.Fatalf("after 50 more: data %d dropped %d, want 110 and 20", len(r.data), r.dropped)
	}
	// A second later the buffer is empty again.
	r.feed(make([]byte, 100), t0.Add(time.Second), nil)
	if len(r.data) != 210 || r.dropped != 20 {
		t.Fatalf("after a pause: data %d dropped %d, want 210 and 20", len(r.data), r.dropped)
	}
}

func TestReceiver_stoppedMechanismKeepsBuffer(t *testing.T) {
	t0 := time.Unix(1000, 0)
	r := receiver{size: 10, rate: 1000, printing: true}
	r.feed(make([]byte, 10), t0, nil)
	r.setPrinting(false, t0) // paper end: nothing leaves the buffer
	r.feed(make([]byte, 5), t0.Add(time.Second), nil)
	if r.dropped != 5 {
		t.Fatalf("dropped = %d while offline, want 5", r.dropped)
	}
	r.setPrinting(true, t0.Add(2*time.Second))
	r.feed(make([]byte, 5), t0.Add(2*time.Second+5*time.Millisecond), nil)
	if r.dropped != 5 || len(r.data) != 15 {
		t.Fatalf("after recovery: data %d dropped %d, want 15 and 5", len(r.data), r.dropped)
	}
}

func TestReceiver_queriesBypassFullBuffer(t *testing.T) {
	r := receiver{size: 4} // never drains
	var answered int
	r.feed([]byte{1, 2, 3, 4, 5, dle, eot, 1, 6}, time.Now(), func(byte) { answered++ })
	if answered != 1 || r.dropped != 2 || len(r.data) != 4 {
		t.Fatalf("answered %d dropped %d data %d; want 1, 2, 4", answered, r.dropped, len(r.data))
	}
}

func TestStatus_validReplies(t *testing.T) {
	want := map[Mode][4]byte{
		ModeOK:           {0x16, 0x12, 0x12, 0x12},
		ModePaperNearEnd: {0x16, 0x12, 0x12, 0x1E},
		ModePaperEnd:     {0x1A, 0x32, 0x12, 0x72},
		ModeCoverOpen:    {0x1A, 0x16, 0x12, 0x12},
		ModeOffline:      {0x1A, 0x12, 0x12, 0x12},
		ModeError:        {0x1A, 0x52, 0x1A, 0x12},
		ModeSlow:         {0x16, 0x12, 0x12, 0x12},
	}
	for m, w := range want {
		for n := byte(1); n <= 4; n++ {
			b, ok := Status(m, n)
			if !ok || b != w[n-1] {
				t.Errorf("Status(%v, %d) = %#02x, %v; want %#02x", m, n, b, ok, w[n-1])
			}
			if b&0x93 != 0x12 {
				t.Errorf("Status(%v, %d) = %#02x fails b&0x93 == 0x12", m, n, b)
			}
			offline := b&Status1Offline != 0
			if n == 1 && offline == m.prints() {
				t.Errorf("%v: offline bit %v but prints() %v", m, offline, m.prints())
			}
		}
	}
	for _, n := range []byte{0, 5, 0x31} {
		if _, ok := Status(ModeOK, n); ok {
			t.Errorf("Status(ModeOK, %d) answered", n)
		}
	}
	for n := byte(1); n <= 4; n++ {
		if _, ok := Status(ModeSilent, n); ok {
			t.Errorf("ModeSilent answered n=%d", n)
		}
	}
}
