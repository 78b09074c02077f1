/**
 * A Responses stream folded back into its `response`, the shape stored in
 * the cache. The API's terminal `response.completed` event carries the whole
 * response, so that is the answer; the deltas only tell whether one arrived.
 * `complete` is true only after response.completed — an incomplete, failed or
 * cut stream is not an answer (and is not cached).
 */
import type { ResponseEvent, ResponseObject } from '../wire/responses';
import { TERMINAL_EVENTS, isResponseObject } from '../wire/responses';

export class ResponseAssembler {
  private final?: ResponseObject;
  private terminal?: string;

  add(event: ResponseEvent): void {
    if (!TERMINAL_EVENTS.has(event.type)) return;
    this.terminal = event.type;
    if (event.type === 'response.completed' && isResponseObject(event.response)) this.final = event.response;
  }

  /** The stream ended with its terminal event (of any kind): nothing more will come. */
  get ended(): boolean {
    return this.terminal !== undefined;
  }

  get complete(): boolean {
    return this.final !== undefined;
  }

  response(): ResponseObject {
    if (!this.final) throw new Error('the stream did not complete');
    return this.final;
  }
}
