import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../platform/auth/projects.service';
import { ValidationError } from '../platform/errors/domain-error';
import { encodeFloat32Rows, FLOAT32_ROWS } from './core/binary-rows';
import { prefersRows } from './core/accept-rows';
import { mediaTypeOf } from './core/media-type';
import { predictBody, type PredictBody } from './deployments.schema';
import {
  arrivalOf,
  epochNow,
  TRACE_HEADER,
  traceHeaderValue,
  traceOf,
  type ServerStamps,
} from './request-trace';
import type {
  DeploymentsService,
  RowPrediction,
  ServePrediction,
  ServeRowsPrediction,
} from './deployments.service';

/** A predict body: JSON `{instance, deadlineMs?}`, or binary float32 rows (a Buffer). */
export type PredictInput = { json: PredictBody } | { rows: Buffer };

/**
 * JSON bodies are validated by their schema; binary ones are decoded by the service (an empty
 * binary body too, so that it is the same 400 naming the row size).
 */
export function predictInput(req: IncomingMessage, body: unknown): PredictInput {
  if (Buffer.isBuffer(body)) return { rows: body };
  if (mediaTypeOf(req.headers['content-type']) === FLOAT32_ROWS) return { rows: Buffer.alloc(0) };
  return { json: predictBody.parse(body, '') };
}

/**
 * Runs a predict and sends its answer: JSON unless the client prefers
 * `application/octet-stream`, then the output rows as little-endian float32 with the per-row
 * figures in headers (comma-separated, one per row). It writes the response itself, with plain
 * node:http calls (Nest would serialise a Buffer as JSON, and the data-plane route has no
 * Express methods on its requests: serving/data-plane.ts); errors are thrown to the caller.
 */
export async function sendPrediction(
  deployments: DeploymentsService,
  principal: Principal,
  ref: string,
  body: unknown,
  deadlineQuery: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // Opt-in timeline (request-trace.ts): undefined unless tracing is on and the client asked.
  const trace = traceOf(req);
  if (trace) trace.handler = epochNow();
  // Every predict's stamps, for the meter's on-path loop time (request-path-meter.ts `path`):
  // a traced request's are its trace's.
  const stamps: ServerStamps = trace ?? { arrived: arrivalOf(req) ?? Number.NaN };
  const binaryAnswer = prefersRows(req.headers.accept);
  let answer: ServePrediction | ServeRowsPrediction;
  let items: readonly RowPrediction[];
  const input = predictInput(req, body);
  if ('json' in input) {
    const one = await deployments.predict(principal, ref, input.json, stamps);
    answer = one;
    items = [one];
  } else {
    const deadline = deadlineMs(deadlineQuery);
    const rows = await deployments.predictRows(principal, ref, input.rows, deadline, stamps);
    answer = rows;
    items = rows.items;
  }
  if (res.headersSent) return;
  stamps.resolved = epochNow();
  // Stamped before the answer is built, so "sent" includes no header of its own.
  stamps.sent = epochNow();
  if (trace) res.setHeader(TRACE_HEADER, traceHeaderValue(trace));
  deployments.servedPath({
    arrived: stamps.arrived,
    enqueued: stamps.enqueued ?? Number.NaN,
    resolved: stamps.resolved,
    written: stamps.sent,
    rows: items,
  });
  res.statusCode = 200;
  if (binaryAnswer) sendRows(res, items);
  else send(res, 'application/json; charset=utf-8', Buffer.from(JSON.stringify(answer)));
}

function send(res: ServerResponse, type: string, body: Buffer): void {
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

function deadlineMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0 || v > 600_000) {
    throw ValidationError.field('deadlineMs', `must be a number of ms in 0..600000, got "${text}"`);
  }
  return v;
}

function sendRows(res: ServerResponse, items: readonly RowPrediction[]): void {
  const list = (f: (r: RowPrediction) => number | string) => items.map(f).join(',');
  res.setHeader('X-Rows', String(items.length));
  res.setHeader('X-Output-Size', String(items[0]?.output.length ?? 0));
  res.setHeader(
    'X-Class-Index',
    list((r) => r.prediction.classIndex),
  );
  res.setHeader(
    'X-Queue-Ms',
    list((r) => r.queueMs.toFixed(3)),
  );
  res.setHeader(
    'X-Service-Ms',
    list((r) => r.serviceMs.toFixed(3)),
  );
  res.setHeader(
    'X-Batch-Size',
    list((r) => r.batchSize),
  );
  const bytes = encodeFloat32Rows(items.map((r) => r.output));
  send(res, FLOAT32_ROWS, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
}
