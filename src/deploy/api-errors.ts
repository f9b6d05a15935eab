import { ApiException } from '@kubernetes/client-node';

/** The Status message of a Kubernetes API error, else the error text. */
export function describeError(err: unknown): string {
  if (err instanceof ApiException) {
    let body: unknown = err.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body) as unknown;
      } catch {
        return `HTTP ${err.code}: ${body}`;
      }
    }
    if (
      typeof body === 'object' &&
      body !== null &&
      typeof (body as { message?: unknown }).message === 'string'
    ) {
      return `HTTP ${err.code}: ${(body as { message: string }).message}`;
    }
    return `HTTP ${err.code}: ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The HTTP status of a Kubernetes API error, 0 for anything else. */
export function apiStatus(err: unknown): number {
  return err instanceof ApiException ? err.code : 0;
}
