/**
 * The admin dashboard's login: after POST /admin/login with the admin token,
 * the browser holds a session cookie (HttpOnly, SameSite=Strict, path
 * /admin) instead of the token. The cookie is "expiry.nonce.mac", the MAC
 * keyed by a digest of the admin token: any replica with the same token
 * accepts it, nothing is stored, and changing the token ends every session.
 * The token itself is never in the cookie, a URL or a log.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'reflex_admin';
export const SESSION_HOURS = 12;

export class AdminSessions {
  private readonly key: Buffer;

  constructor(adminToken: string) {
    this.key = createHash('sha256').update(`reflex admin session\u0000${adminToken}`).digest();
  }

  issue(now = Date.now()): string {
    const body = `${now + SESSION_HOURS * 3_600_000}.${randomBytes(16).toString('hex')}`;
    return `${body}.${this.mac(body)}`;
  }

  valid(cookie: string | undefined, now = Date.now()): boolean {
    const parts = cookie?.split('.');
    if (parts?.length !== 3) return false;
    const [expiry, nonce, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.mac(`${expiry}.${nonce}`));
    const given = Buffer.from(mac);
    return given.length === expected.length && timingSafeEqual(given, expected) && Number(expiry) > now;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
