// Server-Sent Events over fetch: EventSource cannot send an Authorization header, and the key must
// never ride in a URL, so the stream is read with fetch and parsed here (the text/event-stream
// format of the HTML standard: `event:`, `data:`, `id:` lines, a blank line ends an event).
import { useEffect, useRef } from 'react';
import { authHeaders } from './client';

export interface StreamEvent {
  event: string;
  data: string;
  id?: string;
}

/** Parses a chunked text/event-stream; returns the complete events and keeps the remainder. */
export class EventStreamParser {
  private buffer = '';
  private current: { event?: string; data: string[]; id?: string } = { data: [] };

  push(chunk: string): StreamEvent[] {
    this.buffer += chunk;
    const out: StreamEvent[] = [];
    let nl: number;
    while ((nl = this.buffer.search(/\r?\n/)) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + (this.buffer[nl] === '\r' ? 2 : 1));
      if (line === '') {
        if (this.current.data.length) {
          out.push({
            event: this.current.event ?? 'message',
            data: this.current.data.join('\n'),
            id: this.current.id,
          });
        }
        this.current = { data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') this.current.event = value;
      else if (field === 'data') this.current.data.push(value);
      else if (field === 'id') this.current.id = value;
    }
    return out;
  }
}

/**
 * Subscribes to an SSE route while mounted; reconnects with backoff (resuming after the last id)
 * when the connection drops. `onEvent` may change between renders without reconnecting.
 */
export function useEventStream(
  path: string | null,
  onEvent: (e: StreamEvent) => void,
  /** Replay from here on the first connection (`'0'`: every stored event of the filter). */
  since?: string,
  /**
   * Called on every (re)connection, once the server listens: events without an id are not
   * replayed, so a page re-reads what they would have told it.
   */
  onOpen?: () => void,
): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const opened = useRef(onOpen);
  opened.current = onOpen;
  useEffect(() => {
    if (!path) return;
    const abort = new AbortController();
    let lastId: string | undefined = since;
    let delay = 500;
    const run = async () => {
      while (!abort.signal.aborted) {
        try {
          const headers: Record<string, string> = { ...authHeaders(), accept: 'text/event-stream' };
          if (lastId) headers['last-event-id'] = lastId;
          const res = await fetch(path, { headers, signal: abort.signal });
          if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
          delay = 500;
          opened.current?.();
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          const parser = new EventStreamParser();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            for (const e of parser.push(value)) {
              if (e.id) lastId = e.id;
              handler.current(e);
            }
          }
        } catch {
          if (abort.signal.aborted) return;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 10_000);
      }
    };
    void run();
    return () => abort.abort();
  }, [path, since]);
}
