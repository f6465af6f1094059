import type { Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import { OffsetTracker, partitionKey } from './offset-tracker';

/**
 * Commits what the OffsetTracker says may be committed, for the partitions this member owns since
 * its last join: `lingerMs` after a message finishes (with every other finished by then), and at
 * once before a rejoin or a stop. One commit at a time; a failed one is logged and tried again.
 */
export class OffsetCommitter {
  readonly tracker = new OffsetTracker();
  /** The partitions of the last join ("topic\0partition"): only those are committed. */
  private owned = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private commits: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly consumer: () => Consumer | undefined,
    private readonly logger: Logger,
    private readonly lingerMs: number,
  ) {}

  /** The assignment of a join: from now on only its partitions are committed. */
  own(assignment: Record<string, number[]>): void {
    this.owned = new Set(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => partitionKey(topic, p))));
  }

  /**
   * Commits the finished offsets of the owned partitions, after any commit already under way.
   * Never rejects.
   */
  commit(): Promise<void> {
    this.commits = this.commits.then(async () => {
      const consumer = this.consumer();
      const offsets = this.tracker.committable((topic, partition) => this.owned.has(partitionKey(topic, partition)));
      if (!consumer || offsets.length === 0) return;
      try {
        await consumer.commitOffsets(offsets);
        this.tracker.committed(offsets);
      } catch (error) {
        this.logger.warn({ err: error }, 'could not commit offsets; trying again');
        this.commitSoon();
      }
    });
    return this.commits;
  }

  /** Commits `lingerMs` from now, unless a commit is already due by then. */
  commitSoon(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.commit();
    }, this.lingerMs);
  }

  /** No more timed commits: what is left is committed by an explicit `commit()`. */
  stopTimer(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
