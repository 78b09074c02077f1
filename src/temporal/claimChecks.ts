/**
 * The other half of the claim check, for people: a decoded payload that
 * holds references (`requestRef`, `answerRef`) gets the blobs they point to
 * beside them, under `claimCheck`, so a fill's page in the Temporal UI shows
 * the request and the answer, not a hash (a fill's input: its request and
 * the entry's stored answer). Used only by the codec endpoint's
 * decode (admin token); workers decode with the plain codec and never see it.
 *
 * A reference without a tenant beside it (the `answer` update's result, an
 * activity's result) is looked up under every tenant: blobs are content-
 * addressed, so whichever holds it holds the same bytes. Blobs live an hour
 * (see ops/missUpkeep); after that the stored entry stands in where the
 * payload names its tenant and key.
 */
import type { Payload } from '@temporalio/common';
import type { BlobStore } from '../cache/storage/blobStore';
import type { EntryStore } from '../cache/storage/entryStore';

const REF = /^[0-9a-f]{64}$/;
const TENANT = /^[0-9a-f]{16}$/;
const JSON_PLAIN = 'json/plain';
/** Payloads nest references at most this deep (an update's or activity's argument object). */
const MAX_DEPTH = 4;
/** The UI shows the payload whole; past this a blob is shown as an excerpt. */
const MAX_BLOB_CHARS = 256 * 1024;

type Json = Record<string, unknown>;

export class ClaimCheckResolver {
  constructor(
    private readonly blobs: BlobStore,
    private readonly entries: EntryStore,
  ) {}

  /** The payloads with their references resolved; anything that is not JSON holding references is returned as it came. */
  async resolve(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((p) => this.resolveOne(p)));
  }

  private async resolveOne(payload: Payload): Promise<Payload> {
    if (Buffer.from(payload.metadata?.encoding ?? []).toString() !== JSON_PLAIN || !payload.data) return payload;
    const text = Buffer.from(payload.data).toString('utf8');
    if (!text.includes('Ref"')) return payload;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return payload;
    }
    const changed = await this.walk(value, 0);
    return changed ? { ...payload, data: Buffer.from(JSON.stringify(value)) } : payload;
  }

  private async walk(value: unknown, depth: number): Promise<boolean> {
    if (!value || typeof value !== 'object' || depth > MAX_DEPTH) return false;
    const children = Object.values(value as Json);
    const nested = await Promise.all(children.map((child) => this.walk(child, depth + 1)));
    const here = Array.isArray(value) ? false : await this.annotate(value as Json);
    return here || nested.some(Boolean);
  }

  /**
   * Adds `claimCheck: { request, answer }` to an object holding references. A
   * fill's input names no answer (it does not exist yet when the fill starts):
   * there the stored entry's answer is shown as `storedAnswer`, so the fill's
   * page shows both (a later refresh may have replaced it: it is the entry now).
   */
  private async annotate(o: Json): Promise<boolean> {
    const resolved: Json = {};
    for (const [field, name] of [['requestRef', 'request'], ['answerRef', 'answer']] as const) {
      const ref = o[field];
      if (typeof ref === 'string' && REF.test(ref)) resolved[name] = await this.lookup(ref, o, name);
    }
    if (!Object.keys(resolved).length) return false;
    if (resolved.request !== undefined && resolved.answer === undefined) {
      const stored = await this.storedEntry(o);
      if (stored) resolved.storedAnswer = excerpt(stored.response);
    }
    o.claimCheck = resolved;
    return true;
  }

  private async storedEntry(holder: Json) {
    const { tenant, key } = holder;
    if (typeof tenant !== 'string' || !TENANT.test(tenant) || typeof key !== 'string') return undefined;
    return this.entries.read(tenant, key).catch(() => undefined);
  }

  private async lookup(ref: string, holder: Json, name: 'request' | 'answer'): Promise<unknown> {
    const tenant = typeof holder.tenant === 'string' && TENANT.test(holder.tenant) ? holder.tenant : undefined;
    const blob = tenant ? await this.blobs.get(tenant, ref).catch(() => undefined) : await this.blobs.findAnyTenant(ref).catch(() => undefined);
    if (blob !== undefined) return excerpt(blob);
    const entry = await this.storedEntry(holder);
    if (entry) return name === 'answer' ? excerpt(entry.response) : { semanticText: entry.semanticText, model: entry.model, note: 'request blob swept; from the stored entry' };
    return { unavailable: 'this blob is no longer stored (claim-check blobs are kept for an hour) and no entry stands in for it' };
  }


}

function excerpt(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text.length > MAX_BLOB_CHARS ? { excerpt: `${text.slice(0, MAX_BLOB_CHARS)}…`, chars: text.length } : value;
}
