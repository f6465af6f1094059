import { beforeRejoin, kafkajsConsumerGroup, type ConsumerGroupInternals } from './rejoin-hook';

// kafkajs' own joinAndSync, run against a member whose join protocol (its retrier) only records
// that the join began: no broker.
function member(groupId: string, memberId: string | null, calls: string[]): ConsumerGroupInternals {
  const group = Object.create(kafkajsConsumerGroup().prototype) as ConsumerGroupInternals & { retrier: () => Promise<void> };
  group.groupId = groupId;
  group.memberId = memberId;
  group.retrier = async () => {
    calls.push('join');
  };
  return group;
}

describe('beforeRejoin', () => {
  it('finishes the hook before kafkajs begins the join', async () => {
    const calls: string[] = [];
    const remove = beforeRejoin('g', 'm-1', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      calls.push('hook');
    });
    await member('g', 'm-1', calls).joinAndSync();
    expect(calls).toEqual(['hook', 'join']);
    remove();
  });

  it('runs only the hook of that member of that group', async () => {
    const calls: string[] = [];
    const remove = beforeRejoin('g', 'm-2', async () => {
      calls.push('hook');
    });
    await member('g', 'm-3', calls).joinAndSync();
    await member('other', 'm-2', calls).joinAndSync();
    await member('g', null, calls).joinAndSync();
    expect(calls).toEqual(['join', 'join', 'join']);
    remove();
    await member('g', 'm-2', calls).joinAndSync();
    expect(calls).toEqual(['join', 'join', 'join', 'join']);
  });

  it('joins even when the hook fails', async () => {
    const calls: string[] = [];
    const remove = beforeRejoin('g', 'm-4', () => Promise.reject(new Error('commit failed')));
    await member('g', 'm-4', calls).joinAndSync();
    expect(calls).toEqual(['join']);
    remove();
  });
});
