/**
 * Waits for a workflow to close without reading its result: payloads are
 * encrypted (src/temporal/payloadCodec.ts) and the eval and bench tools, which
 * may run on another machine than the gateway, hold no payload key. A
 * long-poll for the close event (what `handle.result()` does before decoding)
 * says when and how it ended.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const { EventType, HistoryEventFilterType } = temporal.api.enums.v1;

/** Resolves when the workflow has closed; rejects unless it completed. */
export async function workflowClosed(client: Client, workflowId: string): Promise<void> {
  for (;;) {
    const { history } = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId },
      waitNewEvent: true,
      historyEventFilterType: HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
      skipArchival: true,
    });
    const closed = history?.events?.[0];
    if (!closed) continue; // the long poll timed out first
    if (closed.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) return;
    throw new Error(`workflow ${workflowId} closed as ${EventType[closed.eventType ?? 0] ?? 'unknown'}`);
  }
}
