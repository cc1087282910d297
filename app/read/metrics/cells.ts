import { DAY_MS, QUARTER_HOUR_MS } from '../../../db/metrics-rollups';

/**
 * Where the counts of a time range come from: whole UTC days from the day rollups, 15-minute
 * cells from the fine rollup, and (only for ranges not on a 15-minute boundary) the requests
 * themselves. A piece with sign −1 is subtracted: a partial day is read either as its own cells
 * or as the whole day minus the rest, whichever spans less time.
 */
export interface Piece {
  source: 'day' | 'quarterHour' | 'requests';
  start: number;
  end: number;
  sign: 1 | -1;
}

/** Bounds standing for an open range end: the extremes of Date, multiples of a day. */
export const EARLIEST = -8_640_000_000_000_000;
export const LATEST = 8_640_000_000_000_000;

function floorTo(at: number, step: number): number {
  return at - (((at % step) + step) % step);
}

function ceilTo(at: number, step: number): number {
  const floor = floorTo(at, step);
  return floor === at ? at : floor + step;
}

/** A part [start, end) of one UTC day, as quarter-hour cells or as the day minus its complement. */
function partialDay(start: number, end: number): Piece[] {
  const day = floorTo(start, DAY_MS);
  if (end - start <= DAY_MS - (end - start)) return [{ source: 'quarterHour', start, end, sign: 1 }];
  const pieces: Piece[] = [{ source: 'day', start: day, end: day + DAY_MS, sign: 1 }];
  if (day < start) pieces.push({ source: 'quarterHour', start: day, end: start, sign: -1 });
  if (end < day + DAY_MS) pieces.push({ source: 'quarterHour', start: end, end: day + DAY_MS, sign: -1 });
  return pieces;
}

export function rangePieces(start: number, end: number): Piece[] {
  if (start >= end) return [];
  const start15 = ceilTo(start, QUARTER_HOUR_MS);
  const end15 = floorTo(end, QUARTER_HOUR_MS);
  if (start15 >= end15) return [{ source: 'requests', start, end, sign: 1 }];
  const pieces: Piece[] = [];
  if (start < start15) pieces.push({ source: 'requests', start, end: start15, sign: 1 });
  const firstDay = ceilTo(start15, DAY_MS);
  const lastDay = floorTo(end15, DAY_MS);
  if (firstDay <= lastDay) {
    if (start15 < firstDay) pieces.push(...partialDay(start15, firstDay));
    if (firstDay < lastDay) pieces.push({ source: 'day', start: firstDay, end: lastDay, sign: 1 });
    if (lastDay < end15) pieces.push(...partialDay(lastDay, end15));
  } else {
    pieces.push(...partialDay(start15, end15));
  }
  if (end15 < end) pieces.push({ source: 'requests', start: end15, end, sign: 1 });
  return pieces;
}
