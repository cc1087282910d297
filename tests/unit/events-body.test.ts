import { describe, expect, it } from 'vitest';
import { BodyError, parseEventsBody } from '../../app/write/events-body';

const NDJSON = 'application/x-ndjson';

/** The body as the server reads it (bytes), and as a worker receives them (a plain Uint8Array at an offset). */
function asBytes(text: string): { buffer: Buffer; plain: Uint8Array } {
  const buffer = Buffer.from(text, 'utf8');
  const padded = new Uint8Array(buffer.byteLength + 7);
  padded.set(buffer, 3);
  return { buffer, plain: padded.subarray(3, 3 + buffer.byteLength) };
}

function errorOf(run: () => unknown): { code: string; message: string } | null {
  try {
    run();
    return null;
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    return { code: error.code, message: error.message };
  }
}

describe('parseEventsBody', () => {
  it('reads NDJSON bytes line by line as the decoded text: CRLF, blank lines, a BOM, names beyond Latin-1', () => {
    const text = `\uFEFF{"id":"a","name":"Zoë"}\r\n\r\n  {"id":"b","name":"日本 😀"}\n{"id":"c","name":"Ω"}`;
    const expected = [
      { id: 'a', name: 'Zoë' },
      { id: 'b', name: '日本 😀' },
      { id: 'c', name: 'Ω' },
    ];
    const { buffer, plain } = asBytes(text);
    expect(parseEventsBody(text, NDJSON)).toEqual(expected);
    expect(parseEventsBody(buffer, NDJSON)).toEqual(expected);
    expect(parseEventsBody(plain, NDJSON)).toEqual(expected);
  });

  it('names the same line of a broken NDJSON body from bytes as from text', () => {
    const text = '{"id":"a"}\n\n{"id":"é"}\n{oops\n{"id":"d"}\n';
    const { buffer, plain } = asBytes(text);
    const expected = { code: 'invalid_body', message: 'Line 4 is not valid JSON' };
    expect(errorOf(() => parseEventsBody(text, NDJSON))).toEqual(expected);
    expect(errorOf(() => parseEventsBody(buffer, NDJSON))).toEqual(expected);
    expect(errorOf(() => parseEventsBody(plain, NDJSON))).toEqual(expected);
  });

  it('reads a JSON array or object from bytes', () => {
    expect(parseEventsBody(Buffer.from('[{"id":"ä"},{"id":"b"}]'), 'application/json')).toEqual([
      { id: 'ä' },
      { id: 'b' },
    ]);
    expect(parseEventsBody(asBytes('{"id":"x"}').plain, 'application/json')).toEqual([{ id: 'x' }]);
  });

  it('refuses bytes that are not UTF-8, in either form, before reading any line', () => {
    const broken = Buffer.concat([Buffer.from('{"id":"a"}\n{"id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const expected = { code: 'invalid_body', message: 'The body is not valid UTF-8' };
    expect(errorOf(() => parseEventsBody(broken, NDJSON))).toEqual(expected);
    expect(errorOf(() => parseEventsBody(broken, 'application/json'))).toEqual(expected);
    // A lone surrogate's encoding (CESU-8) is not UTF-8 either.
    expect(errorOf(() => parseEventsBody(Buffer.from([0x7b, 0xed, 0xa0, 0x80, 0x7d]), NDJSON))).toEqual(expected);
  });

  it('reads no events from [] and blank NDJSON, refuses an empty JSON body and more than 10,000 events', () => {
    expect(parseEventsBody(Buffer.from('[]'), 'application/json')).toEqual([]);
    expect(parseEventsBody(Buffer.alloc(0), NDJSON)).toEqual([]);
    expect(parseEventsBody(Buffer.from('\n\r\n \n'), NDJSON)).toEqual([]);
    expect(errorOf(() => parseEventsBody(Buffer.alloc(0), 'application/json'))?.code).toBe('invalid_body');
    const many = Buffer.from(Array.from({ length: 10_001 }, () => '{}').join('\n'));
    expect(errorOf(() => parseEventsBody(many, NDJSON))?.code).toBe('too_many_events');
  });
});
