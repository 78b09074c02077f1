/**
 * What an operator may ask for when creating a gateway key (admin API and
 * `reflex keys create` share this schema). Unknown fields are refused, so a
 * typo in an option never silently creates a weaker key than intended.
 */
import { z } from 'zod';

const TEN_YEARS_S = 10 * 365 * 24 * 3600;

/** Namespaces name a shared cache; they appear in logs and the key list, so keep them plain. */
export const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const keyOptionsSchema = z
  .object({
    name: z.string().trim().min(1).max(128),
    namespace: z.string().regex(NAMESPACE, 'letters, digits, ".", "_" or "-", at most 64').optional(),
    rate_limit: z.object({ requests_per_minute: z.number().int().positive().max(1_000_000) }).strict().optional(),
    models: z.array(z.string().min(1).max(256)).min(1).max(1000).optional(),
    expires_at: z.string().datetime({ offset: true }).optional(),
    expires_in: z.number().int().positive().max(TEN_YEARS_S).optional(),
  })
  .strict()
  .refine((o) => o.expires_at === undefined || o.expires_in === undefined, { message: 'give expires_at or expires_in, not both', path: ['expires_at'] })
  .refine((o) => o.expires_at === undefined || Date.parse(o.expires_at) > Date.now(), { message: 'expires_at is in the past', path: ['expires_at'] });

export type KeyOptions = z.input<typeof keyOptionsSchema>;
