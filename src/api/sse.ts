/**
 * Server-Sent Events on the raw Node response, in the framing of the stream's
 * protocol (chat: `data: <json>\n\n` closed by `data: [DONE]\n\n`; Responses:
 * `event:` + `data:` lines, no [DONE]). Koa stops managing the response once
 * the stream opens; before that, errors are ordinary JSON.
 */
import type { Context } from 'koa';
import type { OpenAIErrorBody } from '../errors';
import type { StreamSink } from './streaming/sink';
import type { CompletionChunk } from '../wire/chat';
import { CHAT_STREAM, StreamProtocol } from './streaming/protocol';

export class SseSink<E = CompletionChunk> implements StreamSink<E> {
  private finished = false;
  private closed = false;
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly ctx: Context,
    private readonly protocol: Pick<StreamProtocol<E>, 'frame' | 'done'> = CHAT_STREAM as unknown as StreamProtocol<E>,
  ) {
    ctx.res.once('close', () => {
      if (this.finished) return;
      this.closed = true;
      for (const listener of this.listeners) listener();
    });
  }

  get gone(): boolean {
    return this.closed;
  }

  onGone(listener: () => void): void {
    if (this.closed) listener();
    else this.listeners.push(listener);
  }

  open(headers: Record<string, string>): void {
    this.ctx.respond = false;
    this.ctx.res.writeHead(200, {
      ...headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
  }

  async send(event: E): Promise<void> {
    await this.write(this.protocol.frame(event));
  }

  end(): void {
    this.finish(this.protocol.done);
  }

  fail(error: OpenAIErrorBody): void {
    this.finish(`data: ${JSON.stringify(error)}\n\n`);
  }

  private finish(last: string): void {
    if (this.closed) return;
    this.finished = true;
    this.ctx.res.end(last);
  }

  /** Honours backpressure: a slow client slows the relay instead of buffering without bound. */
  private write(text: string): Promise<void> {
    if (this.closed || this.finished) return Promise.resolve();
    if (this.ctx.res.write(text)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.ctx.res.off('drain', done);
        this.ctx.res.off('close', done);
        resolve();
      };
      this.ctx.res.on('drain', done);
      this.ctx.res.on('close', done);
    });
  }
}
