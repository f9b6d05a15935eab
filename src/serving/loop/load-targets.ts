import * as http from 'node:http';
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
  /**
   * The agent gave the request its socket ('socket' event), and whether that socket had carried
   * an earlier request (a kept-alive one) or was opened for this one (node:http only).
   */
  socketAt?: number;
  reusedSocket?: boolean;
  /** The request's bytes were handed to the kernel ('finish' event; node:http only). */
  flushed?: number;
  /** The answer's headers were read. */
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

/**
 * The generator's connections: keep-alive sockets, as many as requests in flight (an open-loop
 * generator must not queue a request behind a slow one), Nagle off. node:http rather than
 * fetch(): fetch builds a WHATWG Request, Headers, a body stream and an AbortSignal timer per
 * request, about 0.7 ms of CPU per request on this project's 2-core host, as much as the API's
 * event loop spends on the request; the generator shares the host's cores with the server it
 * measures, so its CPU and its GC pauses are in the measured latency (docs/serving.md, "The
 * generator's share").
 */
const agents = new Map<string, http.Agent>();
function agentFor(origin: string): http.Agent {
  let a = agents.get(origin);
  if (!a) {
    a = new http.Agent({ keepAlive: true, maxSockets: Infinity, keepAliveMsecs: 1000 });
    agents.set(origin, a);
  }
  return a;
}

/** One answer: status, a header by (lower-case) name, the body. */
interface Answer {
  status: number;
  header(name: string): string | undefined;
  body: Buffer;
  /** The answer's headers were read (epoch ms). */
  headersAt: number;
  /** The request's socket assigned / bytes handed to the kernel (epoch ms, 0 unstamped). */
  socketAt: number;
  reusedSocket: boolean;
  flushed: number;
}

/** POST over node:http (https over fetch); rejects on a network failure, `TimeoutError` on timeout. */
function post(
  url: URL,
  payload: Buffer,
  headers: Record<string, string>,
  timeoutMs: number,
  stamp: boolean,
): Promise<Answer> {
  if (url.protocol !== 'http:') return postFetch(url, payload, headers, timeoutMs, stamp);
  return new Promise<Answer>((resolve, reject) => {
    let socketAt = 0;
    let reusedSocket = false;
    let flushed = 0;
    const req = http.request(
      {
        agent: agentFor(url.origin),
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'POST',
        headers: { ...headers, 'content-length': String(payload.length) },
      },
      (res) => {
        const headersAt = stamp ? epochNow() : 0;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            header: (name) => {
              const v = res.headers[name];
              return Array.isArray(v) ? v.join(', ') : v;
            },
            body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
            headersAt,
            socketAt,
            reusedSocket,
            flushed,
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => {
      const e = new Error('request timed out');
      e.name = 'TimeoutError';
      req.destroy(e);
    });
    req.on('error', reject);
    if (stamp) {
      req.once('socket', () => {
        socketAt = epochNow();
        reusedSocket = req.reusedSocket;
      });
      req.once('finish', () => (flushed = epochNow()));
    }
    req.end(payload);
  });
}

async function postFetch(
  url: URL,
  payload: Buffer,
  headers: Record<string, string>,
  timeoutMs: number,
  stamp: boolean,
): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers,
    // A view on an ArrayBuffer (not ArrayBufferLike): what fetch's BodyInit takes under the DOM
    // lib too (the browser tests' tsconfig type-checks this file).
    body: new Uint8Array(payload.buffer as ArrayBuffer, payload.byteOffset, payload.byteLength),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const headersAt = stamp ? epochNow() : 0;
  const body = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    header: (n) => res.headers.get(n) ?? undefined,
    body,
    headersAt,
    socketAt: 0,
    reusedSocket: false,
    flushed: 0,
  };
}

function postTarget(
  url: string,
  payload: string | Uint8Array<ArrayBuffer>,
  contentType: string,
  accept: string,
  opts: HttpTargetOptions,
): LoadTarget {
  const target = new URL(url);
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  const headers = { 'content-type': contentType, accept, ...opts.headers };
  const traced = { ...headers, [TRACE_HEADER]: '1' };
  const every = Math.max(1, Math.round(opts.traceEvery ?? 1));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return {
    send: async (i): Promise<LoadOutcome> => {
      const trace = opts.onTrace !== undefined && i % every === 0;
      const sent = trace ? epochNow() : 0;
      try {
        const res = await post(target, bytes, trace ? traced : headers, timeoutMs, trace);
        const ok = res.status >= 200 && res.status < 300;
        if (trace && ok && opts.onTrace) {
          const server = res.header(TRACE_HEADER);
          opts.onTrace(i, {
            sent,
            ...(res.socketAt > 0
              ? { socketAt: res.socketAt, reusedSocket: res.reusedSocket, flushed: res.flushed }
              : {}),
            headers: res.headersAt,
            received: epochNow(),
            ...(server ? { server: parseTraceHeader(server) } : {}),
          });
        }
        if (ok && opts.onServed) opts.onServed(i, figures(res));
        return ok ? 'ok' : String(res.status);
      } catch (e) {
        return e instanceof Error && e.name === 'TimeoutError' ? 'timeout' : 'error';
      }
    },
  };
}

/** The first row's figures: from the X-* headers of a binary answer, else the JSON body. */
function figures(res: Answer): ServedFigures {
  const first = (name: string) => Number((res.header(name) ?? '').split(',')[0]);
  if (res.header('x-queue-ms') !== undefined) {
    return {
      queueMs: first('x-queue-ms'),
      serviceMs: first('x-service-ms'),
      batchSize: first('x-batch-size'),
    };
  }
  const body = JSON.parse(res.body.toString('utf8')) as Partial<ServedFigures> & {
    items?: ServedFigures[];
  };
  const r = body.items?.[0] ?? body;
  return {
    queueMs: Number(r.queueMs),
    serviceMs: Number(r.serviceMs),
    batchSize: Number(r.batchSize),
  };
}
