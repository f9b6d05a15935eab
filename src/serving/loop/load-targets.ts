import { encodeFloat32Rows, FLOAT32_ROWS } from '../core/binary-rows';
import { LoadOutcome, LoadTarget } from '../core/open-loop';
import { RequestDroppedError } from '../core/serving-errors';
import { epochNow, parseTraceHeader, TRACE_HEADER, type ServerTrace } from '../request-trace';
import type { DeploymentRuntime, PredictResult } from '../runtime/deployment-runtime';

/**
 * Requests to a DeploymentRuntime in this process: a drop is labelled by its reason
 * (`queue_full`, `timeout`, `deadline`, `stopped`), any other failure `error`. `onServed` sees
 * every result (e.g. to split latency into queue and service).
 */
export function runtimeTarget(
  rt: DeploymentRuntime,
  sample: Float32Array,
  opts: { deadlineMs?: number; onServed?: (index: number, r: PredictResult) => void } = {},
): LoadTarget {
  return {
    send: (i) =>
      rt.predict(sample, { deadlineMs: opts.deadlineMs }).then(
        (r): LoadOutcome => {
          opts.onServed?.(i, r);
          return 'ok';
        },
        (e: unknown): LoadOutcome => (e instanceof RequestDroppedError ? e.reason : 'error'),
      ),
  };
}

/** What a served request's answer says about where its time went (the runtime's own figures). */
export interface ServedFigures {
  queueMs: number;
  serviceMs: number;
  batchSize: number;
}

export interface HttpTargetOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Sees the runtime's figures of every 2xx answer (JSON fields or X-* headers). */
  onServed?: (index: number, r: ServedFigures) => void;
  /**
   * Traces every `traceEvery`-th request (default 1 when `onTrace` is set): it carries the
   * X-Autodl-Trace header, and `onTrace` gets the client's stamps with the server's (when the API
   * runs with AUTODL_SERVING_TRACE=1; src/serving/request-trace.ts).
   */
  onTrace?: (index: number, t: ClientTrace) => void;
  traceEvery?: number;
}

/** One traced request: the client's wall-clock stamps (epoch ms) and the server's header. */
export interface ClientTrace {
  /** send() was called (the generator's timer fired and reached this request). */
  sent: number;
  /** fetch() resolved: the answer's headers were read. */
  headers: number;
  /** The answer's body was read. */
  received: number;
  /** The server's stamps, absent when it does not trace. */
  server?: ServerTrace;
}

/**
 * Requests over HTTP: POST `body` (JSON) to `url`; a 2xx is ok, any other answer is labelled by
 * its status code, a network failure `error`, and no answer within `timeoutMs` `timeout`.
 */
export function httpTarget(url: string, body: unknown, opts: HttpTargetOptions = {}): LoadTarget {
  return postTarget(url, JSON.stringify(body), 'application/json', 'application/json', opts);
}

/**
 * Requests over HTTP with a binary body: `rows` as little-endian float32 (one or more rows of
 * the model's input size), answered in binary too (`Accept: application/octet-stream`), so
 * neither side encodes or parses a number as text.
 */
export function httpRowsTarget(
  url: string,
  rows: Float32Array,
  opts: HttpTargetOptions = {},
): LoadTarget {
  return postTarget(url, encodeFloat32Rows([rows]), FLOAT32_ROWS, FLOAT32_ROWS, opts);
}

function postTarget(
  url: string,
  payload: string | Uint8Array<ArrayBuffer>,
  contentType: string,
  accept: string,
  opts: HttpTargetOptions,
): LoadTarget {
  const headers = { 'content-type': contentType, accept, ...opts.headers };
  const traced = { ...headers, [TRACE_HEADER]: '1' };
  const every = Math.max(1, Math.round(opts.traceEvery ?? 1));
  return {
    send: async (i): Promise<LoadOutcome> => {
      const trace = opts.onTrace && i % every === 0;
      const sent = trace ? epochNow() : 0;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: trace ? traced : headers,
          body: payload,
          signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
        });
        const headersAt = trace ? epochNow() : 0;
        const answer = await res.arrayBuffer();
        if (trace && res.ok && opts.onTrace) {
          const server = res.headers.get(TRACE_HEADER);
          opts.onTrace(i, {
            sent,
            headers: headersAt,
            received: epochNow(),
            ...(server ? { server: parseTraceHeader(server) } : {}),
          });
        }
        if (res.ok && opts.onServed) opts.onServed(i, figures(res, answer));
        return res.ok ? 'ok' : String(res.status);
      } catch (e) {
        return e instanceof Error && e.name === 'TimeoutError' ? 'timeout' : 'error';
      }
    },
  };
}

/** The first row's figures: from the X-* headers of a binary answer, else the JSON body. */
function figures(res: Response, answer: ArrayBuffer): ServedFigures {
  const first = (name: string) => Number((res.headers.get(name) ?? '').split(',')[0]);
  if (res.headers.get('x-queue-ms') !== null) {
    return {
      queueMs: first('x-queue-ms'),
      serviceMs: first('x-service-ms'),
      batchSize: first('x-batch-size'),
    };
  }
  const body = JSON.parse(new TextDecoder().decode(answer)) as Partial<ServedFigures> & {
    items?: ServedFigures[];
  };
  const r = body.items?.[0] ?? body;
  return {
    queueMs: Number(r.queueMs),
    serviceMs: Number(r.serviceMs),
    batchSize: Number(r.batchSize),
  };
}
