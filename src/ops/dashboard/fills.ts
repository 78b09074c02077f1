/**
 * The dashboard's view of fills in Temporal: the latest running and failed
 * fills with links to each in the Temporal UI, and how many failed runs
 * `reflex replay` would finish. Visibility is cluster-wide (every replica's
 * fills). Bounded in time: an unreachable Temporal gives `unreachable`, not
 * a hanging page.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { withDeadline } from '../../deadline';
import { FILL_WORKFLOW } from '../../workflows/definitions';
import { reflexAttributes } from '../../workflows/visibility';
import { failedFillsQuery } from '../replay';

const LISTED = 10;
const VISIBILITY_MS = 3_000;

export interface FillRow {
  workflowId: string;
  runId: string;
  status: string;
  model?: string;
  origin?: string;
  outcome?: string;
  startedAt: string;
  /** The fill's page in the Temporal UI. */
  link: string;
}

export interface FillsView {
  running: FillRow[];
  failed: FillRow[];
  /** Failed, terminated or timed-out fill runs: what `reflex replay` looks at. */
  replayable: number;
  /** The Temporal UI's list of failed fills. */
  failedLink: string;
}

export interface FillsSource {
  client: Client;
  namespace: string;
  /** Base URL of the Temporal UI. */
  uiUrl: string;
}

export async function fillsView(source: FillsSource): Promise<FillsView | 'unreachable'> {
  const running = `WorkflowType = '${FILL_WORKFLOW}' AND ExecutionStatus = 'Running'`;
  const failed = failedFillsQuery();
  const work = Promise.all([latest(source, running), latest(source, failed), source.client.workflow.count(failed)]);
  try {
    const [open, broken, count] = await withDeadline(work, VISIBILITY_MS, () => new Error('visibility timed out'));
    return { running: open, failed: broken, replayable: count.count, failedLink: listLink(source, failed) };
  } catch {
    work.catch(() => undefined);
    return 'unreachable';
  }
}

async function latest(source: FillsSource, query: string): Promise<FillRow[]> {
  const rows: FillRow[] = [];
  for await (const info of source.client.workflow.list({ query, pageSize: LISTED })) {
    rows.push(rowOf(source, info));
    if (rows.length >= LISTED) break;
  }
  return rows;
}

function rowOf(source: FillsSource, info: WorkflowExecutionInfo): FillRow {
  const attr = info.typedSearchAttributes;
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    status: info.status.name,
    model: attr.get(reflexAttributes.model),
    origin: attr.get(reflexAttributes.origin),
    // An open fill started with its presumed outcome (FillInput.outcomeAtStart) has not ended yet.
    outcome: info.status.name === 'RUNNING' ? 'running' : attr.get(reflexAttributes.outcome),
    startedAt: info.startTime.toISOString(),
    link: workflowLink(source, info.workflowId, info.runId),
  };
}

export function workflowLink(source: Omit<FillsSource, 'client'>, workflowId: string, runId: string): string {
  return `${source.uiUrl}/namespaces/${encodeURIComponent(source.namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

function listLink(source: FillsSource, query: string): string {
  return `${source.uiUrl}/namespaces/${encodeURIComponent(source.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}
