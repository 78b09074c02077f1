/**
 * What the admin dashboard shows over time, counted as requests are recorded
 * (api/requestRecord.ts) in this process's memory: requests and latency by
 * tier in ten-second buckets (the last hour), and since start, per gateway key
 * (requests, hits, tokens saved) and per model (tokens saved, for the cost
 * estimate). No timer: a request that starts a new bucket closes the old one.
 * One replica's view; Prometheus (deploy/) aggregates replicas.
 */

export const BUCKET_MS = 10_000;
export const BUCKETS = 360;

export interface Saved {
  prompt: number;
  completion: number;
}

export interface KeyUsage {
  requests: number;
  hits: number;
  saved: Saved;
}

export interface Bucket {
  /** Start of the bucket, ms since the epoch. */
  at: number;
  /** Requests by tier. */
  requests: Record<string, number>;
  /** Summed milliseconds by tier (mean = ms / requests). */
  ms: Record<string, number>;
}

export interface RecordedUse {
  tier: string;
  ms: number;
  hit: boolean;
  keyId?: string;
  model?: string;
  saved?: Saved;
}

export class UsageLedger {
  /** `fleet`: where replica-wide counts go too (PostgreSQL: fleet.ts). */
  constructor(private readonly fleet?: { add(use: RecordedUse, now: number): void }) {}

  private readonly buckets: Bucket[] = [];
  private readonly byKey = new Map<string, KeyUsage>();
  private readonly byModel = new Map<string, Saved & { hits: number }>();

  record(use: RecordedUse, now = Date.now()): void {
    this.fleet?.add(use, now);
    const bucket = this.bucketAt(now);
    bucket.requests[use.tier] = (bucket.requests[use.tier] ?? 0) + 1;
    bucket.ms[use.tier] = (bucket.ms[use.tier] ?? 0) + use.ms;
    const saved = use.hit ? (use.saved ?? { prompt: 0, completion: 0 }) : { prompt: 0, completion: 0 };
    if (use.keyId) {
      const k = this.byKey.get(use.keyId) ?? { requests: 0, hits: 0, saved: { prompt: 0, completion: 0 } };
      k.requests++;
      if (use.hit) k.hits++;
      add(k.saved, saved);
      this.byKey.set(use.keyId, k);
    }
    if (use.hit && use.model) {
      const m = this.byModel.get(use.model) ?? { prompt: 0, completion: 0, hits: 0 };
      m.hits++;
      add(m, saved);
      this.byModel.set(use.model, m);
    }
  }

  /** The last hour's buckets, oldest first, empty ones included (a chart shows the gaps as zero). */
  history(now = Date.now()): Bucket[] {
    const last = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    const byStart = new Map(this.buckets.map((b) => [b.at, b]));
    const out: Bucket[] = [];
    for (let at = last - (BUCKETS - 1) * BUCKET_MS; at <= last; at += BUCKET_MS) out.push(byStart.get(at) ?? { at, requests: {}, ms: {} });
    const first = out.findIndex((b) => Object.keys(b.requests).length > 0);
    return first < 0 ? out.slice(-1) : out.slice(first);
  }

  keys(): Record<string, KeyUsage> {
    return Object.fromEntries(this.byKey);
  }

  models(): Record<string, Saved & { hits: number }> {
    return Object.fromEntries(this.byModel);
  }

  private bucketAt(now: number): Bucket {
    const at = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    let bucket = this.buckets.at(-1);
    if (!bucket || bucket.at !== at) {
      bucket = { at, requests: {}, ms: {} };
      this.buckets.push(bucket);
      while (this.buckets.length > BUCKETS || this.buckets[0]!.at <= at - BUCKETS * BUCKET_MS) this.buckets.shift();
    }
    return bucket;
  }
}

function add(into: Saved, more: Saved): void {
  into.prompt += more.prompt;
  into.completion += more.completion;
}
