/**
 * Gathers what concurrent callers add within `lingerMs` of the first of them (0: within one turn
 * of the event loop) and hands it to `flush` in one go: a Kafka send or a database write for many
 * messages at once instead of one each (kafkajs has no linger of its own). Each caller's promise
 * settles with the flush that carried its item, so a caller still waits for its own effect before
 * going on.
 */
export class Coalescer<T, R = void> {
  private pending: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;

  /**
   * @param flush handles the items together; every caller whose item it carried gets its result
   * @param maxItems a flush starts at once when this many are waiting
   * @param lingerMs how long the first item waits for others
   * @param maxInFlight flushes under way at once; what comes meanwhile waits for one to end and
   *   goes in the next (a group commit: under load the batches grow instead of the queue)
   */
  constructor(
    private readonly flush: (items: T[]) => Promise<R>,
    private readonly maxItems = 500,
    private readonly lingerMs = 0,
    private readonly maxInFlight = Number.POSITIVE_INFINITY,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxItems) this.flushNow();
      else if (!this.scheduled) {
        this.scheduled = true;
        if (this.lingerMs > 0) this.timer = setTimeout(() => this.flushNow(), this.lingerMs);
        else setImmediate(() => this.flushNow());
      }
    });
  }

  private flushNow(): void {
    this.scheduled = false;
    clearTimeout(this.timer);
    if (this.pending.length === 0 || this.inFlight >= this.maxInFlight) return;
    const batch = this.pending.splice(0, this.maxItems);
    this.inFlight += 1;
    let flushing: Promise<R>;
    try {
      flushing = this.flush(batch.map((b) => b.item));
    } catch (error) {
      flushing = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    flushing
      .then(
        (result) => batch.forEach((b) => b.resolve(result)),
        (error: unknown) => batch.forEach((b) => b.reject(error)),
      )
      .finally(() => {
        this.inFlight -= 1;
        // What waited for this flush goes now.
        if (this.pending.length > 0) this.flushNow();
      });
  }
}

/**
 * A Coalescer for lookups: the keys that concurrent callers ask about within one turn of the event
 * loop go to `lookup` in one go (one query for the batches of all the partitions a fetch
 * returned, instead of one each), and each caller gets what was found among its own keys.
 */
export class LookupCoalescer<K, V> {
  private readonly asks: Coalescer<readonly K[], Map<K, V>>;

  constructor(lookup: (keys: K[]) => Promise<Map<K, V>>) {
    this.asks = new Coalescer((lists) => lookup([...new Set(lists.flat())]), Number.POSITIVE_INFINITY);
  }

  async ask(keys: readonly K[]): Promise<Map<K, V>> {
    if (keys.length === 0) return new Map();
    const found = await this.asks.add(keys);
    const mine = new Map<K, V>();
    for (const key of keys) {
      const value = found.get(key);
      if (value !== undefined) mine.set(key, value);
    }
    return mine;
  }
}
