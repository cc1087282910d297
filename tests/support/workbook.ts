import ExcelJS from 'exceljs';
import { expect } from 'vitest';

/** An XLSX download read back: the response must be 200. */
export async function workbookOf(response: Response): Promise<ExcelJS.Workbook> {
  expect(response.status).toBe(200);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load((await response.arrayBuffer()) as ArrayBuffer);
  return workbook;
}

/** The value beside `label` on an export's Summary sheet. */
export function summaryValue(workbook: ExcelJS.Workbook, label: string): ExcelJS.CellValue | undefined {
  let value: ExcelJS.CellValue | undefined;
  workbook.getWorksheet('Summary')!.eachRow((row) => {
    if (row.getCell(1).value === label) value = row.getCell(2).value;
  });
  return value;
}
