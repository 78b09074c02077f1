/** The workflow bundle's entry point (the worker's workflowsPath). */
export { cacheFillWorkflow } from './fill';
export { deleteEntryWorkflow, purgeTenantWorkflow, replayFillWorkflow } from './maintenance';
export { auditHitWorkflow } from './audit';
