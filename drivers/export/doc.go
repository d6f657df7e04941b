// Package export writes the register of payments, the back office's
// export of the journal, as CSV or XLSX: one row per payment with the
// columns in Header, streamed row by row from a Source so that a year's
// export never sits in memory.
//
// Every text cell came from outside (a till, PayMaster, a hand-edited
// journal) and is written safely: control and bidi characters go through
// plugin.Printable, and in CSV a cell a spreadsheet would run as a
// formula gets a leading single quote, while a plain number stays a
// number.
//
// XLSX is written by the package's own small SpreadsheetML writer
// (xlsxwriter.go), zipped with archive/zip straight into the output: the
// fixed parts first, then the one sheet row by row, so neither the rows
// nor a temporary file are kept. Texts are inline strings, XML-escaped and
// rid of the characters XML 1.0 forbids; amounts, kopecks, codes are
// numbers, flags booleans, times serial numbers with a date-time format.
// It is the only package that writes XLSX (the only importer of
// archive/zip). excelize, a full spreadsheet library, is only the tests'
// reader: linked into the daemon, its package init alone cost 1.4 MB of
// idle memory.
package export
