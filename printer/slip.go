package printer

import (
	"errors"

	"github.com/sbpd/sbpd/plugin"
)

// Texts on the SBP slip.
const (
	slipTitle = "Оплата через СБП"
	slipHint  = "Отсканируйте QR-код камерой телефона или в приложении банка"
)

// EncodeSlip returns the ESC/POS bytes of the SBP slip for s, laid out for
// o.Width (32 characters a line on 58 mm paper, 48 on 80 mm):
//
//	      259,90 руб.        centred, bold, double size
//	   Оплата через СБП
//	      [QR code]           native or raster, with its quiet zone
//	Отсканируйте QR-код камерой
//	телефона или в приложении банка
//	  Заказ: K07-000153-1
//	Действует до 12:34 (22.11.2026)
//
// then a feed and a partial cut. The expiry is shown in o.Location; a zero
// ExpiresAt or an empty OrderNo leaves its line out. EncodeSlip returns nil
// if o is invalid or the QR cannot be encoded (an empty payload, or one
// too long for a QR code); PrintSlip reports those as errors.
func EncodeSlip(s plugin.Slip, o Options) []byte {
	b, err := encodeSlip(s, o)
	if err != nil {
		return nil
	}
	return b
}

func encodeSlip(s plugin.Slip, o Options) ([]byte, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if s.QRPayload == "" {
		return nil, errors.New("printer: the slip has no QR payload")
	}
	o = o.withDefaults()
	cols := o.columns()
	var e Encoder
	e.Init(o.Codepage, o.CancelChineseMode)
	e.Align(AlignCenter)
	e.Bold(true)
	e.Size(2, 2)
	e.Paragraph(plugin.FormatRoubles(s.Amount)+" руб.", cols/2)
	e.Size(1, 1)
	e.Bold(false)
	e.Paragraph(slipTitle, cols)
	if err := e.QR(s.QRPayload, o); err != nil {
		return nil, err
	}
	e.Paragraph(slipHint, cols)
	if s.OrderNo != "" {
		e.Paragraph("Заказ: "+s.OrderNo, cols)
	}
	if !s.ExpiresAt.IsZero() {
		t := s.ExpiresAt.In(o.Location)
		e.Paragraph("Действует до "+t.Format("15:04")+" ("+t.Format("02.01.2006")+")", cols)
	}
	e.Cut()
	return e.Bytes(), nil
}
