// Writes that run behind the work that produced them, a bounded number at a time.
//
//   const writes = new WriteBehind(16);
//   await writes.add(() => cache.writeEntry(…));   // waits only while 16 are in flight
//   …
//   await writes.done();                           // all written, or the first failure thrown
//
// The run's days phase queues each day's cache entries here and goes on to the next day,
// instead of waiting for its own files to be made.

export class WriteBehind {
  private readonly inFlight = new Set<Promise<void>>();
  private failed: { error: unknown } | undefined;
  /** Writes in flight at most. */
  private readonly limit: number;

  constructor(limit: number) {
    if (!(limit >= 1)) throw new Error(`WriteBehind: limit ${limit} is not at least 1`);
    this.limit = limit;
  }

  /**
   * Starts `write`; resolves once fewer than `limit` writes are in flight. Throws the first
   * failure of any write started so far (a failed write never goes unreported: the next
   * add() or done() throws it).
   */
  async add(write: () => Promise<void>): Promise<void> {
    this.check();
    const tracked: Promise<void> = write()
      .catch((error: unknown) => {
        this.failed ??= { error };
      })
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    while (this.inFlight.size >= this.limit) await Promise.race(this.inFlight);
    this.check();
  }

  /** Waits for every write started; throws the first failure. */
  async done(): Promise<void> {
    await this.settled();
    this.check();
  }

  /** Waits for every write started, whether it failed or not; never throws. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** Writes in flight now. */
  get pending(): number {
    return this.inFlight.size;
  }

  private check(): void {
    if (this.failed) throw this.failed.error;
  }
}
