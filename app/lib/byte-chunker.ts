const CHUNK_BYTES = 64 * 1024;

/**
 * Gathers lines of text into byte chunks of about 64 KB, each line UTF-8-encoded straight into the
 * chunk's buffer: no chunk-sized string is ever built (it would be joined, flattened and encoded
 * again), and the bytes live outside the JavaScript heap.
 */
export class ByteChunker {
  private buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private length = 0;

  /** Adds a line; returns the chunk it completed, if it did. */
  add(text: string): Uint8Array | null {
    const room = text.length * 3;
    const full = this.length + room > this.buffer.length ? this.take() : null;
    if (room > this.buffer.length) this.buffer = Buffer.allocUnsafe(room);
    this.length += this.buffer.write(text, this.length);
    return full;
  }

  /** The bytes gathered so far (null when none), and a fresh buffer for what follows. */
  take(): Uint8Array | null {
    if (this.length === 0) return null;
    const chunk = this.buffer.subarray(0, this.length);
    this.buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    this.length = 0;
    return chunk;
  }
}
