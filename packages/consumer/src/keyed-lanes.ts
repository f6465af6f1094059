type Task = () => Promise<void>;

/**
 * Runs tasks in lanes: the tasks of one lane one after the other, in the order they were pushed,
 * and at most `concurrency` tasks of different lanes at once. A lane whose task finishes goes to
 * the back of the line, so a busy key does not starve the others. A message's key is its lane:
 * events about one user keep their order, events about different users overlap.
 */
export class KeyedLanes {
  private readonly lanes = new Map<string, Task[]>();
  /** Lanes with a task waiting for a slot, in the order they got in line. */
  private ready: string[] = [];
  private readyHead = 0;
  private running = 0;
  private count = 0;
  private waiters: { below: number; resolve: () => void }[] = [];

  constructor(private readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
  }

  /** Tasks pushed and not finished: those waiting and those running. */
  get size(): number {
    return this.count;
  }

  /** Queues a task on its lane. The task's own failure is its business: it is not reported here. */
  push(lane: string, task: Task): void {
    this.count += 1;
    const queue = this.lanes.get(lane);
    if (queue) {
      queue.push(task);
      return;
    }
    this.lanes.set(lane, [task]);
    this.ready.push(lane);
    this.pump();
  }

  /** Resolves once fewer than `n` tasks are pushed and not finished (at once if so already). */
  whenBelow(n: number): Promise<void> {
    if (this.count < n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ below: n, resolve }));
  }

  /** Resolves when every task pushed so far, and every one pushed meanwhile, has finished. */
  idle(): Promise<void> {
    return this.whenBelow(1);
  }

  private pump(): void {
    while (this.running < this.concurrency && this.readyHead < this.ready.length) {
      const lane = this.ready[this.readyHead] as string;
      this.readyHead += 1;
      this.start(lane);
    }
    if (this.readyHead > 1024 || this.readyHead === this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
  }

  private start(lane: string): void {
    const queue = this.lanes.get(lane) as Task[];
    const task = queue[0] as Task;
    this.running += 1;
    let running: Promise<void>;
    try {
      running = task();
    } catch {
      running = Promise.resolve();
    }
    void running
      .catch(() => undefined)
      .then(() => {
        queue.shift();
        this.running -= 1;
        this.count -= 1;
        if (queue.length > 0) this.ready.push(lane);
        else this.lanes.delete(lane);
        this.wake();
        this.pump();
      });
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const still: { below: number; resolve: () => void }[] = [];
    for (const waiter of this.waiters) {
      if (this.count < waiter.below) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }
}
