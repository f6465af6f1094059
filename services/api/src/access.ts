import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { ApiKeyStore, KeyRefusal, Scope } from './api-keys';
import { ApiError } from './errors';

/**
 * Who may call a route, declared in its `config.access`: `public` (health, metrics, docs),
 * `signup` (a signup key, an admin credential, or anyone when signup is open) or `admin`.
 * A route that declares nothing is `admin`: a new route is closed until someone opens it.
 */
export type Access = 'public' | 'signup' | 'admin';

/** Who made a request that got through. `anonymous` only reaches an open signup. */
export type Caller = { kind: 'admin-token' } | { kind: 'key'; keyId: string; scopes: Scope[] } | { kind: 'anonymous' };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    caller?: Caller;
  }
}

export interface AccessOptions {
  /** ADMIN_TOKEN: an admin credential that needs no database. */
  adminToken: string;
  keys: ApiKeyStore;
  /** SIGNUP_OPEN: POST /api/v1/users without a credential (a public form), rate-limited by address. */
  signupOpen: boolean;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

type Refusal = KeyRefusal | 'missing' | 'scope';

const MESSAGES: Readonly<Record<Refusal, string>> = {
  missing: 'A credential is required: Authorization: Bearer <API key>.',
  malformed: 'The credential is not valid: send Authorization: Bearer <API key>.',
  unknown: 'The credential is not valid.',
  revoked: 'This API key was revoked.',
  scope: 'This API key may not call this route: it needs the admin scope.',
};

/**
 * The api's one onRequest check of credentials, run before the body is read, so that nothing
 * about a body reaches an anonymous caller. Every refusal is logged with its reason and the key's
 * id when there is one, never the credential.
 */
export function accessControl({ adminToken, keys, signupOpen }: AccessOptions): onRequestAsyncHookHandler {
  const adminDigest = digest(adminToken);

  const refuse = (request: FastifyRequest, reason: Refusal, keyId?: string): never => {
    request.log.warn({ refusal: reason, keyId, route: request.routeOptions.url, method: request.method }, 'request refused');
    throw new ApiError(reason === 'scope' ? 'forbidden' : 'unauthorized', MESSAGES[reason]);
  };

  return async (request) => {
    // An unknown path gets its 404, which tells nothing.
    if (request.routeOptions.url === undefined) return;
    const access: Access = request.routeOptions.config.access ?? 'admin';
    if (access === 'public') return;
    const header = request.headers.authorization;
    if (header === undefined) {
      if (access === 'signup' && signupOpen) {
        request.caller = { kind: 'anonymous' };
        return;
      }
      return refuse(request, 'missing');
    }
    const token = /^Bearer +(\S+) *$/i.exec(header)?.[1];
    if (!token) return refuse(request, 'malformed');
    if (timingSafeEqual(digest(token), adminDigest)) {
      request.caller = { kind: 'admin-token' };
      return;
    }
    const check = await keys.verify(token);
    if (!check.ok) return refuse(request, check.reason, check.id);
    if (!check.scopes.includes('admin') && !(access === 'signup' && check.scopes.includes('signup'))) {
      return refuse(request, 'scope', check.id);
    }
    request.caller = { kind: 'key', keyId: check.id, scopes: check.scopes };
  };
}

/** What a signup is rate-limited by: the key, the admin credential, or the caller's address. */
export function rateLimitKey(request: FastifyRequest): string {
  const caller = request.caller;
  if (caller?.kind === 'key') return `key:${caller.keyId}`;
  if (caller?.kind === 'admin-token') return 'admin-token';
  return `address:${request.ip}`;
}
