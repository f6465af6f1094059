import { ContractViolationError, HeraldError } from '@herald/contracts';
import { AttemptTimeoutError, classify } from './errors';
import { DEFAULT_RETRY_POLICY, resolvePolicy } from './policy';

const policy = resolvePolicy(DEFAULT_RETRY_POLICY, { nonRetryableErrorTypes: ['SMTP_PERMANENT', 'EAUTH'] });

describe('classify', () => {
  it.each([
    ['a contract violation', new ContractViolationError('x', [{ path: '/a', message: 'bad' }]), false, 'CONTRACT_VIOLATION'],
    ['a listed code', new HeraldError('SMTP_PERMANENT', '550 no such user', { retriable: true }), false, 'SMTP_PERMANENT'],
    ['a listed errno code', Object.assign(new Error('auth failed'), { code: 'EAUTH' }), false, 'EAUTH'],
    ['a transient HeraldError', new HeraldError('SMTP_TRANSIENT', '421 try later', { retriable: true }), true, 'SMTP_TRANSIENT'],
    ['a permanent HeraldError', new HeraldError('SLACK_NOT_FOUND', '404', { retriable: false }), false, 'SLACK_NOT_FOUND'],
    ['a TypeError', new TypeError('x is undefined'), false, 'TypeError'],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), true, 'ECONNREFUSED'],
    ['a timeout', new AttemptTimeoutError(100), true, 'START_TO_CLOSE_TIMEOUT'],
  ])('%s', (_what, error, retriable, type) => {
    expect(classify(error, policy)).toMatchObject({ retriable, type });
  });

  it('keeps a Retry-After', () => {
    const error = Object.assign(new HeraldError('SLACK_RATE_LIMITED', '429', { retriable: true }), { retryAfterMs: 2000 });
    expect(classify(error, policy).retryAfterMs).toBe(2000);
  });

  it('never retries something that is not an Error', () => {
    expect(classify('boom', policy)).toMatchObject({ retriable: false, type: 'NonError' });
  });
});
