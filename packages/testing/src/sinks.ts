import { infrastructure } from './infrastructure';

/** A message Mailpit caught (the fields the tests read). */
export interface CaughtEmail {
  ID: string;
  MessageID: string;
  Subject: string;
  To: { Address: string; Name: string }[];
  Created: string;
}

/** Emails Mailpit caught for one recipient, oldest first. */
export async function emailsTo(address: string): Promise<CaughtEmail[]> {
  const url = new URL('/api/v1/search', infrastructure().mailpitUrl);
  url.searchParams.set('query', `to:"${address}"`);
  url.searchParams.set('limit', '100');
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Mailpit search answered ${response.status}`);
  const body = (await response.json()) as { messages: CaughtEmail[] };
  return body.messages.filter((m) => m.To.some((t) => t.Address.toLowerCase() === address.toLowerCase())).reverse();
}

/** One caught email's raw source (headers and bodies). */
export async function emailSource(id: string): Promise<string> {
  const response = await fetch(new URL(`/api/v1/message/${id}/raw`, infrastructure().mailpitUrl));
  if (!response.ok) throw new Error(`Mailpit raw answered ${response.status}`);
  return response.text();
}

/** A message the Slack stand-in accepted. */
export interface SlackPost {
  id: number;
  receivedAt: string;
  path: string;
  text?: string;
  body: Record<string, unknown>;
}

export interface SlackAttempt {
  id: number;
  receivedAt: string;
  path: string;
  status: number;
}

async function sinkJson<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(new URL(path, infrastructure().slackSinkUrl), init);
  if (!response.ok) throw new Error(`Slack stand-in ${path} answered ${response.status}`);
  return (await response.json()) as T;
}

/** Messages the Slack stand-in accepted on webhook paths starting with `pathPrefix`. */
export async function slackPosts(pathPrefix: string): Promise<SlackPost[]> {
  const body = await sinkJson<{ messages: SlackPost[] }>(`/api/messages?path=${encodeURIComponent(pathPrefix)}`);
  return body.messages;
}

/** Every webhook request the stand-in received on paths starting with `pathPrefix`, answered or faulted. */
export async function slackAttempts(pathPrefix: string): Promise<SlackAttempt[]> {
  const body = await sinkJson<{ attempts: SlackAttempt[] }>('/api/attempts');
  return body.attempts.filter((a) => a.path.startsWith(pathPrefix));
}

/** Makes the stand-in answer the next `times` posts on `path` with `status` (and Retry-After). */
export async function slackFault(fault: { path: string; status: number; retryAfter?: number; times?: number; delayMs?: number }): Promise<void> {
  await sinkJson('/api/faults', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
}
