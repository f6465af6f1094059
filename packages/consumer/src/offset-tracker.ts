/** A message taken for handling: complete it when it has reached one of its ends. */
export interface Tracked {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The tracker's reset count when it was taken. */
  readonly epoch: number;
  done: boolean;
}

/** Where a partition's consumption may be committed: the offset of the next message to read. */
export interface Committable {
  topic: string;
  partition: number;
  offset: string;
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Taken messages in offset order; those before `head` are finished. */
  taken: Tracked[];
  head: number;
  /** Taken and not finished. */
  open: number;
  /** The offset after the last message taken. */
  next: number;
  /** The offset after the longest finished run from the start: what may be committed. */
  finishedUpTo: number | undefined;
  committed: number | undefined;
}

/**
 * Which offsets of each partition may be committed while its messages are handled out of order
 * (different keys at once): the end of the longest run of finished messages from the first one
 * taken. A message still being handled holds back the commit of every later one of its
 * partition, so a crash redelivers it and all after it (the processed marks skip those that were
 * finished). Pure bookkeeping: the runner takes, completes and commits.
 */
export class OffsetTracker {
  private partitions = new Map<string, PartitionState>();
  private epoch = 0;

  /**
   * Records a fetched message as taken, in offset order. Returns undefined for an offset at or
   * before one already taken (a message fetched again): it is being handled, or was.
   */
  take(topic: string, partition: number, offset: number): Tracked | undefined {
    const state = this.state(topic, partition);
    if (offset < state.next) return undefined;
    const tracked: Tracked = { topic, partition, offset, epoch: this.epoch, done: false };
    state.taken.push(tracked);
    state.open += 1;
    state.next = offset + 1;
    return tracked;
  }

  /** Marks a taken message finished; the partition's committable offset moves past every finished one in a row. */
  complete(tracked: Tracked): void {
    if (tracked.done) return;
    tracked.done = true;
    // Taken before a reset: the partition's bookkeeping started again without it.
    if (tracked.epoch !== this.epoch) return;
    const state = this.partitions.get(partitionKey(tracked.topic, tracked.partition));
    if (!state) return;
    state.open -= 1;
    while (state.head < state.taken.length && state.taken[state.head]?.done) {
      state.finishedUpTo = (state.taken[state.head] as Tracked).offset + 1;
      state.head += 1;
    }
    if (state.head > 1024 || state.head === state.taken.length) {
      state.taken = state.taken.slice(state.head);
      state.head = 0;
    }
  }

  /**
   * For partitions handled in order outside the tracker (a message's end is known before the
   * next is read): everything up to and including `offset` is finished.
   */
  finishedThrough(topic: string, partition: number, offset: number): void {
    const state = this.state(topic, partition);
    if (state.open > 0) throw new Error(`${topic}[${partition}] has messages in progress`);
    if (state.finishedUpTo === undefined || offset + 1 > state.finishedUpTo) state.finishedUpTo = offset + 1;
    state.next = Math.max(state.next, offset + 1);
  }

  /** The offset after the longest finished run of a partition, if any message of it finished. */
  finishedUpTo(topic: string, partition: number): number | undefined {
    return this.partitions.get(partitionKey(topic, partition))?.finishedUpTo;
  }

  /** Partitions whose finished run moved since their last commit, among those `owned`. */
  committable(owned: (topic: string, partition: number) => boolean = () => true): Committable[] {
    const out: Committable[] = [];
    for (const s of this.partitions.values()) {
      if (s.finishedUpTo === undefined || s.finishedUpTo === s.committed || !owned(s.topic, s.partition)) continue;
      out.push({ topic: s.topic, partition: s.partition, offset: String(s.finishedUpTo) });
    }
    return out;
  }

  /** Records offsets as committed (those `committable` returned, once Kafka took them). */
  committed(offsets: readonly Committable[]): void {
    for (const c of offsets) {
      const state = this.partitions.get(partitionKey(c.topic, c.partition));
      if (state) state.committed = Math.max(state.committed ?? 0, Number(c.offset));
    }
  }

  /** Messages taken and not finished yet. */
  inProgress(): number {
    let count = 0;
    for (const s of this.partitions.values()) count += s.open;
    return count;
  }

  /** Forgets everything: after a rejoin, positions come from the group's committed offsets again. */
  reset(): void {
    this.partitions = new Map();
    this.epoch += 1;
  }

  private state(topic: string, partition: number): PartitionState {
    const k = partitionKey(topic, partition);
    let state = this.partitions.get(k);
    if (!state) {
      state = { topic, partition, taken: [], head: 0, open: 0, next: 0, finishedUpTo: undefined, committed: undefined };
      this.partitions.set(k, state);
    }
    return state;
  }
}

/** One string for a topic's partition, as a map key. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
