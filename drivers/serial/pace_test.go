package serial

import (
	"testing"
	"time"
)

func TestPacer_duration(t *testing.T) {
	tests := []struct {
		baud, rate, n int
		want          time.Duration
	}{
		{9600, 0, 960, time.Second},
		{9600, 0, 1, 1041666 * time.Nanosecond}, // 10/9600 s
		{115200, 0, 11520, time.Second},
		{115200, 0, 64, 5555555 * time.Nanosecond},
		{921600, 0, 92160, time.Second},
		{9600, 0, 9600 * 1000, 10000 * time.Second},
		{115200, 1000, 1500, 1500 * time.Millisecond}, // PaceRate wins over baud
		{115200, 0, 0, 0},
	}
	for _, tt := range tests {
		if got := newPacer(tt.baud, tt.rate).duration(tt.n); got != tt.want {
			t.Errorf("baud %d rate %d: duration(%d) = %v, want %v", tt.baud, tt.rate, tt.n, got, tt.want)
		}
	}
}
