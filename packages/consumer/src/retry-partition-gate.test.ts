import { LOOK_MS, REST_MS, RetryPartitionGate, type GateActions } from './retry-partition-gate';

const RETRY = 'g.user.created.v2.retry.2s';
const REDRIVE = 'g.user.created.v2.redrive';
const SOURCE = 'user.created.v2';

function gateAt(): { gate: RetryPartitionGate; advance: (ms: number) => void; fetch: (nodeId?: number) => void } {
  let now = 1000;
  const gate = new RetryPartitionGate((topic) => topic !== SOURCE, () => now);
  // One fetch to a broker, started and answered.
  const fetch = (nodeId = 1) => {
    gate.fetchStarted(nodeId);
    gate.fetchEnded(nodeId);
  };
  return { gate, advance: (ms) => void (now += ms), fetch };
}

const names = (list: GateActions['pause']) => list.map(({ topic, partition }) => `${topic}/${partition}`).sort();

describe('the retry partition gate', () => {
  it('reads a new assignment at once, closes its idle retry partitions after a look, and opens them after a rest', () => {
    const { gate, advance, fetch } = gateAt();
    expect(gate.own({ [SOURCE]: [0, 1], [RETRY]: [0], [REDRIVE]: [0] })).toEqual({ pause: [], resume: [] });
    fetch();
    advance(LOOK_MS - 1);
    expect(gate.tick()).toEqual({ pause: [], resume: [] });
    advance(1);
    // The source partitions are never the gate's.
    expect(names(gate.tick().pause)).toEqual([`${REDRIVE}/0`, `${RETRY}/0`]);
    advance(REST_MS - 1);
    expect(gate.tick()).toEqual({ pause: [], resume: [] });
    advance(1);
    expect(names(gate.tick().resume)).toEqual([`${REDRIVE}/0`, `${RETRY}/0`]);
  });

  it('keeps a partition open until a fetch that started after it opened is answered', () => {
    const { gate, advance, fetch } = gateAt();
    // A fetch under way when the partition opens does not name it.
    gate.fetchStarted(1);
    gate.own({ [RETRY]: [0] });
    gate.fetchEnded(1);
    advance(LOOK_MS * 10);
    expect(gate.tick().pause).toEqual([]);
    fetch();
    expect(names(gate.tick().pause)).toEqual([`${RETRY}/0`]);
  });

  it('waits for every broker this consumer fetches from', () => {
    const { gate, advance, fetch } = gateAt();
    fetch(1);
    fetch(2);
    gate.own({ [RETRY]: [0] });
    advance(LOOK_MS);
    fetch(1);
    fetch(1);
    expect(gate.tick().pause).toEqual([]);
    fetch(2);
    expect(names(gate.tick().pause)).toEqual([`${RETRY}/0`]);
  });

  it('keeps a partition open while its batches come and are handled', () => {
    const { gate, advance, fetch } = gateAt();
    gate.own({ [RETRY]: [0] });
    gate.batchStarted(RETRY, 0);
    fetch();
    advance(LOOK_MS * 10);
    expect(gate.tick().pause).toEqual([]);
    gate.batchEnded(RETRY, 0);
    fetch();
    advance(LOOK_MS - 1);
    expect(gate.tick().pause).toEqual([]);
    advance(1);
    expect(names(gate.tick().pause)).toEqual([`${RETRY}/0`]);
  });

  it('opens a closed partition at once when this consumer writes a retry to it', () => {
    const { gate, advance, fetch } = gateAt();
    gate.own({ [RETRY]: [0], [REDRIVE]: [0] });
    fetch();
    advance(LOOK_MS);
    gate.tick();
    expect(names(gate.wake(RETRY).resume)).toEqual([`${RETRY}/0`]);
    // Already open: nothing to tell kafkajs.
    expect(gate.wake(RETRY).resume).toEqual([]);
    fetch();
    advance(LOOK_MS);
    expect(names(gate.tick().pause)).toEqual([`${RETRY}/0`]);
  });

  it('leaves a partition waiting for its due message to RetryBatches', () => {
    const { gate, advance, fetch } = gateAt();
    gate.own({ [RETRY]: [0] });
    gate.held(RETRY, 0);
    fetch();
    advance(REST_MS * 5);
    expect(gate.tick()).toEqual({ pause: [], resume: [] });
    expect(gate.wake(RETRY).resume).toEqual([]);
    gate.released(RETRY, 0);
    fetch();
    advance(LOOK_MS);
    expect(names(gate.tick().pause)).toEqual([`${RETRY}/0`]);
  });

  it('opens on a new assignment what it had closed, and forgets what is no longer assigned', () => {
    const { gate, advance, fetch } = gateAt();
    gate.own({ [RETRY]: [0], [REDRIVE]: [0] });
    fetch();
    advance(LOOK_MS);
    gate.tick();
    expect(names(gate.own({ [RETRY]: [0] }).resume)).toEqual([`${REDRIVE}/0`, `${RETRY}/0`]);
    fetch();
    advance(LOOK_MS);
    expect(names(gate.tick().pause)).toEqual([`${RETRY}/0`]);
  });
});
