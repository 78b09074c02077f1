/**
 * What an operator filters on in the Temporal UI: Keyword search attributes
 * set when a workflow starts and upserted as it progresses. Definitions only
 * (no side effects), so the workflow bundle, the API and the dev-server
 * launcher share one list.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** What a workflow does to the cache; one value per workflow type. */
export type EntryKind = 'fill' | 'replay' | 'delete' | 'purge' | 'audit';

export const reflexAttributes = {
  tenant: defineSearchAttributeKey('ReflexTenant', SearchAttributeType.KEYWORD),
  model: defineSearchAttributeKey('ReflexModel', SearchAttributeType.KEYWORD),
  key: defineSearchAttributeKey('ReflexKey', SearchAttributeType.KEYWORD),
  kind: defineSearchAttributeKey('ReflexKind', SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey('ReflexOutcome', SearchAttributeType.KEYWORD),
  /** Why a fill ran: chat, responses, refresh, outbox (see FillOrigin). */
  origin: defineSearchAttributeKey('ReflexOrigin', SearchAttributeType.KEYWORD),
} as const;

export const REFLEX_ATTRIBUTE_NAMES = Object.values(reflexAttributes).map((k) => k.name);

/** Added after the others: a cluster that lacks it still gets the rest (and the memo). */
export const OPTIONAL_ATTRIBUTE_NAMES: readonly string[] = [reflexAttributes.origin.name];

export type FillOrigin = 'chat' | 'responses' | 'refresh' | 'outbox';

/** `temporal server start-dev --search-attribute` values (and the operator's create commands). */
export const searchAttributeFlags = (): string[] => REFLEX_ATTRIBUTE_NAMES.map((name) => `${name}=Keyword`);

export interface Labels {
  tenant: string;
  key?: string;
  model?: string;
  kind: EntryKind;
  /** Fills only, and only where ReflexOrigin is registered. */
  origin?: FillOrigin;
  /** ReflexOutcome at start: "running" (open workflows are filterable too), or a fill's presumed end (FillInput.outcomeAtStart). */
  outcome?: string;
}

export function startAttributes(labels: Labels) {
  const a = reflexAttributes;
  return [
    { key: a.tenant, value: labels.tenant },
    { key: a.kind, value: labels.kind },
    { key: a.outcome, value: labels.outcome ?? 'running' },
    ...(labels.key ? [{ key: a.key, value: labels.key }] : []),
    ...(labels.model ? [{ key: a.model, value: labels.model }] : []),
    ...(labels.origin ? [{ key: a.origin, value: labels.origin }] : []),
  ];
}
