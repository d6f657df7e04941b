package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// countingSource is fakeSource with the journal's Count.
type countingSource struct {
	fakeSource
	countErr error
}

func (s *countingSource) Count(context.Context, plugin.Filter) (int64, error) {
	return int64(len(s.ps)), s.countErr
}

// TestRun: a job writes to standard output or a file, draws the bar only
// when asked, refuses XLSX to a terminal before reading anything, and
// stops when the rows cannot be counted.
func TestRun(t *testing.T) {
	errCount := errors.New("count failed")
	now := func() time.Time { return time.Unix(0, 0) }
	cases := map[string]struct {
		job      Job
		countErr error
		rows     int64
		err      error
		bar      bool
		file     bool
	}{
		"csv to stdout":        {job: Job{Format: CSV}, rows: 2},
		"csv with a bar":       {job: Job{Format: CSV, Now: now}, rows: 2, bar: true},
		"xlsx to a terminal":   {job: Job{Format: XLSX, OutTerminal: true}, err: ErrXLSXToTerminal},
		"xlsx to a file":       {job: Job{Format: XLSX, OutTerminal: true}, rows: 2, file: true},
		"count fails with bar": {job: Job{Format: CSV}, countErr: errCount, err: errCount, bar: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var out, bar bytes.Buffer
			j := c.job
			j.Out, j.Zone = &out, msk
			if c.bar {
				j.Progress = &bar
			}
			if c.file {
				j.Path = filepath.Join(t.TempDir(), "r.xlsx")
			}
			src := &countingSource{fakeSource: fakeSource{ps: []*plugin.Payment{payment("p1", "1", "K07-1-1", 100), payment("p2", "2", "K07-2-1", 200)}}, countErr: c.countErr}
			n, err := Run(context.Background(), src, j)
			if !errors.Is(err, c.err) || n != c.rows {
				t.Fatalf("Run = %d, %v; want %d, %v", n, err, c.rows, c.err)
			}
			if c.bar && c.err == nil && !strings.HasSuffix(bar.String(), "2/2 rows 100%\n") {
				t.Errorf("bar %q", bar.String())
			}
			if !c.bar && bar.Len() > 0 {
				t.Errorf("a bar nobody asked for: %q", bar.String())
			}
			if c.file {
				if st, err := os.Stat(j.Path); err != nil || st.Size() == 0 || out.Len() > 0 {
					t.Errorf("file: %v %v, stdout %d bytes", st, err, out.Len())
				}
			} else if c.err == nil && !strings.HasPrefix(out.String(), header) {
				t.Errorf("stdout %q", out.String())
			}
		})
	}
}

// TestRun_XLSXToStdoutFailsWhole: an XLSX export to standard output that
// fails midway writes nothing there (it is spooled to a temporary file
// and copied out only when complete), as -o leaves no file: a half zip
// that a spreadsheet's repair could open as a short register never
// reaches a redirected file. The spool is removed either way.
func TestRun_XLSXToStdoutFailsWhole(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	ps := make([]*plugin.Payment, 3000) // past the zip's first 4 KB
	for i := range ps {
		ps[i] = payment(fmt.Sprint("p", i), fmt.Sprint(i), fmt.Sprint("K07-", i, "-1"), int64(i+1))
	}
	for name, failAfter := range map[string]int{"fails midway": 2500, "complete": 0} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			src := &countingSource{fakeSource: fakeSource{ps: ps, failAfter: failAfter}}
			n, err := Run(context.Background(), src, Job{Format: XLSX, Out: &out, Zone: msk})
			if failAfter > 0 {
				if !errors.Is(err, errRead) || out.Len() != 0 {
					t.Fatalf("Run = %d, %v; %d bytes reached standard output", n, err, out.Len())
				}
			} else if err != nil || n != int64(len(ps)) || !bytes.HasPrefix(out.Bytes(), []byte("PK")) {
				t.Fatalf("Run = %d, %v; %d bytes", n, err, out.Len())
			} else {
				checkParts(t, out.Bytes())
			}
			if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) != 0 {
				t.Errorf("the spool stays behind: %v", left)
			}
		})
	}
}
