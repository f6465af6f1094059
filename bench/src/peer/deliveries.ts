// What both peers deliver, and how: the same SMTP exchange and Slack POST as Herald's email and
// Slack services (a pooled nodemailer transport, an undici pool), so that the peers differ from
// Herald only in how the work reaches these calls.
import nodemailer from 'nodemailer';
import { Pool } from 'undici';

/** The data every signup job carries. */
export interface SignupJob {
  userId: string;
  email: string;
  username: string;
  fullName: string;
}

export type EmailKind = 'welcome' | 'follow-up';

/** A delivery refused for good (an SMTP 5xx, a webhook's 4xx): not worth another attempt. */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Sends the welcome or follow-up email of a signup over a pool of `poolSize` SMTP connections. */
export function emailSender(smtpUrl: string, poolSize: number): (job: SignupJob, kind: EmailKind, messageId: string) => Promise<void> {
  const smtp = new URL(smtpUrl);
  const transport = nodemailer.createTransport({ pool: true, maxConnections: poolSize, host: smtp.hostname, port: Number(smtp.port || 25), secure: false });
  return async ({ fullName, email }, kind, messageId) => {
    const welcome = kind === 'welcome';
    const subject = welcome ? `Welcome ${fullName.replace(/[\r\n]+/g, ' ')}!` : 'How are you finding our platform?';
    const text = welcome ? `Hi ${fullName},\n\nWelcome aboard.` : `Hi ${fullName},\n\nHow are you finding our platform?`;
    try {
      await transport.sendMail({
        from: 'Herald <no-reply@herald.local>',
        to: email,
        subject,
        text,
        html: `<p>${escapeHtml(text)}</p>`,
        messageId: `<${messageId}@herald.local>`,
      });
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      if (code !== undefined && code >= 500) throw new PermanentDeliveryError(`SMTP ${code}`);
      throw error;
    }
  };
}

/** Posts the "new signup" message of a signup to the Slack webhook. */
export function slackPoster(webhookUrl: string): (job: SignupJob) => Promise<void> {
  const url = new URL(webhookUrl);
  const pool = new Pool(url.origin, { connections: 10 });
  return async ({ fullName, username, email }) => {
    const text = `:wave: New signup: *${escapeSlack(fullName)}* (${escapeSlack(username)}, ${escapeSlack(email)})`;
    const response = await pool.request({
      method: 'POST',
      path: url.pathname,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
      headersTimeout: 30_000,
    });
    await response.body.dump();
    if (response.statusCode === 200) return;
    const message = `Slack answered ${response.statusCode}`;
    if (response.statusCode === 429 || response.statusCode >= 500) throw new Error(message);
    throw new PermanentDeliveryError(message);
  };
}
