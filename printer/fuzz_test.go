package printer

import "testing"

// FuzzParseStatus checks the reading of one real-time status byte from the
// printer's serial line. The seeds in testdata/fuzz run as ordinary tests
// under `go test`; scripts/fuzz.sh runs the fuzzer.
func FuzzParseStatus(f *testing.F) {
	for _, b := range []byte{0x12, 0x16, 0x1A, 0x1E, 0x32, 0x52, 0x72, 0x5E, 0x7E, 0x1E, 0x00, 0xFF, 0x93, 0x13, 0x92, 0x10, 0x02} {
		for n := 0; n <= 5; n++ {
			f.Add(n, b)
		}
	}
	f.Add(-1, byte(0x12))
	f.Add(1<<31-1, byte(0x12))
	f.Fuzz(func(t *testing.T, n int, b byte) {
		s, err := ParseStatus(n, b)
		valid := n >= 1 && n <= 4 && b&0x93 == 0x12
		if (err == nil) != valid {
			t.Fatalf("ParseStatus(%d, %#02x) error %v, want valid=%v", n, b, err, valid)
		}
		if err != nil {
			if s != (Status{}) {
				t.Fatalf("ParseStatus(%d, %#02x) failed but returned %+v", n, b, s)
			}
			return
		}
		want := Status{Known: true}
		want.Raw[n-1] = b
		switch n {
		case 1:
			want.Online = b&0x08 == 0
		case 2:
			want.CoverOpen = b&0x04 != 0
			want.PaperEnd = b&0x20 != 0
			want.Error = b&0x40 != 0
		case 3:
			want.Error = b&0x6C != 0
		case 4:
			want.PaperNearEnd = b&0x0C != 0
			want.PaperEnd = b&0x60 != 0
		}
		if s != want {
			t.Fatalf("ParseStatus(%d, %#02x) = %+v, want %+v", n, b, s, want)
		}
		// A merged status is never ready while a reply says otherwise.
		all := Status{Known: true, Online: true}
		all.add(n, s)
		if r := all.Reason(); (r == "") != (!s.CoverOpen && !s.PaperEnd && !s.Error && (n != 1 || s.Online)) {
			t.Fatalf("after reply %d %#02x the printer's reason is %q: %+v", n, b, r, all)
		}
		if all.String() == "" {
			t.Fatal("empty description")
		}
	})
}
