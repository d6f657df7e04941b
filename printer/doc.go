// Package printer drives the receipt printer for mode 0: it prints the SBP
// QR on the receipt tape.
//
// The printer speaks ESC/POS, Epson's command language for receipt
// printers, which most Russian-market kiosk printers (Epson, Xprinter,
// Rongta, the "POS-80" clones) follow closely enough. The package has three
// layers:
//
//   - Encoder builds ESC/POS bytes: ESC @ followed by ESC t n every time,
//     text transcoded to CP866 (EncodeCP866), bold, size, alignment, feed,
//     cut, and the QR either natively (GS ( k, model 2, error correction M)
//     or as a raster image (GS v 0, in strips) for printers without native
//     QR.
//   - EncodeSlip and EncodeTestPage lay out the SBP slip and the test page
//     with its code-table probe.
//   - Printer implements plugin.Printer over a Port (a serial port narrowed
//     to io.ReadWriter plus a read timeout). It asks the printer for its
//     real-time status (DLE EOT 1, 2, 4; 3 when an error is reported) before
//     every job and refuses to print on paper end, cover open, offline,
//     error or no answer: a printer that does not answer is never assumed
//     to be fine.
//
// The byte values come from Epson's ESC/POS command reference,
// https://download4.epson.biz/sec_pubs/pos/reference_en/escpos/index.html,
// and from the vendors' own manuals for their ESC t numbers for CP866 (17 on
// Epson and most clones, 59 on some Xprinter firmware, 7 on Rongta). printer.codepage selects it;
// the test page prints the Russian alphabet under every candidate so that a
// technician can see which one reads.
//
// The printer never opens or closes the port: the caller (cmd/sbpd) owns it.
package printer
