/** The parts of kafkajs' internal ConsumerGroup (one per running consumer) the hook touches. */
export interface ConsumerGroupInternals {
  groupId: string;
  /** Null until the first join, and again after the coordinator forgot the member. */
  memberId: string | null;
  joinAndSync: (this: ConsumerGroupInternals) => Promise<void>;
}

type Hook = () => Promise<void>;

const hooks = new Map<string, Hook>();
const keyOf = (groupId: string, memberId: string): string => `${groupId}\u0000${memberId}`;

/**
 * kafkajs' ConsumerGroup class: the module `require('kafkajs')` itself loads. A plain `require`
 * (not `createRequire`), so that a test runner's module registry hands out the same class its
 * kafkajs uses.
 */
export function kafkajsConsumerGroup(): { prototype: ConsumerGroupInternals } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('kafkajs/src/consumer/consumerGroup') as { prototype: ConsumerGroupInternals };
}

let installed = false;

function install(): void {
  if (installed) return;
  const prototype = kafkajsConsumerGroup().prototype;
  const join = prototype.joinAndSync;
  prototype.joinAndSync = async function joinAndSync(this: ConsumerGroupInternals): Promise<void> {
    const hook = this.memberId ? hooks.get(keyOf(this.groupId, this.memberId)) : undefined;
    // A hook that fails must not keep the member out of its group: it only delays the join.
    if (hook) await hook().catch(() => undefined);
    return join.call(this);
  };
  installed = true;
}

/**
 * Runs `hook` each time the given member of a group is about to (re)join it, and waits for it:
 * kafkajs' counterpart of the Java client's blocking `onPartitionsRevoked`. A rebalance starts
 * when the coordinator tells a member so; kafkajs then rejoins at once and, without a hook, only
 * waits for the `eachBatch` calls in progress. A consumer that hands messages on and returns from
 * `eachBatch` early finishes them here, and commits, before its partitions can go to another
 * member. Register again after each join (the member id comes with the GROUP_JOIN event); the
 * returned function removes the hook.
 */
export function beforeRejoin(groupId: string, memberId: string, hook: Hook): () => void {
  install();
  const key = keyOf(groupId, memberId);
  hooks.set(key, hook);
  return () => {
    if (hooks.get(key) === hook) hooks.delete(key);
  };
}
