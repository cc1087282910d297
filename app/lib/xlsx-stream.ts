import { type Emit, type ZipEntryWriter, ZipStream } from './zip-stream';

/**
 * An XLSX workbook written as SpreadsheetML text straight into a ZipStream, a row at a time: no
 * object per cell, no shared-strings table (strings are inline), so memory stays flat however many
 * rows. Numbers are numbers, dates are Excel serials (the wall clock they are given, as UTC), and a
 * cell's look is a style id from `style()`. Sheets are written one after another; `finish()` adds
 * the workbook, its styles and relationships.
 */

export type XlsxValue = string | number | Date | null | undefined;

export interface XlsxStyle {
  numFmt?: string;
  bold?: boolean;
}

export interface XlsxColumn {
  width: number;
  /** The column's default style (a style id). */
  style?: number;
}

export interface XlsxSheetOptions {
  columns: readonly XlsxColumn[];
  /** Row 1 stays in view (a frozen pane below it). */
  frozenHeader?: boolean;
  /** An auto-filter over row 1's columns. */
  autoFilter?: boolean;
}

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const RELS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PACKAGE_RELS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
/** Excel's built-in number formats that have an id of their own (ECMA-376 18.8.30). */
const BUILT_IN_FORMATS: Record<string, number> = {
  '0': 1,
  '0.00': 2,
  '#,##0': 3,
  '#,##0.00': 4,
  '0%': 9,
  '0.00%': 10,
  '0.00E+00': 11,
  'mm-dd-yy': 14,
  '@': 49,
};
const DAY_MS = 86_400_000;
/** 1970-01-01 as an Excel serial (1900 date system). */
const EPOCH_SERIAL = 25569;

/** An epoch-ms wall-clock time as an Excel date serial. */
export const excelSerial = (ms: number) => EPOCH_SERIAL + ms / DAY_MS;

/** 'A', 'B', ... 'Z', 'AA', ... for a 0-based column index. */
export function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

// Characters XML 1.0 does not allow (dropped), unpaired surrogates (dropped), and those to escape.
// A carriage return becomes &#13;: as a raw byte an XML reader would turn it into a line feed.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is dropped
const NEEDS_WORK = /[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]/;
const REPLACE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is dropped
  /[&<>"\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;' };
const replacement = (char: string) => ENTITIES[char] ?? '';

/** Text safe in XML content and attribute values: escaped, without characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  return NEEDS_WORK.test(text) ? text.replace(REPLACE, replacement) : text;
}

/** A string cell's `<t>`: whitespace at its ends or tabs and line breaks inside are kept (xml:space). */
function textElement(text: string): string {
  if (!NEEDS_WORK.test(text)) {
    const keep = text.charCodeAt(0) === 32 || text.charCodeAt(text.length - 1) === 32;
    return keep ? `<t xml:space="preserve">${text}</t>` : `<t>${text}</t>`;
  }
  const escaped = text.replace(REPLACE, replacement);
  const keep = /^\s|\s$|[\t\n]|&#13;/.test(escaped);
  return keep ? `<t xml:space="preserve">${escaped}</t>` : `<t>${escaped}</t>`;
}

interface SheetEntry {
  name: string;
  file: string;
}

export class XlsxStream {
  private readonly zip: ZipStream;
  private readonly sheets: SheetEntry[] = [];
  private readonly styles = new Map<string, number>();
  private readonly cellXfs: string[] = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'];
  private readonly numFmts = new Map<string, number>();
  private open: XlsxSheetWriter | null = null;

  constructor(emit: Emit, modified: Date) {
    this.zip = new ZipStream(emit, modified);
  }

  /** The style id of a look (0 is the default); the same look gives the same id. */
  style(style: XlsxStyle): number {
    const key = `${style.bold ? 'b' : ''}|${style.numFmt ?? ''}`;
    const known = this.styles.get(key);
    if (known !== undefined) return known;
    let numFmtId = 0;
    if (style.numFmt) {
      numFmtId = BUILT_IN_FORMATS[style.numFmt] ?? this.numFmts.get(style.numFmt) ?? 164 + this.numFmts.size;
      if (numFmtId >= 164) this.numFmts.set(style.numFmt, numFmtId);
    }
    const fontId = style.bold ? 1 : 0;
    const applied = `${numFmtId ? ' applyNumberFormat="1"' : ''}${fontId ? ' applyFont="1"' : ''}`;
    this.cellXfs.push(`<xf numFmtId="${numFmtId}" fontId="${fontId}" fillId="0" borderId="0" xfId="0"${applied}/>`);
    const id = this.cellXfs.length - 1;
    this.styles.set(key, id);
    return id;
  }

  /** Starts the next sheet (the previous one must be closed). */
  async sheet(name: string, options: XlsxSheetOptions): Promise<XlsxSheetWriter> {
    if (this.open) throw new Error(`XlsxStream: sheet '${this.open.name}' is still open`);
    const file = `xl/worksheets/sheet${this.sheets.length + 1}.xml`;
    this.sheets.push({ name, file });
    const entry = await this.zip.entry(file);
    const cols = options.columns
      .map((column, index) => {
        const style = column.style ? ` style="${column.style}"` : '';
        return `<col min="${index + 1}" max="${index + 1}" width="${column.width}"${style} customWidth="1"/>`;
      })
      .join('');
    const views = options.frozenHeader
      ? '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
      : '';
    const filter = options.autoFilter ? `<autoFilter ref="A1:${columnName(options.columns.length - 1)}1"/>` : '';
    const writer = new XlsxSheetWriter(name, entry, options.columns.length, filter, () => {
      this.open = null;
    });
    this.open = writer;
    await entry.write(
      `${XML_HEAD}<worksheet xmlns="${MAIN}" xmlns:r="${RELS}">${views}<sheetFormatPr defaultRowHeight="15"/>` +
        `${cols ? `<cols>${cols}</cols>` : ''}<sheetData>`,
    );
    return writer;
  }

  /** Writes the workbook's parts and the ZIP's central directory. */
  async finish(): Promise<void> {
    if (this.open) throw new Error(`XlsxStream: sheet '${this.open.name}' is still open`);
    const sheets = this.sheets;
    await this.zip.file('xl/styles.xml', this.stylesXml());
    await this.zip.file(
      'xl/workbook.xml',
      `${XML_HEAD}<workbook xmlns="${MAIN}" xmlns:r="${RELS}"><bookViews><workbookView/></bookViews><sheets>${sheets
        .map((sheet, index) => `<sheet name="${escapeXml(sheet.name)}" sheetId="${index + 1}" r:id="rId${index + 1}"/>`)
        .join('')}</sheets></workbook>`,
    );
    const relationship = (id: string, type: string, target: string) =>
      `<Relationship Id="${id}" Type="${RELS}/${type}" Target="${target}"/>`;
    await this.zip.file(
      'xl/_rels/workbook.xml.rels',
      `${XML_HEAD}<Relationships xmlns="${PACKAGE_RELS}">${sheets
        .map((sheet, index) => relationship(`rId${index + 1}`, 'worksheet', sheet.file.slice(3)))
        .join('')}${relationship(`rId${sheets.length + 1}`, 'styles', 'styles.xml')}</Relationships>`,
    );
    await this.zip.file(
      '_rels/.rels',
      `${XML_HEAD}<Relationships xmlns="${PACKAGE_RELS}">${relationship('rId1', 'officeDocument', 'xl/workbook.xml')}</Relationships>`,
    );
    const type = (kind: string) => `application/vnd.openxmlformats-officedocument.spreadsheetml.${kind}+xml`;
    await this.zip.file(
      '[Content_Types].xml',
      `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        `<Override PartName="/xl/workbook.xml" ContentType="${type('sheet.main')}"/>` +
        sheets.map((sheet) => `<Override PartName="/${sheet.file}" ContentType="${type('worksheet')}"/>`).join('') +
        `<Override PartName="/xl/styles.xml" ContentType="${type('styles')}"/></Types>`,
    );
    await this.zip.finish();
  }

  private stylesXml(): string {
    const numFmts = [...this.numFmts]
      .map(([code, id]) => `<numFmt numFmtId="${id}" formatCode="${escapeXml(code)}"/>`)
      .join('');
    return (
      `${XML_HEAD}<styleSheet xmlns="${MAIN}">` +
      (numFmts ? `<numFmts count="${this.numFmts.size}">${numFmts}</numFmts>` : '') +
      '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/></font></fonts>' +
      '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
      '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
      '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
      `<cellXfs count="${this.cellXfs.length}">${this.cellXfs.join('')}</cellXfs>` +
      '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    );
  }
}

export class XlsxSheetWriter {
  /** The number of the last row written (1-based). */
  rowNumber = 0;
  private readonly columns: string[];
  private readonly opens: string[][] = [];

  constructor(
    readonly name: string,
    private readonly entry: ZipEntryWriter,
    columnCount: number,
    private readonly tail: string,
    private readonly onClose: () => void,
  ) {
    this.columns = Array.from({ length: Math.max(columnCount, 26) }, (_, index) => columnName(index));
  }

  /**
   * Appends a row: cell i takes `values[i]` and style `styles[i]` (or `styles` for all), `rowStyle`
   * goes on the row itself. Null cells are written only when styled. Returns a promise to wait for
   * when the text went to zlib, null otherwise.
   */
  row(values: readonly XlsxValue[], styles: readonly number[] | number = 0, rowStyle = 0): Promise<void> | null {
    const r = ++this.rowNumber;
    let xml = rowStyle ? `<row r="${r}" s="${rowStyle}" customFormat="1">` : `<row r="${r}">`;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      const style = typeof styles === 'number' ? styles : (styles[i] ?? 0);
      const open = `${this.cellOpen(i, style)}${r}"`;
      if (typeof value === 'string') xml += `${open} t="inlineStr"><is>${textElement(value)}</is></c>`;
      else if (typeof value === 'number' && Number.isFinite(value)) xml += `${open}><v>${value}</v></c>`;
      else if (value instanceof Date && !Number.isNaN(value.getTime()))
        xml += `${open}><v>${excelSerial(value.getTime())}</v></c>`;
      else if (style) xml += `${open}/>`;
    }
    return this.entry.write(`${xml}</row>`);
  }

  /** '<c s="3" r="B' for column 1 and style 3, kept per column and style. */
  private cellOpen(column: number, style: number): string {
    let byStyle = this.opens[column];
    if (!byStyle) {
      byStyle = [];
      this.opens[column] = byStyle;
    }
    let open = byStyle[style];
    if (open === undefined) {
      open = `<c${style ? ` s="${style}"` : ''} r="${this.columns[column] ?? columnName(column)}`;
      byStyle[style] = open;
    }
    return open;
  }

  /** Leaves a row empty. */
  skipRow(): void {
    this.rowNumber += 1;
  }

  async close(): Promise<void> {
    await this.entry.write(
      `</sheetData>${this.tail}<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`,
    );
    await this.entry.close();
    this.onClose();
  }
}
