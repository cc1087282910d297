import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { columnName, escapeXml, XlsxStream, type XlsxValue } from '../../app/lib/xlsx-stream';
import { CHUNK_BYTES } from '../../app/lib/zip-stream';

/** A workbook written by XlsxStream, as the bytes and the chunks `emit` was given. */
async function write(build: (book: XlsxStream) => Promise<void>) {
  const chunks: Uint8Array[] = [];
  const book = new XlsxStream((chunk) => {
    chunks.push(chunk);
  }, new Date('2026-11-25T12:00:00Z'));
  await build(book);
  await book.finish();
  return { bytes: Buffer.concat(chunks), chunks };
}

async function read(bytes: Buffer) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  return workbook;
}

/** What XML 1.0 can hold of a string: the code points of its Char production (2.2), the rest dropped. */
const xmlSafe = (text: string) =>
  [...text]
    .filter((char) => {
      const code = char.codePointAt(0)!;
      return (
        code === 0x9 ||
        code === 0xa ||
        code === 0xd ||
        (code >= 0x20 && code <= 0xd7ff) ||
        (code >= 0xe000 && code <= 0xfffd) ||
        code >= 0x10000
      );
    })
    .join('');

describe('XlsxStream', () => {
  it('names columns as Excel does', () => {
    expect([0, 25, 26, 51, 52, 701, 702, 16_383].map(columnName)).toEqual([
      'A',
      'Z',
      'AA',
      'AZ',
      'BA',
      'ZZ',
      'AAA',
      'XFD',
    ]);
  });

  it('escapes markup and drops what XML 1.0 forbids', () => {
    expect(escapeXml('a & b < c > "d"\r\n\te')).toBe('a &amp; b &lt; c &gt; &quot;d&quot;&#13;\n\te');
    expect(escapeXml('nul\u0000 bell\u0007 ff\u000c \ufffe\uffff')).toBe('nul bell ff ');
    expect(escapeXml('lone \ud800 and \udc00, pair 😀')).toBe('lone  and , pair 😀');
  });

  it('round-trips any strings and numbers through exceljs', async () => {
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom(
          '\u0000',
          '\u0001',
          '\u001f',
          '\t',
          '\n',
          '\r',
          ' ',
          '&',
          '<',
          '>',
          '"',
          "'",
          '😀',
          '\ud800',
          '\udfff',
          '\ufffe',
        ),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        fc.constantFrom('a', 'Z', '9', '_', 'é', '中'),
      ),
      maxLength: 40,
    });
    const cell: fc.Arbitrary<XlsxValue> = fc.oneof(
      text,
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x)),
      fc.constant(null),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }),
        async (rows) => {
          const { bytes } = await write(async (book) => {
            const sheet = await book.sheet('Data', { columns: [{ width: 10 }] });
            for (const row of rows) await sheet.row(row);
            await sheet.close();
          });
          const got = (await read(bytes)).getWorksheet('Data')!;
          rows.forEach((row, r) => {
            row.forEach((value, c) => {
              const back = got.getRow(r + 1).getCell(c + 1).value;
              // An empty string is an empty cell, as with exceljs's own writer.
              const expected = typeof value === 'string' ? xmlSafe(value) || null : value;
              expect(back ?? null).toEqual(expected);
            });
          });
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);

  it('writes sheets of many blocks in chunks of CHUNK_BYTES, with styles, widths, a frozen header and an auto-filter', async () => {
    const rows = 6_000;
    const { bytes, chunks } = await write(async (book) => {
      const bold = book.style({ bold: true });
      const date = book.style({ numFmt: 'yyyy-mm-dd hh:mm:ss' });
      const money = book.style({ numFmt: '#,##0.000' });
      expect(book.style({ numFmt: 'yyyy-mm-dd hh:mm:ss' })).toBe(date);
      const sheet = await book.sheet('Rows & more', {
        columns: [{ width: 18 }, { width: 22, style: date }, { width: 12 }],
        frozenHeader: true,
        autoFilter: true,
      });
      await sheet.row(['id', 'when', 'amount'], bold, bold);
      for (let i = 0; i < rows; i++) {
        // About 1 KB a row: 6 MB of XML, many deflate blocks.
        const written = sheet.row(
          [`row ${i} ${'x'.repeat(900)}`, new Date(Date.UTC(2026, 10, 1) + i * 1000), i / 1000],
          [0, date, money],
        );
        if (written) await written;
      }
      await sheet.close();
    });
    expect(chunks.slice(0, -1).every((chunk) => chunk.byteLength === CHUNK_BYTES)).toBe(true);
    const sheet = (await read(bytes)).getWorksheet('Rows & more')!;
    expect(sheet.rowCount).toBe(rows + 1);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.autoFilter).toBe('A1:C1');
    expect(sheet.columns.map((column) => column.width)).toEqual([18, 22, 12]);
    expect(sheet.getRow(1).font?.bold).toBe(true);
    expect(sheet.getRow(1).values).toEqual([undefined, 'id', 'when', 'amount']);
    const last = sheet.getRow(rows + 1);
    expect(last.getCell(1).value).toBe(`row ${rows - 1} ${'x'.repeat(900)}`);
    expect(last.getCell(2).value).toEqual(new Date(Date.UTC(2026, 10, 1) + (rows - 1) * 1000));
    expect(last.getCell(2).numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    expect(last.getCell(3).value).toBe((rows - 1) / 1000);
    expect(last.getCell(3).numFmt).toBe('#,##0.000');
  }, 60_000);
});
