/**
 * The maintenance workflows (replay, delete, purge) against a local Temporal
 * dev server with fake activities. With REFLEX_RECORD_HISTORIES=1 each
 * scenario also saves its history as a replay fixture (docs/workflows.md).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { deleteEntryWorkflow, purgeTenantWorkflow, replayFillWorkflow } from '../../src/workflows/maintenance';
import {
  DELETE_WORKFLOW,
  PURGE_WORKFLOW,
  REPLAY_WORKFLOW,
  deleteWorkflowId,
  purgeWorkflowId,
  replayWorkflowId,
} from '../../src/workflows/maintenanceDefinitions';
import { reflexAttributes, startAttributes } from '../../src/workflows/visibility';
import { FakeActivities, SinkLog, useTestEnv, recordHistory, withWorker } from './support';

const t = useTestEnv();

const tenant = 'tenant-m';

describe('replayFillWorkflow', () => {
  const replayOf = { workflowId: 'fill-tenant-m-k1', runId: 'run-1' };

  test('indexed: indexes the stored entry, never touches the provider', async () => {
    const fakes = new FakeActivities({ indexStoredEntry: async () => 'indexed' });
    const sinks = new SinkLog();
    await withWorker(
      t.env,
      fakes,
      async (taskQueue) => {
        const handle = await t.env.client.workflow.start<typeof replayFillWorkflow>(REPLAY_WORKFLOW, {
          workflowId: replayWorkflowId(tenant, 'k1', 'run-1'),
          taskQueue,
          args: [{ tenant, key: 'k1', replayOf, indexMaxAttempts: 1 }],
          typedSearchAttributes: startAttributes({ tenant, key: 'k1', kind: 'replay' }),
        });
        expect(await handle.result()).toBe('indexed');
        const description = await handle.describe();
        expect(await description.memo).toMatchObject({ replayOf, steps: { index: 'done' }, outcome: 'indexed' });
        expect(description.typedSearchAttributes.get(reflexAttributes.outcome)).toBe('indexed');
        await recordHistory(handle, 'replay-indexed');
      },
      sinks,
    );
    expect(fakes.calls).toEqual([{ name: 'indexStoredEntry', args: [{ tenant, key: 'k1' }] }]);
    expect(sinks.calls).toEqual(['started:replay', 'finished:replay:indexed']);
  });

  test('nothing_stored: nothing to index, the index step is skipped', async () => {
    const fakes = new FakeActivities({ indexStoredEntry: async () => 'nothing_stored' });
    await withWorker(t.env, fakes, async (taskQueue) => {
      const handle = await t.env.client.workflow.start<typeof replayFillWorkflow>(REPLAY_WORKFLOW, {
        workflowId: replayWorkflowId(tenant, 'k2', 'run-2'),
        taskQueue,
        args: [{ tenant, key: 'k2', replayOf, indexMaxAttempts: 1 }],
      });
      expect(await handle.result()).toBe('nothing_stored');
      expect(await (await handle.describe()).memo).toMatchObject({ steps: { index: 'skipped' }, outcome: 'nothing_stored' });
      await recordHistory(handle, 'replay-nothing-stored');
    });
    expect(fakes.names()).toEqual(['indexStoredEntry']);
  });

  test('Milvus still down: retried up to the budget, then the replay run fails', async () => {
    const fakes = new FakeActivities({
      indexStoredEntry: async () => {
        throw new Error('milvus unavailable');
      },
    });
    await withWorker(t.env, fakes, async (taskQueue) => {
      const handle = await t.env.client.workflow.start<typeof replayFillWorkflow>(REPLAY_WORKFLOW, {
        workflowId: replayWorkflowId(tenant, 'k3', 'run-3'),
        taskQueue,
        args: [{ tenant, key: 'k3', replayOf, indexMaxAttempts: 2 }],
      });
      const error = await handle.result().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect(String(((error as WorkflowFailedError).cause?.cause as Error | undefined)?.message)).toContain('milvus unavailable');
    });
    expect(fakes.names()).toEqual(['indexStoredEntry', 'indexStoredEntry']);
  });
});

describe('deleteEntryWorkflow', () => {
  test('deleted: storage first, then the index; reports one removed', async () => {
    const fakes = new FakeActivities({ removeEntry: async () => true });
    const sinks = new SinkLog();
    await withWorker(
      t.env,
      fakes,
      async (taskQueue) => {
        const handle = await t.env.client.workflow.start<typeof deleteEntryWorkflow>(DELETE_WORKFLOW, {
          workflowId: deleteWorkflowId(tenant, 'k1'),
          taskQueue,
          args: [{ tenant, key: 'k1' }],
          typedSearchAttributes: startAttributes({ tenant, key: 'k1', kind: 'delete' }),
        });
        expect(await handle.result()).toEqual({ removed: 1 });
        const description = await handle.describe();
        expect(await description.memo).toMatchObject({ steps: { store: 'done', index: 'done' }, outcome: 'deleted' });
        expect(description.typedSearchAttributes.get(reflexAttributes.outcome)).toBe('deleted');
        await recordHistory(handle, 'delete-deleted');
      },
      sinks,
    );
    expect(fakes.calls).toEqual([
      { name: 'removeEntry', args: [{ tenant, key: 'k1' }] },
      { name: 'unindexEntry', args: [{ tenant, key: 'k1' }] },
    ]);
    expect(sinks.calls).toEqual(['started:delete', 'finished:delete:deleted']);
  });

  test('absent: nothing stored, the index is still cleaned; reports zero removed', async () => {
    const fakes = new FakeActivities({ removeEntry: async () => false });
    await withWorker(t.env, fakes, async (taskQueue) => {
      const handle = await t.env.client.workflow.start<typeof deleteEntryWorkflow>(DELETE_WORKFLOW, {
        workflowId: deleteWorkflowId(tenant, 'k2'),
        taskQueue,
        args: [{ tenant, key: 'k2' }],
      });
      expect(await handle.result()).toEqual({ removed: 0 });
      expect(await (await handle.describe()).memo).toMatchObject({ outcome: 'absent' });
      await recordHistory(handle, 'delete-absent');
    });
    expect(fakes.names()).toEqual(['removeEntry', 'unindexEntry']);
  });

  test('a failed storage removal is retried and the index is not touched before it succeeds', async () => {
    let attempts = 0;
    const fakes = new FakeActivities({
      removeEntry: async () => {
        if (++attempts === 1) throw new Error('EBUSY');
        return true;
      },
    });
    await withWorker(t.env, fakes, async (taskQueue) => {
      const handle = await t.env.client.workflow.start<typeof deleteEntryWorkflow>(DELETE_WORKFLOW, {
        workflowId: deleteWorkflowId(tenant, 'k3'),
        taskQueue,
        args: [{ tenant, key: 'k3' }],
      });
      expect(await handle.result()).toEqual({ removed: 1 });
    });
    expect(fakes.names()).toEqual(['removeEntry', 'removeEntry', 'unindexEntry']);
  });
});

describe('purgeTenantWorkflow', () => {
  test('purged: removes the tenant from storage, then from the index; reports the count', async () => {
    const fakes = new FakeActivities({ removeTenant: async () => 3 });
    const sinks = new SinkLog();
    await withWorker(
      t.env,
      fakes,
      async (taskQueue) => {
        const handle = await t.env.client.workflow.start<typeof purgeTenantWorkflow>(PURGE_WORKFLOW, {
          workflowId: purgeWorkflowId(tenant),
          taskQueue,
          args: [{ tenant }],
          typedSearchAttributes: startAttributes({ tenant, kind: 'purge' }),
        });
        expect(await handle.result()).toEqual({ removed: 3 });
        const description = await handle.describe();
        expect(await description.memo).toMatchObject({ removed: 3, steps: { store: 'done', index: 'done' }, outcome: 'purged' });
        expect(description.typedSearchAttributes.get(reflexAttributes.outcome)).toBe('purged');
        await recordHistory(handle, 'purge-purged');
      },
      sinks,
    );
    expect(fakes.calls).toEqual([
      { name: 'removeTenant', args: [{ tenant }] },
      { name: 'unindexTenant', args: [{ tenant }] },
    ]);
    expect(sinks.calls).toEqual(['started:purge', 'finished:purge:purged']);
  });

  test('an index failure that cannot be retried fails the purge after storage was emptied', async () => {
    const fakes = new FakeActivities({
      removeTenant: async () => 2,
      unindexTenant: async () => {
        throw ApplicationFailure.nonRetryable('collection dropped', 'MilvusError');
      },
    });
    await withWorker(t.env, fakes, async (taskQueue) => {
      const handle = await t.env.client.workflow.start<typeof purgeTenantWorkflow>(PURGE_WORKFLOW, {
        workflowId: purgeWorkflowId(`${tenant}-x`),
        taskQueue,
        args: [{ tenant: `${tenant}-x` }],
      });
      const error = await handle.result().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect((await handle.describe()).status.name).toBe('FAILED');
    });
    expect(fakes.names()).toEqual(['removeTenant', 'unindexTenant']);
  });
});
