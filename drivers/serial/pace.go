package serial

import "time"

// BitsPerByte is the number of bit-times one byte takes on the wire in 8N1:
// a start bit, eight data bits and a stop bit.
const BitsPerByte = 10

// pacer says how long a number of bytes takes to leave at a given rate.
type pacer struct {
	bitsPerByte int64 // bit-times per byte: 10 for 8N1, 1 when the rate is in bytes
	perSecond   int64 // bits (or bytes) per second
}

// newPacer paces at rate bytes per second, or at the wire rate of baud in
// 8N1 when rate is 0.
func newPacer(baud, rate int) pacer {
	if rate > 0 {
		return pacer{bitsPerByte: 1, perSecond: int64(rate)}
	}
	return pacer{bitsPerByte: BitsPerByte, perSecond: int64(baud)}
}

// duration returns how long n bytes take, truncated to the nanosecond.
// Write sleeps duration(total so far) minus what it already slept, so the
// truncation never accumulates over the chunks of a long write.
func (p pacer) duration(n int) time.Duration {
	bits := int64(n) * p.bitsPerByte
	whole := bits / p.perSecond
	rest := bits % p.perSecond // < perSecond, so rest*1e9 does not overflow
	return time.Duration(whole)*time.Second + time.Duration(rest*int64(time.Second)/p.perSecond)
}

// WireTime returns how long n bytes take on an 8N1 line at baud: n*10/baud
// seconds. 11,400 bytes of a raster QR take 0.99 s at 115200 and 11.9 s at
// 9600.
func WireTime(n, baud int) time.Duration {
	return newPacer(baud, 0).duration(n)
}
