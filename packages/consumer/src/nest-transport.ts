import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { topicByName, type EventOf, type Topic } from '@herald/contracts';
import { ConsumerRunner, type ConsumerRunnerOptions } from './consumer.runner';
import type { HandlerContext, NotificationSubject } from './handler';
import { DEFAULT_RETRY_POLICY, resolvePolicy, type RetryPolicy, type RetryPolicyInput } from './policy';

/**
 * What a handler declares beside its topic: `@EventPattern(UserCreated.name, handlerOptions({...}))`.
 */
export interface HandlerOptions<T extends Topic = Topic> {
  /** The handler's own policy, merged over the transport's default. */
  policy?: RetryPolicyInput;
  /** Which notification an event is, so retries and dead letters reach the timeline. */
  describe?: (event: EventOf<T>) => NotificationSubject | undefined;
  /** The events this handler acts on; the others are acknowledged without a call (see HandlerRegistration). */
  accepts?: (event: EventOf<T>) => boolean;
}

/** Typed extras for `@EventPattern`. */
export function handlerOptions<T extends Topic>(_topic: T, options: HandlerOptions<T>): Record<string, unknown> {
  return { herald: options };
}

export interface HeraldTransportOptions extends Omit<ConsumerRunnerOptions, 'logger'> {
  logger: ConsumerRunnerOptions['logger'];
  /** Base policy of every handler of this service (defaults, then config). */
  policy?: RetryPolicy;
  /** Applied over each handler's own policy: configuration wins (RETRY_POLICY). */
  policyOverride?: RetryPolicyInput;
}

/**
 * A NestJS transport over Herald's ConsumerRunner: a handler is only
 * `@EventPattern(topic.name) handle(@Payload() ctx: HandlerContext<typeof topic>)` business code;
 * validation, once-per-group processing, retries, dead letters and status events are the
 * transport's.
 */
export class HeraldKafkaTransport extends Server implements CustomTransportStrategy {
  private runner: ConsumerRunner | undefined;

  constructor(private readonly options: HeraldTransportOptions) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(() => callback(), callback);
  }

  private async start(): Promise<void> {
    const runner = new ConsumerRunner(this.options);
    for (const [pattern, handler] of this.messageHandlers) {
      const topic = topicByName(pattern);
      if (!topic) throw new Error(`@EventPattern('${pattern}') is not a topic of packages/contracts`);
      const extras = (handler.extras?.herald ?? {}) as HandlerOptions;
      const policy = resolvePolicy(this.options.policy ?? DEFAULT_RETRY_POLICY, extras.policy, this.options.policyOverride);
      runner.register({
        topic,
        name: `${this.options.groupId}:${pattern}`,
        policy,
        ...(extras.describe ? { describe: extras.describe } : {}),
        ...(extras.accepts ? { accepts: extras.accepts } : {}),
        handle: async (ctx: HandlerContext) => {
          const result: unknown = await handler(ctx);
          await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
        },
      });
    }
    this.runner = runner;
    await runner.start();
  }

  /** True once the consumer has joined its group (for /readyz). */
  isJoined(): boolean {
    return this.runner?.isJoined() ?? false;
  }

  async close(): Promise<void> {
    await this.runner?.stop();
  }

  /** No transport events to subscribe to. */
  on(): void {
    throw new Error('HeraldKafkaTransport has no events to listen to');
  }

  unwrap<T>(): T {
    if (!this.runner) throw new Error('HeraldKafkaTransport is not listening');
    return this.runner as T;
  }
}
