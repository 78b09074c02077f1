/**
 * What a fill says about itself in the Temporal UI: a one-line static summary
 * for the workflow list (kind, model, who, the question's first words) and
 * markdown static details for its page (request and answer excerpts, sizes,
 * the lookup's time). Both are payloads, so the payload codec encrypts them
 * like the input; only the codec endpoint (admin token) shows them.
 */
import { answerText } from '../wire/answerText';

export { answerText };

/** chat / responses: a miss of that endpoint; the others say why the run exists. */
export type FillKind = 'chat' | 'responses' | 'refresh' | 'replay' | 'outbox drain';

export interface FillLabel {
  kind: FillKind;
  tenant: string;
  model?: string;
  /** The gateway key's name and namespace; absent for forwarded tokens (the tenant id stands in). */
  caller?: string;
  /** The last user turn (the semantic text). */
  question?: string;
  /** The answer was relayed as a stream before the fill started. */
  streamed?: boolean;
}

/** The Temporal UI shows one line; longer summaries are cut there anyway. */
const SUMMARY_CHARS = 160;
const QUESTION_WORDS = 10;
const EXCERPT_CHARS = 400;

export function fillSummary(label: FillLabel): string {
  const kind = label.streamed ? `${label.kind} (stream)` : label.kind;
  const who = label.caller ?? `tenant ${label.tenant.slice(0, 8)}`;
  const question = label.question ? `“${firstWords(label.question, QUESTION_WORDS)}”` : undefined;
  const line = [kind, label.model || undefined, who, question].filter(Boolean).join(' · ');
  return clip(line, SUMMARY_CHARS);
}

export interface FillDetail {
  question?: string;
  request?: unknown;
  answer?: unknown;
  lookupMs?: number;
  /** What the run finishes (a replay). */
  of?: string;
}

/** Markdown for the fill's page; each part only when known at start (a miss's answer is not). */
export function fillDetails(detail: FillDetail): string {
  const lines: string[] = [];
  if (detail.of) lines.push(`**Finishes** \`${detail.of}\``);
  if (detail.question !== undefined) lines.push(`**Question** ${quote(detail.question)}`);
  if (detail.request !== undefined) lines.push(`**Request** ${sizeOf(detail.request)}`);
  const answer = detail.answer === undefined ? undefined : answerText(detail.answer);
  if (detail.answer !== undefined) lines.push(`**Answer** ${sizeOf(detail.answer)}${answer ? `: ${quote(answer)}` : ''}`);
  else if (detail.request !== undefined) lines.push('**Answer** from the provider, after this start: the input\'s `claimCheck.storedAnswer` (through the codec endpoint)');
  if (detail.lookupMs !== undefined) lines.push(`**Lookup before the miss** ${detail.lookupMs.toFixed(1)} ms`);
  return lines.join('\n\n');
}

export function firstWords(text: string, words: number): string {
  const all = text.trim().split(/\s+/);
  return all.length > words ? `${all.slice(0, words).join(' ')}…` : all.join(' ');
}

function clip(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}

/** A blockquote excerpt on one line (markdown in the question must not restructure the page). */
function quote(text: string): string {
  return `“${clip(text.replace(/\s+/g, ' ').trim(), EXCERPT_CHARS).replace(/[`*_<>[\]]/g, '\\$&')}”`;
}

function sizeOf(value: unknown): string {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '');
  return bytes < 10_240 ? `(${bytes} B)` : `(${(bytes / 1024).toFixed(1)} KiB)`;
}
