package printer_test

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/printer"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// msk is a fixed zone so the expiry line does not depend on the machine.
var msk = time.FixedZone("MSK", 3*3600)

// testPayload is a realistic SBP link of 110 characters.
const testPayload = "https://qr.nspk.ru/AD10001234ABCDEFGHIJKLMNOPQRSTUV?type=02&bank=100000000111&sum=25990&cur=RUB&crc=1A2B&ttl=5"

func testSlip() plugin.Slip {
	return plugin.Slip{
		PaymentID: "01JD0000000000000000000000",
		TillID:    "K07",
		CheckID:   "000153",
		OrderNo:   "K07-000153-1",
		Amount:    25990,
		QRPayload: testPayload,
		ExpiresAt: time.Date(2026, 11, 22, 9, 34, 0, 0, time.UTC), // 12:34 MSK
	}
}

const (
	wantAmount = "259,90 руб."
	wantTitle  = "Оплата через СБП"
	wantHint   = "Отсканируйте QR-код камерой телефона или в приложении банка"
	wantOrder  = "Заказ: K07-000153-1"
	wantExpiry = "Действует до 12:34 (22.11.2026)"
)

// golden compares got with the shared fixture testdata/escpos/name at the
// repository's top (the serial driver's tests send the same slips down a
// pseudo-terminal), or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "escpos", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Errorf("%s: %d bytes, golden has %d; first difference at byte %d (run go test -update if the change is intended)",
			name, len(got), len(want), i)
	}
}

func TestEncodeSlip_Golden(t *testing.T) {
	for _, tc := range []struct {
		file string
		qr   string
	}{
		{"slip_native.bin", printer.QRNative},
		{"slip_raster.bin", printer.QRRaster},
	} {
		t.Run(tc.qr, func(t *testing.T) {
			o := printer.Options{QR: tc.qr, Location: msk}
			job := printer.EncodeSlip(testSlip(), o)
			if job == nil {
				t.Fatal("EncodeSlip returned nil")
			}
			golden(t, tc.file, job)
			checkSlip(t, job, o, testSlip())
		})
	}
}

// TestEncodeSlip_Layouts walks slips for other paper widths and settings.
func TestEncodeSlip_Layouts(t *testing.T) {
	for _, o := range []printer.Options{
		{QR: printer.QRNative, Width: 384, Location: msk},
		{QR: printer.QRRaster, Width: 384, Location: msk},
		{QR: printer.QRNative, Width: 384, QRModule: 16, Location: msk},
		{QR: printer.QRNative, QRModule: 16, Location: msk},
		{QR: printer.QRRaster, Width: 384, QRModule: 16, StripRows: 100, Location: msk},
		{QR: printer.QRRaster, Width: 512, QRModule: 8, StripRows: 1000, Location: msk},
		{QR: printer.QRNative, Codepage: 59, CancelChineseMode: true, QRModule: 4, Location: msk},
		{QR: printer.QRRaster, QRModule: 3, StripRows: 7, Location: msk},
	} {
		t.Run(fmt.Sprintf("%s/w%d/m%d/cp%d", o.QR, o.Width, o.QRModule, o.Codepage), func(t *testing.T) {
			checkSlip(t, printer.EncodeSlip(testSlip(), o), o, testSlip())
		})
	}
}

// checkSlip walks a slip job and checks everything the shopper needs.
func checkSlip(t *testing.T, job []byte, o printer.Options, s plugin.Slip) {
	t.Helper()
	doc := walk(t, job)
	cp := o.Codepage
	if cp == 0 {
		cp = 17
	}
	width := o.Width
	if width == 0 {
		width = 576
	}
	checkFraming(t, doc, cp, width)
	texts := doc.texts()
	mustLine(t, texts, wantAmount)
	mustLine(t, texts, wantTitle)
	mustLine(t, texts, wantOrder)
	mustLine(t, texts, wantExpiry)
	if !strings.Contains(doc.joined(), wantHint) {
		t.Errorf("hint %q not printed; lines: %q", wantHint, texts)
	}
	for _, l := range doc.lines {
		if l.text == wantAmount && (l.width != 2 || !l.bold || l.align != 1) {
			t.Errorf("amount line: width %d bold %v align %d, want 2, true, 1", l.width, l.bold, l.align)
		}
	}
	if o.QR == printer.QRRaster {
		if len(doc.qrs) != 0 || len(doc.images) != 1 {
			t.Fatalf("raster slip has %d native QR and %d images, want 0 and 1", len(doc.qrs), len(doc.images))
		}
		checkRaster(t, doc.images[0], o, s.QRPayload)
	} else {
		if len(doc.qrs) != 1 || len(doc.images) != 0 {
			t.Fatalf("native slip has %d native QR and %d images, want 1 and 0", len(doc.qrs), len(doc.images))
		}
		checkNative(t, doc.qrs[0], o, s.QRPayload)
	}
}

// checkFraming checks what every job must do: ESC @ then ESC t cp, lines
// that fit the paper, a cut at the end.
func checkFraming(t *testing.T, doc *walkDoc, cp, width int) {
	t.Helper()
	if doc.inits != 1 {
		t.Errorf("%d ESC @, want 1", doc.inits)
	}
	if len(doc.tables) == 0 || doc.tables[0] != cp || doc.tables[len(doc.tables)-1] != cp {
		t.Errorf("ESC t sequence %v: want it to start and end with %d", doc.tables, cp)
	}
	if doc.lastCut != "GS V 66" {
		t.Errorf("job ends with %q, want the partial cut GS V 66", doc.lastCut)
	}
	cols := width / 12
	for _, l := range doc.lines {
		if len(l.raw)*l.width > cols {
			t.Errorf("line %q is %d characters at width x%d: more than the %d a line holds", l.text, len(l.raw), l.width, cols)
		}
		if l.table != cp && !strings.HasPrefix(l.text, "ESC t ") && !strings.HasPrefix(l.text, "АБВГД") && !strings.HasPrefix(l.text, "абвгд") {
			t.Errorf("line %q printed under ESC t %d", l.text, l.table)
		}
	}
}

func mustLine(t *testing.T, lines []string, want string) {
	t.Helper()
	for _, l := range lines {
		if l == want {
			return
		}
	}
	t.Errorf("line %q not printed; lines: %q", want, lines)
}

// checkNative checks the GS ( k parameters, then re-encodes the stored data
// (the printer's job) and decodes the picture.
func checkNative(t *testing.T, q walkQR, o printer.Options, payload string) {
	t.Helper()
	if q.model != 2 || q.ec != 49 {
		t.Errorf("QR model %d EC %d, want model 2 and EC 49 (M)", q.model, q.ec)
	}
	if q.align != 1 {
		t.Errorf("QR justification %d, want 1 (centre)", q.align)
	}
	width, module := o.Width, o.QRModule
	if width == 0 {
		width = 576
	}
	if module == 0 {
		module = 6
	}
	sym, err := qrcode.New(string(q.data), qrcode.Medium)
	if err != nil {
		t.Fatalf("stored QR data: %v", err)
	}
	side := len(sym.Bitmap()) // quiet zone included
	if side*q.module > width {
		t.Errorf("QR %d modules x %d dots = %d dots, wider than %d", side, q.module, side*q.module, width)
	}
	if side*module <= width && q.module != module {
		t.Errorf("QR module %d, want the configured %d (it fits)", q.module, module)
	}
	if q.module < module && side*(q.module+1) <= width {
		t.Errorf("QR module reduced to %d although %d fits", q.module, q.module+1)
	}
	quiet := 4 * q.module // dots; lines are at least 30 dots
	if q.feedBefore*30 < quiet || q.feedAfter*30 < quiet {
		t.Errorf("quiet zone feeds %d/%d lines, want >= %d dots each", q.feedBefore, q.feedAfter, quiet)
	}
	bm := sym.Bitmap()
	img := image.NewGray(image.Rect(0, 0, len(bm)*q.module, len(bm)*q.module))
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			c := color.Gray{Y: 255}
			if bm[y/q.module][x/q.module] {
				c.Y = 0
			}
			img.SetGray(x, y, c)
		}
	}
	if got := decodeQR(t, img); got != payload {
		t.Errorf("native QR decodes to %q, want %q", got, payload)
	}
}

// checkRaster checks the reassembled GS v 0 image and decodes it as sent.
func checkRaster(t *testing.T, m walkImage, o printer.Options, payload string) {
	t.Helper()
	width, strip := o.Width, o.StripRows
	if width == 0 {
		width = 576
	}
	if strip == 0 {
		strip = 128
	}
	if m.widthBytes*8 > width {
		t.Errorf("raster %d dots wide, more than %d", m.widthBytes*8, width)
	}
	if m.align != 1 {
		t.Errorf("raster justification %d, want 1 (centre)", m.align)
	}
	for i, h := range m.strips {
		if h > strip || (i < len(m.strips)-1 && h != strip) {
			t.Errorf("strips %v, want %d rows each (the last may be shorter)", m.strips, strip)
			break
		}
	}
	if m.height > strip && len(m.strips) < 2 {
		t.Errorf("a %d-row image in one GS v 0", m.height)
	}
	// The quiet zone: 4 white modules on every side of the symbol.
	top, left, bottom, right := m.height, m.widthBytes*8, -1, -1
	for y := 0; y < m.height; y++ {
		for x := 0; x < m.widthBytes*8; x++ {
			if m.dot(x, y) {
				top, left = min(top, y), min(left, x)
				bottom, right = max(bottom, y), max(right, x)
			}
		}
	}
	if bottom < 0 {
		t.Fatal("raster image is blank")
	}
	// The top-left finder pattern starts with a run of 7 modules.
	run := 0
	for x := left; x < m.widthBytes*8 && m.dot(x, top); x++ {
		run++
	}
	module := run / 7
	side := (bottom - top + 1) + 8*module // the symbol with its quiet zone
	if module < 1 || run%7 != 0 || right-left != bottom-top {
		t.Errorf("symbol (%d,%d)-(%d,%d), finder run %d: not a square of whole modules", left, top, right, bottom, run)
	}
	if top != 4*module || left != 4*module || m.height != side || m.widthBytes != (side+7)/8 {
		t.Errorf("symbol (%d,%d)-(%d,%d) in a %dx%d image, %d-dot modules: want a 4-module quiet zone on every side",
			left, top, right, bottom, m.widthBytes*8, m.height, module)
	}
	// A lone black dot (0x10) cannot occur with 2+ dot modules, so no DLE
	// real-time command (DLE EOT, DLE ENQ, DLE DC4) can hide in the image.
	if module >= 2 && bytes.IndexByte(m.data, 0x10) >= 0 {
		t.Errorf("raster data contains 0x10 (DLE)")
	}
	if got := decodeQR(t, m.image()); got != payload {
		t.Errorf("raster QR decodes to %q, want %q", got, payload)
	}
}

// decodeQR reads a QR code from img with gozxing.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(img)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("gozxing cannot read the QR: %v", err)
	}
	return res.GetText()
}

func TestEncodeSlip_Invalid(t *testing.T) {
	s := testSlip()
	s.QRPayload = ""
	if b := printer.EncodeSlip(s, printer.Options{}); b != nil {
		t.Errorf("empty payload: %d bytes, want nil", len(b))
	}
	if b := printer.EncodeSlip(testSlip(), printer.Options{QR: "laser"}); b != nil {
		t.Errorf("invalid options: %d bytes, want nil", len(b))
	}
	s = testSlip()
	s.QRPayload = strings.Repeat("x", 3000) // more than a QR code holds
	if b := printer.EncodeSlip(s, printer.Options{QR: printer.QRRaster}); b != nil {
		t.Errorf("oversized raster payload: %d bytes, want nil", len(b))
	}
}

func TestEncodeSlip_OptionalLines(t *testing.T) {
	s := testSlip()
	s.OrderNo, s.ExpiresAt = "", time.Time{}
	doc := walk(t, printer.EncodeSlip(s, printer.Options{Location: msk}))
	for _, l := range doc.texts() {
		if strings.HasPrefix(l, "Заказ") || strings.HasPrefix(l, "Действует") {
			t.Errorf("line %q printed for an empty field", l)
		}
	}
	mustLine(t, doc.texts(), wantAmount)
}

func TestEncodeSlip_Hostile(t *testing.T) {
	s := testSlip()
	s.OrderNo = "K07\x1b@\x1dV\x00—№1"
	doc := walk(t, printer.EncodeSlip(s, printer.Options{Location: msk}))
	mustLine(t, doc.texts(), "Заказ: K07?@?V?-N1")
}

func TestEncodeTestPage_Golden(t *testing.T) {
	o := printer.Options{Location: msk}
	job := printer.EncodeTestPage(o)
	golden(t, "testpage.bin", job)
	checkTestPage(t, job, o)
}

func TestEncodeTestPage_Layouts(t *testing.T) {
	for _, o := range []printer.Options{
		{Width: 384, QR: printer.QRRaster, Codepage: 7},
		{Width: 384, Codepage: 59, CancelChineseMode: true},
		{Codepage: 21},
	} {
		t.Run(fmt.Sprintf("w%d/cp%d", o.Width, o.Codepage), func(t *testing.T) {
			checkTestPage(t, printer.EncodeTestPage(o), o)
		})
	}
}

func checkTestPage(t *testing.T, job []byte, o printer.Options) {
	t.Helper()
	doc := walk(t, job)
	cp, width := o.Codepage, o.Width
	if cp == 0 {
		cp = 17
	}
	if width == 0 {
		width = 576
	}
	checkFraming(t, doc, cp, width)
	texts := doc.texts()
	mustLine(t, texts, "Тест принтера sbpd")
	joined := doc.joined()
	for _, want := range []string{
		fmt.Sprintf("printer.codepage = %d (ESC t)", cp),
		fmt.Sprintf("printer.qr = %s", map[bool]string{true: "raster", false: "native"}[o.QR == printer.QRRaster]),
		"Если текст выше читается по-русски, printer.codepage выбран верно",
		fmt.Sprintf("printer.width = %d (%d симв.)", width, width/12),
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("test page lacks %q; lines: %q", want, texts)
		}
	}
	// The probe: each candidate selected, labelled in ASCII, then the
	// alphabet as CP866 bytes under that table.
	probes := []int{6, 7, 17, 46, 59, 73}
	if !containsInt(probes, cp) {
		probes = append(probes, cp)
	}
	alphabet := "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ абвгдежзийклмнопрстуфхцчшщъыьэюя"
	for _, n := range probes {
		var label string
		var alpha []string
		for _, l := range doc.lines {
			if l.table != n {
				continue
			}
			if strings.HasPrefix(l.text, fmt.Sprintf("ESC t %d:", n)) {
				label = l.text
			}
			if strings.HasPrefix(l.text, "АБВ") || strings.HasPrefix(l.text, "абв") {
				alpha = append(alpha, l.text)
			}
		}
		if label == "" || strings.Join(alpha, " ") != alphabet {
			t.Errorf("probe ESC t %d: label %q, alphabet %q", n, label, alpha)
		}
	}
	if !containsInt(doc.tables, 6) || doc.tables[len(doc.tables)-1] != cp {
		t.Errorf("ESC t sequence %v", doc.tables)
	}
	var payload string
	switch {
	case len(doc.qrs) == 1:
		payload = string(doc.qrs[0].data)
		checkNative(t, doc.qrs[0], o, printer.TestQRPayload)
	case len(doc.images) == 1:
		checkRaster(t, doc.images[0], o, printer.TestQRPayload)
		payload = printer.TestQRPayload
	default:
		t.Fatalf("test page has %d native QR and %d images", len(doc.qrs), len(doc.images))
	}
	if payload != printer.TestQRPayload {
		t.Errorf("sample QR %q", payload)
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
