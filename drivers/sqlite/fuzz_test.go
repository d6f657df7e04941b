package sqlite

import (
	"context"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// FuzzSearchAmount checks how the journal search reads the q of a search:
// an amount is taken only when it is whole kopecks or roubles with one or
// two decimals after a comma or dot, and then exactly (checked against
// math/big, no float); the query is bound, never spliced into the SQL; and
// a real search with it succeeds and returns only matching payments. The
// seeds in testdata/fuzz run as ordinary tests under `go test`;
// scripts/fuzz.sh runs the fuzzer.
func FuzzSearchAmount(f *testing.F) {
	for _, s := range []string{
		"25990", "259,90", "259.90", "259.9", "259,9", "259.", "259,", ".90", ",90", "259.901", "259,9,0", "259.9.0",
		"0", "0,00", "00025990", "-25990", "+25990", "2.599e4", "1e3", " 25990 ", "25 990", "２５９９０",
		"9223372036854775807", "9223372036854775808", "92233720368547758,07", "92233720368547758,08",
		"90071992547409,93", "0.29", "4.35", "K07-000153-1", "pm-1", "p1", "c1",
		"' OR 1=1 --", "25990) OR (1=1", "\x00", "\xff", "?", "%", "_",
	} {
		f.Add(s)
	}
	db := mustOpen(f)
	j := db.Journal()
	base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for i, p := range []*plugin.Payment{
		newPayment("p1", "c1", 25990, base),
		newPayment("p2", "25990", 100, base.Add(time.Second)),
		newPayment("p3", "c3", 9223372036854775807, base.Add(2*time.Second)),
		newPayment("p4", "' OR 1=1 --", 29, base.Add(3*time.Second)),
	} {
		p.OrderNo = "ord-" + p.ID
		p.PayMasterID = []string{"pm-1", "pm-2", "259,90", "p1"}[i]
		mustCreate(f, j, p)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, ok := parseAmount(q)
		want, wantOK := oracleKopecks(q)
		if ok != wantOK || (ok && got != want) {
			t.Fatalf("parseAmount(%q) = %d, %v; want %d, %v", q, got, ok, want, wantOK)
		}

		where, args := filterWhere(plugin.Filter{Query: q})
		tq := strings.TrimSpace(q)
		if tq != "" && where != "" && strings.Contains(where, tq) && !strings.Contains(fixedWhere, tq) {
			t.Fatalf("query %q spliced into the SQL: %s", q, where)
		}
		if strings.Count(where, "?") != len(args) {
			t.Fatalf("%d placeholders, %d arguments: %s", strings.Count(where, "?"), len(args), where)
		}

		ps, err := j.Search(context.Background(), plugin.Filter{Query: q})
		if err != nil {
			t.Fatalf("Search(q=%q): %v", q, err)
		}
		if tq == "" && len(ps) != 4 {
			t.Fatalf("empty q found %d payments, want all 4", len(ps))
		}
		amount, isAmount := parseAmount(tq)
		for _, p := range ps {
			if tq != "" && p.CheckID != tq && p.OrderNo != tq && p.PayMasterID != tq && p.ID != tq && !(isAmount && p.Amount == amount) {
				t.Fatalf("q=%q found %s (check %q, amount %d), which does not match", q, p.ID, p.CheckID, p.Amount)
			}
		}
	})
}

// fixedWhere is every constant fragment filterWhere builds the query of.
const fixedWhere = " WHERE (check_id = ? OR order_no = ? OR paymaster_id = ? OR id = ? OR amount = ?)"

var (
	kopecksRe = regexp.MustCompile(`^[0-9]+$`)
	roublesRe = regexp.MustCompile(`^([0-9]+)[.,]([0-9]{1,2})$`)
)

// oracleKopecks is what parseAmount must do, written with big integers.
func oracleKopecks(s string) (int64, bool) {
	var n *big.Int
	switch {
	case kopecksRe.MatchString(s):
		n, _ = new(big.Int).SetString(s, 10)
	case roublesRe.MatchString(s):
		m := roublesRe.FindStringSubmatch(s)
		rub, _ := new(big.Int).SetString(m[1], 10)
		kop, _ := new(big.Int).SetString(m[2], 10)
		if len(m[2]) == 1 {
			kop.Mul(kop, big.NewInt(10))
		}
		n = rub.Mul(rub, big.NewInt(100))
		n.Add(n, kop)
	default:
		return 0, false
	}
	if !n.IsInt64() {
		return 0, false
	}
	return n.Int64(), true
}
