import { ValidationError } from '../../platform/errors/domain-error';
import type { DropReason } from './batcher';

/**
 * A request a deployment did not serve: shed because the queue was full, dropped when its queue
 * timeout or deadline passed before inference, or refused because the deployment is stopping.
 * `retryAfterS`: when a client should try again (the REST layer sends it as Retry-After).
 */
export class RequestDroppedError extends Error {
  constructor(
    readonly reason: DropReason,
    readonly retryAfterS: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shed at arrival: `queue.capacity` requests were already waiting (REST: 429). */
export class QueueFullError extends RequestDroppedError {
  constructor(capacity: number, retryAfterS: number) {
    super('queue_full', retryAfterS, `the deployment's queue is full (${capacity} waiting)`);
  }
}

/** Dropped before inference: the queue timeout or the request's deadline passed (REST: 503). */
export class RequestTimeoutError extends RequestDroppedError {
  constructor(reason: 'timeout' | 'deadline', waitedMs: number, retryAfterS: number) {
    super(
      reason,
      retryAfterS,
      reason === 'timeout'
        ? `the request waited ${waitedMs.toFixed(1)} ms, the queue timeout, and was dropped before inference`
        : `the request's deadline passed after ${waitedMs.toFixed(1)} ms in the queue; dropped before inference`,
    );
  }
}

/** The deployment is stopping or stopped (REST: 503). */
export class DeploymentStoppedError extends RequestDroppedError {
  constructor(retryAfterS: number) {
    super('stopped', retryAfterS, 'the deployment is stopping');
  }
}

/** The input does not have the model's shape (REST: 400 naming it). */
export class InputShapeError extends ValidationError {
  constructor(field: string, expected: readonly number[], got: string) {
    super(
      `${field}: the model takes one sample of shape [${expected.join(', ')}] (${expected.reduce((a, d) => a * d, 1)} values), got ${got}`,
      [{ field, message: `must have shape [${expected.join(', ')}], got ${got}` }],
    );
  }
}

/** Flattens one sample (a flat array or nested rows) and checks it against the input shape. */
export function flattenSample(
  input: Float32Array | readonly number[] | readonly (readonly number[])[] | readonly unknown[],
  shape: readonly number[],
  field = 'input',
): Float32Array {
  const size = shape.reduce((a, d) => a * d, 1);
  if (input instanceof Float32Array) {
    if (input.length !== size) throw new InputShapeError(field, shape, `${input.length} values`);
    return input;
  }
  // A flat row (what clients mostly send) is read as is; nested rows are flattened first.
  const flat = (input as unknown[]).some(Array.isArray)
    ? (input as unknown[]).flat(Infinity)
    : (input as unknown[]);
  if (flat.length !== size) throw new InputShapeError(field, shape, `${flat.length} values`);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const v = flat[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InputShapeError(
        field,
        shape,
        `a non-finite or non-number value at flat index ${i}`,
      );
    }
    out[i] = v;
  }
  return out;
}
