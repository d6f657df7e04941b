package printer

import (
	"slices"
	"strconv"
)

// TestQRPayload is the link in the test page's sample QR code. It is as
// long as a real SBP link (so the symbol has the same version and size as
// on a slip) but points nowhere: .invalid never resolves.
const TestQRPayload = "https://sbpd.invalid/printer-test/AD10001234ABCDEFGHIJKLMNOPQRSTUV?type=02&sum=25990&cur=RUB&note=not-a-payment"

// probeCodepages are the ESC t values the test page tries: the CP866 and
// CP1251 numbers of Epson (17, 46), Xprinter-style clones (59, 73) and
// Rongta (7, 6).
var probeCodepages = []int{6, 7, 17, 46, 59, 73}

// Russian alphabet printed under each probed code table.
const probeAlphabet = "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ абвгдежзийклмнопрстуфхцчшщъыьэюя"

// EncodeTestPage returns the ESC/POS bytes of the test page: the settings
// in use, a sample QR code (TestQRPayload) printed the configured way, and
// a code-table probe. The probe selects each of ESC t 6, 7, 17, 46, 59 and
// 73 (the CP866 and CP1251 numbers of Rongta, Epson and the Xprinter-style
// clones), and o.Codepage if it is not among them, in turn and prints an ASCII label
// "ESC t <n>:" and the Russian alphabet as CP866 bytes: only under a table
// that is PC866 does the alphabet read, which tells the technician what
// printer.codepage should be. Finally it selects o.Codepage again and cuts.
// Invalid options are replaced by the defaults.
func EncodeTestPage(o Options) []byte {
	if o.Validate() != nil {
		o = Options{Location: o.Location}
	}
	o = o.withDefaults()
	cols := o.columns()
	var e Encoder
	e.Init(o.Codepage, o.CancelChineseMode)
	e.Align(AlignCenter)
	e.Bold(true)
	e.Paragraph("Тест принтера sbpd", cols)
	e.Bold(false)
	e.LF()
	e.Align(AlignLeft)
	e.Paragraph("Настройки:", cols)
	e.Paragraph("printer.codepage = "+strconv.Itoa(o.Codepage)+" (ESC t)", cols)
	e.Paragraph("printer.qr = "+o.QR, cols)
	e.Paragraph("printer.qr_module = "+strconv.Itoa(o.QRModule), cols)
	e.Paragraph("printer.width = "+strconv.Itoa(o.Width)+" ("+strconv.Itoa(cols)+" симв.)", cols)
	e.LF()
	e.Align(AlignCenter)
	e.Paragraph("Пример QR-кода:", cols)
	if err := e.QR(TestQRPayload, o); err != nil {
		e.Paragraph("QR-код не построен: "+err.Error(), cols) // cannot happen with a fixed link
	}
	e.Align(AlignLeft)
	e.Paragraph("Если текст выше читается по-русски, printer.codepage выбран верно.", cols)
	e.LF()
	e.Paragraph("Проба кодовых таблиц: правильная та, где русский алфавит читается.", cols)
	probes := probeCodepages
	if !slices.Contains(probes, o.Codepage) {
		probes = append(slices.Clone(probes), o.Codepage)
	}
	for _, n := range probes {
		e.CodeTable(n)
		label := "ESC t " + strconv.Itoa(n) + ":"
		if n == o.Codepage {
			label += " <- printer.codepage"
		}
		e.LF()
		e.Paragraph(label, cols)
		e.Paragraph(probeAlphabet, cols)
	}
	e.CodeTable(o.Codepage)
	e.Cut()
	return e.Bytes()
}
