import { LoadOutcome, LoadTarget } from '../core/open-loop';
import { RequestDroppedError } from '../core/serving-errors';
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

/**
 * Requests over HTTP: POST `body` (JSON) to `url`; a 2xx is ok, any other answer is labelled by
 * its status code, a network failure `error`, and no answer within `timeoutMs` `timeout`.
 */
export function httpTarget(
  url: string,
  body: unknown,
  opts: { headers?: Record<string, string>; timeoutMs?: number } = {},
): LoadTarget {
  const payload = JSON.stringify(body);
  const headers = { 'content-type': 'application/json', ...opts.headers };
  return {
    send: async (): Promise<LoadOutcome> => {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers,
          body: payload,
          signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
        });
        await res.arrayBuffer();
        return res.ok ? 'ok' : String(res.status);
      } catch (e) {
        return e instanceof Error && e.name === 'TimeoutError' ? 'timeout' : 'error';
      }
    },
  };
}
