// Package export writes the register of payments, the back office's
// export of the journal, as CSV or XLSX: one row per payment with the
// columns in Header, streamed row by row from a Source so that a year's
// export never sits in memory.
//
// Every text cell came from outside (a till, PayMaster, a hand-edited
// journal) and is written safely: control and bidi characters go through
// plugin.Printable, and in CSV a cell a spreadsheet would run as a
// formula gets a leading single quote, while a plain number stays a
// number. It is the only package that imports excelize.
package export
