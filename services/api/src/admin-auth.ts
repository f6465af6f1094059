import { createHash, timingSafeEqual } from 'node:crypto';
import type { onRequestAsyncHookHandler } from 'fastify';
import { ApiError } from './errors';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * An onRequest hook that lets a request through only with `Authorization: Bearer <token>`.
 * It runs before the body is parsed, so nothing about the body leaks to an anonymous caller.
 * The tokens are compared as sha256 digests in constant time (equal lengths, whatever was sent).
 */
export function requireAdmin(token: string): onRequestAsyncHookHandler {
  const expected = digest(token);
  return async (request) => {
    const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      throw new ApiError('unauthorized', 'An admin token is required: Authorization: Bearer <token>.');
    }
  };
}
