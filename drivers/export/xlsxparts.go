package export

import (
	"strconv"
	"strings"
)

// The workbook's fixed parts. Content types and relationships as the Open
// Packaging Conventions name them; no theme and no document properties,
// which SpreadsheetML does not require.

const (
	nsMain  = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsRel   = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	xmlDecl = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	ctML    = "application/vnd.openxmlformats-officedocument.spreadsheetml."
)

const contentTypesXML = xmlDecl +
	`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
	`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
	`<Default Extension="xml" ContentType="application/xml"/>` +
	`<Override PartName="/xl/workbook.xml" ContentType="` + ctML + `sheet.main+xml"/>` +
	`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="` + ctML + `worksheet+xml"/>` +
	`<Override PartName="/xl/styles.xml" ContentType="` + ctML + `styles+xml"/>` +
	`</Types>`

const rootRelsXML = xmlDecl +
	`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="` + nsRel + `/officeDocument" Target="xl/workbook.xml"/>` +
	`</Relationships>`

const workbookRelsXML = xmlDecl +
	`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="` + nsRel + `/worksheet" Target="worksheets/sheet1.xml"/>` +
	`<Relationship Id="rId2" Type="` + nsRel + `/styles" Target="styles.xml"/>` +
	`</Relationships>`

// stylesXML: cellXfs in the order of numFmt (general, money, date-time),
// with the two custom number formats (ids from 164: below are built-in).
const stylesXML = xmlDecl +
	`<styleSheet xmlns="` + nsMain + `">` +
	`<numFmts count="2"><numFmt numFmtId="164" formatCode="0.00"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>` +
	`<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
	`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>` +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
	`</styleSheet>`

// workbookXML names the one sheet (checked by checkSheetName, escaped here).
func workbookXML(name string) string {
	return xmlDecl + `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `">` +
		`<bookViews><workbookView/></bookViews><sheets><sheet name="` + xmlAttr(name) + `" sheetId="1" r:id="rId1"/></sheets></workbook>`
}

// sheetHead is the sheet up to its first row: the frozen rows, the
// column widths.
func sheetHead(l sheetLayout) []byte {
	b := []byte(xmlDecl + `<worksheet xmlns="` + nsMain + `" xmlns:r="` + nsRel + `"><sheetViews><sheetView tabSelected="1" workbookViewId="0">`)
	if l.FrozenRows > 0 {
		top := "A" + strconv.Itoa(l.FrozenRows+1)
		b = append(b, `<pane ySplit="`+strconv.Itoa(l.FrozenRows)+`" topLeftCell="`+top+`" activePane="bottomLeft" state="frozen"/>`+
			`<selection pane="bottomLeft" activeCell="`+top+`" sqref="`+top+`"/>`...)
	}
	b = append(b, `</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>`...)
	if len(l.Widths) > 0 {
		b = append(b, `<cols>`...)
		for _, w := range l.Widths {
			b = append(b, `<col min="`+strconv.Itoa(w.First)+`" max="`+strconv.Itoa(w.Last)+`" width="`+
				strconv.FormatFloat(w.Width, 'f', -1, 64)+`" customWidth="1"/>`...)
		}
		b = append(b, `</cols>`...)
	}
	return append(b, `<sheetData>`...)
}

// xmlAttr escapes s for an attribute value in double quotes (text's
// escapes and the quote).
func xmlAttr(s string) string {
	return strings.ReplaceAll(string(appendXMLText(nil, s)), `"`, "&quot;")
}
