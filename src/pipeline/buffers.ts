// Byte buffers a thread reuses from day to day instead of leaving them to the collector.
//
// The main thread of a one-core run reads a day file, aggregates it and writes the day's
// cache entries while it reads and writes others: those buffers live across awaits, so
// they outlive the young generation and are freed only by full collections, which V8
// starts when some 64 MB of external memory has built up. On a year of days that was the
// difference between the peaks of short and long runs. Buffers taken here and given back
// once written are simply used again.
//
//   const bytes = buffers.take(size);   // a view of exactly `size` bytes
//   …
//   buffers.give(bytes);                // false if it was not taken from this pool

/** Buffers smaller than this are not worth keeping apart: they are rounded up to it. */
const SMALLEST = 64 * 1024;

/** At most this many free buffers are kept; more are left to the collector. */
const KEPT = 32;

export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  private readonly mine = new WeakSet<ArrayBuffer>();

  /**
   * A view of `length` bytes, at offset 0 of a buffer no one else holds until it is given
   * back: the smallest free one that fits, else a new one of the next power of two. The
   * bytes are what the buffer last held, not zeros.
   */
  take(length: number): Uint8Array {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const size = this.free[i]!.byteLength;
      if (size >= length && (best < 0 || size < this.free[best]!.byteLength)) best = i;
    }
    if (best >= 0) {
      const [buffer] = this.free.splice(best, 1);
      return new Uint8Array(buffer!, 0, length);
    }
    const buffer = new ArrayBuffer(Math.max(SMALLEST, 2 ** Math.ceil(Math.log2(Math.max(1, length)))));
    this.mine.add(buffer);
    return new Uint8Array(buffer, 0, length);
  }

  /**
   * Gives a view's buffer back for later takes; nothing may use the view after. Returns
   * false, and keeps nothing, when the buffer was not taken from this pool (or is free).
   */
  give(bytes: Uint8Array): boolean {
    const buffer = bytes.buffer;
    if (!(buffer instanceof ArrayBuffer) || !this.mine.has(buffer) || this.free.includes(buffer))
      return false;
    if (this.free.length < KEPT) this.free.push(buffer);
    else this.mine.delete(buffer);
    return true;
  }
}
