/**
 * N closed-loop clients of chat completions: each sends its next question as
 * soon as the last is answered (after the Retry-After of a 503, as the
 * official SDKs do), until the time is up or there are no more questions.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { post } from './post';
import { chatBody } from './prompts';

export interface Answered {
  question: string;
  kind: 'miss' | 'hit';
  ms: number;
  code: number;
  tier: string;
  fillId?: string;
}

const HEADERS = { 'content-type': 'application/json', authorization: 'Bearer reflex-bench' };

export async function closedLoop(url: string, connections: number, seconds: number, next: () => { question: string; kind: Answered['kind'] } | undefined): Promise<{ answered: Answered[]; seconds: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const answered: Answered[] = [];
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  const client = async () => {
    for (let item = next(); item && performance.now() < until; item = next()) {
      try {
        const res = await post(`${url}/chat/completions`, chatBody(item.question), HEADERS, agent);
        answered.push({ ...item, ms: res.ms, code: res.status, tier: res.header('x-reflex-status') ?? 'direct', fillId: res.header('x-reflex-fill-id') ?? undefined });
        const retryAfter = Number(res.header('retry-after'));
        if (res.status === 503 && retryAfter > 0) await sleep(retryAfter * 1000);
      } catch {
        answered.push({ ...item, ms: NaN, code: 0, tier: 'error' });
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, client));
  agent.destroy();
  return { answered, seconds: (performance.now() - t0) / 1000 };
}
