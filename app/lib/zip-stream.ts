import { constants, crc32, deflateRaw, deflateRawSync } from 'node:zlib';

/**
 * A ZIP archive written front to back, for files too large to hold (an XLSX of a million rows).
 *
 * An entry's text is deflated in blocks of BLOCK_BYTES, each by its own zlib stream ended with a
 * sync flush (no final bit): concatenated, they are one valid deflate stream, closed by an empty
 * final block (what pigz does). Each block is compressed on libuv's thread pool while the caller
 * builds the next. Sizes and CRC follow the data in a data descriptor; the central directory at the
 * end holds them too, with ZIP64 records only when a size, offset or count needs them.
 *
 * The archive leaves through `emit` in chunks of exactly CHUNK_BYTES (the last one shorter), each
 * a buffer of its own that may be transferred; the writer waits for `emit` before going on.
 */

export type Emit = (chunk: Uint8Array) => void | Promise<void>;

/** Bytes of each chunk handed to `emit`. */
export const CHUNK_BYTES = 64 * 1024;
/** Uncompressed bytes deflated at once (and held while they are). */
const BLOCK_BYTES = 256 * 1024;
/** A block's buffer: room for the text that crosses BLOCK_BYTES. */
const BLOCK_CAPACITY = BLOCK_BYTES + 64 * 1024;
const FINAL_BLOCK = deflateRawSync(Buffer.alloc(0));
const MAX_32 = 0xffffffff;
const MAX_16 = 0xffff;
/** Data descriptor follows, names are UTF-8. */
const FLAGS = 0x0008 | 0x0800;
const DEFLATE = 8;

interface CentralEntry {
  name: Buffer;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

/** MS-DOS date and time (local fields taken as given: the export's clock in UTC). */
function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.max(1980, date.getUTCFullYear());
  return {
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | (date.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  };
}

function deflateBlock(data: Buffer, level: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    deflateRaw(data, { level, finishFlush: constants.Z_SYNC_FLUSH, chunkSize: CHUNK_BYTES }, (error, out) =>
      error ? reject(error) : resolve(out),
    ),
  );
}

export class ZipStream {
  private chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private used = 0;
  /** Bytes of the archive written so far. */
  private offset = 0;
  private readonly entries: CentralEntry[] = [];
  private readonly stamp: { time: number; date: number };
  private open = false;

  constructor(
    private readonly emit: Emit,
    modified: Date,
    private readonly level = constants.Z_BEST_SPEED,
  ) {
    this.stamp = dosDateTime(modified);
  }

  /** Appends bytes to the archive, handing each full chunk to `emit`. */
  async write(bytes: Uint8Array): Promise<void> {
    let from = 0;
    while (from < bytes.length) {
      const take = Math.min(bytes.length - from, CHUNK_BYTES - this.used);
      this.chunk.set(bytes.subarray(from, from + take), this.used);
      this.used += take;
      from += take;
      if (this.used === CHUNK_BYTES) {
        const full = this.chunk;
        this.chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
        this.used = 0;
        await this.emit(full);
      }
    }
    this.offset += bytes.length;
  }

  /** Starts an entry: write its text with the returned writer, then close it before the next. */
  async entry(name: string): Promise<ZipEntryWriter> {
    if (this.open) throw new Error('ZipStream: the previous entry is still open');
    this.open = true;
    const encoded = Buffer.from(name, 'utf8');
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(FLAGS, 6);
    header.writeUInt16LE(DEFLATE, 8);
    header.writeUInt16LE(this.stamp.time, 10);
    header.writeUInt16LE(this.stamp.date, 12);
    // CRC and sizes (14..25) stay 0: the data descriptor has them.
    header.writeUInt16LE(encoded.length, 26);
    const offset = this.offset;
    await this.write(header);
    await this.write(encoded);
    return new ZipEntryWriter(this, this.level, (crc, compressed, size) => {
      this.open = false;
      this.entries.push({ name: encoded, crc, compressed, size, offset });
    });
  }

  /** A whole small entry. */
  async file(name: string, text: string): Promise<void> {
    const entry = await this.entry(name);
    await entry.write(text);
    await entry.close();
  }

  /** Writes the central directory and hands the last chunk to `emit`. */
  async finish(): Promise<void> {
    if (this.open) throw new Error('ZipStream: an entry is still open');
    const start = this.offset;
    for (const entry of this.entries) await this.write(centralRecord(entry, this.stamp));
    const size = this.offset - start;
    const count = this.entries.length;
    if (count >= MAX_16 || start >= MAX_32 || size >= MAX_32) {
      const record = this.offset;
      const zip64 = Buffer.alloc(56 + 20);
      zip64.writeUInt32LE(0x06064b50, 0);
      zip64.writeBigUInt64LE(44n, 4);
      zip64.writeUInt16LE(45, 12);
      zip64.writeUInt16LE(45, 14);
      zip64.writeBigUInt64LE(BigInt(count), 24);
      zip64.writeBigUInt64LE(BigInt(count), 32);
      zip64.writeBigUInt64LE(BigInt(size), 40);
      zip64.writeBigUInt64LE(BigInt(start), 48);
      zip64.writeUInt32LE(0x07064b50, 56);
      zip64.writeBigUInt64LE(BigInt(record), 64);
      zip64.writeUInt32LE(1, 72);
      await this.write(zip64);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(count, MAX_16), 8);
    end.writeUInt16LE(Math.min(count, MAX_16), 10);
    end.writeUInt32LE(Math.min(size, MAX_32), 12);
    end.writeUInt32LE(Math.min(start, MAX_32), 16);
    await this.write(end);
    if (this.used > 0) {
      const last = Buffer.allocUnsafeSlow(this.used);
      this.chunk.copy(last, 0, 0, this.used);
      this.used = 0;
      await this.emit(last);
    }
  }
}

function centralRecord(entry: CentralEntry, stamp: { time: number; date: number }): Buffer {
  const zip64 = entry.compressed >= MAX_32 || entry.size >= MAX_32 || entry.offset >= MAX_32;
  const extra = zip64 ? 4 + 24 : 0;
  const record = Buffer.alloc(46 + entry.name.length + extra);
  record.writeUInt32LE(0x02014b50, 0);
  record.writeUInt16LE(zip64 ? 45 : 20, 4);
  record.writeUInt16LE(zip64 ? 45 : 20, 6);
  record.writeUInt16LE(FLAGS, 8);
  record.writeUInt16LE(DEFLATE, 10);
  record.writeUInt16LE(stamp.time, 12);
  record.writeUInt16LE(stamp.date, 14);
  record.writeUInt32LE(entry.crc, 16);
  record.writeUInt32LE(zip64 ? MAX_32 : entry.compressed, 20);
  record.writeUInt32LE(zip64 ? MAX_32 : entry.size, 24);
  record.writeUInt16LE(entry.name.length, 28);
  record.writeUInt16LE(extra, 30);
  record.writeUInt32LE(zip64 ? MAX_32 : entry.offset, 42);
  entry.name.copy(record, 46);
  if (zip64) {
    const at = 46 + entry.name.length;
    record.writeUInt16LE(0x0001, at);
    record.writeUInt16LE(24, at + 2);
    record.writeBigUInt64LE(BigInt(entry.size), at + 4);
    record.writeBigUInt64LE(BigInt(entry.compressed), at + 12);
    record.writeBigUInt64LE(BigInt(entry.offset), at + 20);
  }
  return record;
}

/**
 * One entry's text, deflated a block at a time. Text is encoded as it comes into the block's
 * buffer: joining many small strings first and encoding the result cost several times more.
 */
export class ZipEntryWriter {
  private block = Buffer.allocUnsafeSlow(BLOCK_CAPACITY);
  private used = 0;
  private crc = 0;
  private size = 0;
  private compressed = 0;
  /** The block being deflated on the thread pool while the next one is built. */
  private pending: Promise<Buffer> | null = null;

  constructor(
    private readonly zip: ZipStream,
    private readonly level: number,
    private readonly onClose: (crc: number, compressed: number, size: number) => void,
  ) {}

  /** Adds text; returns a promise to wait for only when a block went to zlib (null otherwise). */
  write(text: string): Promise<void> | null {
    // A UTF-16 unit takes at most 3 bytes of UTF-8.
    if (text.length * 3 > this.block.length - this.used) return this.writeLong(text);
    this.used += this.block.write(text, this.used);
    return this.used >= BLOCK_BYTES ? this.flush() : null;
  }

  private async writeLong(text: string): Promise<void> {
    await this.flush();
    if (text.length * 3 <= this.block.length) this.used = this.block.write(text, 0);
    else await this.deflate(Buffer.from(text, 'utf8'));
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    const data = this.block.subarray(0, this.used);
    this.block = Buffer.allocUnsafeSlow(BLOCK_CAPACITY);
    this.used = 0;
    await this.deflate(data);
  }

  private async deflate(data: Buffer): Promise<void> {
    this.crc = crc32(data, this.crc);
    this.size += data.length;
    const previous = this.pending;
    const next = deflateBlock(data, this.level);
    // Awaited below or by the next block; a failure must not go unhandled meanwhile.
    next.catch(() => undefined);
    this.pending = next;
    if (previous) await this.out(await previous);
  }

  private async out(bytes: Buffer): Promise<void> {
    this.compressed += bytes.length;
    await this.zip.write(bytes);
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.pending) await this.out(await this.pending);
    this.pending = null;
    await this.out(FINAL_BLOCK);
    const zip64 = this.size >= MAX_32 || this.compressed >= MAX_32;
    const descriptor = Buffer.alloc(zip64 ? 24 : 16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(this.crc, 4);
    if (zip64) {
      descriptor.writeBigUInt64LE(BigInt(this.compressed), 8);
      descriptor.writeBigUInt64LE(BigInt(this.size), 16);
    } else {
      descriptor.writeUInt32LE(this.compressed, 8);
      descriptor.writeUInt32LE(this.size, 12);
    }
    await this.zip.write(descriptor);
    this.onClose(this.crc, this.compressed, this.size);
  }
}
