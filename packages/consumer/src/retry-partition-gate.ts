import type { Consumer } from 'kafkajs';
import { partitionKey } from './offset-tracker';

/**
 * How long an open retry partition may go without a batch before it is closed again, once a
 * fetch that started after it opened has been answered (a fetch can take longer: one waits for
 * the batches of the one before it to be handled).
 */
export const LOOK_MS = 150;
/** How long a closed retry partition stays out of the fetches before the next look. */
export const REST_MS = 1000;
/** How often the gate looks at its partitions. */
const TICK_MS = 50;

type State = {
  topic: string;
  partition: number;
  open: boolean;
  /** Since when it is open (or had its last batch), or since when it is closed. */
  since: number;
  /** Batches of it being handled. */
  inFlight: number;
  /** Paused by RetryBatches until its first message is due: the gate leaves it alone. */
  held: boolean;
  /** The number of the last fetch started before it opened. */
  openedAfterFetch: number;
  /** The brokers that answered a fetch started after it opened. */
  lookedBy: Set<number>;
};

/** What the gate has kafkajs do: partitions to leave out of the fetches, and ones to read again. */
export interface GateActions {
  pause: { topic: string; partition: number }[];
  resume: { topic: string; partition: number }[];
}

/**
 * Keeps a group's idle retry and redrive partitions out of its fetches. kafkajs names every
 * partition it reads in every fetch, up to 20 a second under load (see FetchPacer), and decodes
 * each one's answer, empty or not; a group's retry and redrive partitions (one a tier, seven tiers a handler) outnumber its
 * source partitions and are nearly always empty. An idle one is looked at in one fetch every
 * REST_MS, and at once when this consumer writes a retry to it (`wake`), which comes before it is
 * due: a retry written by another member of the group, or a redrive, is read within REST_MS and
 * the next fetch, so a retry tier shorter than that may be late by the difference. An open one is
 * closed only once every broker has answered a fetch that named it: a fetch waits for the batches
 * of the one before it, and a slow batch must not keep a partition from ever being read.
 *
 * The decisions are this class's; `apply` tells kafkajs.
 */
export class RetryPartitionGate {
  private readonly partitions = new Map<string, State>();
  /** Fetches started so far, and the number of the one each broker has under way. */
  private fetches = 0;
  private readonly fetchOf = new Map<number, number>();

  /** `clock` in milliseconds, monotonic: the gate paces fetches, it keeps no business time. */
  constructor(
    private readonly isGated: (topic: string) => boolean,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** A fetch went to a broker (kafkajs' FETCH_START). */
  fetchStarted(nodeId: number): void {
    this.fetches += 1;
    this.fetchOf.set(nodeId, this.fetches);
  }

  /** A broker answered its fetch (kafkajs' FETCH): the partitions opened before it started had their look. */
  fetchEnded(nodeId: number): void {
    const fetch = this.fetchOf.get(nodeId);
    if (fetch === undefined) return;
    for (const s of this.partitions.values()) if (s.open && fetch > s.openedAfterFetch) s.lookedBy.add(nodeId);
  }

  private opened(s: State, now: number): void {
    s.open = true;
    s.since = now;
    s.openedAfterFetch = this.fetches;
    s.lookedBy = new Set();
  }

  /** The partitions of a new assignment: every gated one is read at once. */
  own(assignment: Record<string, number[]>): GateActions {
    const now = this.clock();
    const resume = [...this.partitions.values()].filter((s) => !s.open && !s.held).map(({ topic, partition }) => ({ topic, partition }));
    const before = new Map(this.partitions);
    this.partitions.clear();
    for (const [topic, partitions] of Object.entries(assignment)) {
      if (!this.isGated(topic)) continue;
      for (const partition of partitions) {
        const held = before.get(partitionKey(topic, partition))?.held ?? false;
        this.partitions.set(partitionKey(topic, partition), { topic, partition, open: true, since: now, inFlight: 0, held, openedAfterFetch: this.fetches, lookedBy: new Set() });
      }
    }
    return { pause: [], resume };
  }

  /** This consumer wrote to `topic` (a retry): its partitions are read at once. */
  wake(topic: string): GateActions {
    const now = this.clock();
    const resume: GateActions['resume'] = [];
    for (const s of this.partitions.values()) {
      if (s.topic !== topic) continue;
      if (!s.open && !s.held) resume.push({ topic, partition: s.partition });
      this.opened(s, now);
    }
    return { pause: [], resume };
  }

  batchStarted(topic: string, partition: number): void {
    const s = this.partitions.get(partitionKey(topic, partition));
    if (s) s.inFlight += 1;
  }

  batchEnded(topic: string, partition: number): void {
    const now = this.clock();
    const s = this.partitions.get(partitionKey(topic, partition));
    if (!s) return;
    s.inFlight = Math.max(0, s.inFlight - 1);
    this.opened(s, now);
  }

  /** RetryBatches paused it until a message is due (`released` when it resumes it). */
  held(topic: string, partition: number): void {
    const s = this.partitions.get(partitionKey(topic, partition));
    if (s) s.held = true;
  }

  released(topic: string, partition: number): void {
    const now = this.clock();
    const s = this.partitions.get(partitionKey(topic, partition));
    if (!s) return;
    s.held = false;
    this.opened(s, now);
  }

  /**
   * Closes the open partitions idle for LOOK_MS that every broker fetching for this consumer has
   * looked at since, and opens the closed ones rested for REST_MS.
   */
  tick(): GateActions {
    const now = this.clock();
    const actions: GateActions = { pause: [], resume: [] };
    for (const s of this.partitions.values()) {
      if (s.held || s.inFlight > 0) continue;
      if (s.open && now - s.since >= LOOK_MS && s.lookedBy.size > 0 && s.lookedBy.size >= this.fetchOf.size) {
        s.open = false;
        s.since = now;
        actions.pause.push({ topic: s.topic, partition: s.partition });
      } else if (!s.open && now - s.since >= REST_MS) {
        this.opened(s, now);
        actions.resume.push({ topic: s.topic, partition: s.partition });
      }
    }
    return actions;
  }

  /** Ticks every TICK_MS against `consumer()` until the returned function is called. */
  run(consumer: () => Consumer | undefined): () => void {
    const timer = setInterval(() => apply(consumer(), this.tick()), TICK_MS);
    timer.unref();
    return () => clearInterval(timer);
  }
}

/** Has kafkajs pause and resume what the gate decided. */
export function apply(consumer: Consumer | undefined, actions: GateActions): void {
  if (!consumer || actions.pause.length + actions.resume.length === 0) return;
  const grouped = (list: GateActions['pause']) => {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of list) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  };
  try {
    if (actions.pause.length > 0) consumer.pause(grouped(actions.pause));
    if (actions.resume.length > 0) consumer.resume(grouped(actions.resume));
  } catch {
    // A consumer not running yet, or being replaced: a partition the gate thinks closed is only
    // read more often, and one it thinks open is paused and resumed again within a rest.
  }
}
