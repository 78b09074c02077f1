/** A Temporal history event's kind, from its one set `…EventAttributes` field: `WorkflowTaskCompleted`. */
export const eventName = (e: object): string => {
  const key = Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k]);
  return key ? key.replace(/EventAttributes$/, '').replace(/^./, (c) => c.toUpperCase()) : 'event';
};
