// One fetch wrapper for every page: the key rides in the Authorization header (never in a URL),
// errors arrive as RFC 9457 problem+json and become ApiError with the server's own words.

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: { field?: string; message: string }[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
  get status(): number {
    return this.problem.status;
  }
}

export type KeySource = () => string | null;

let keySource: KeySource = () => null;
let onUnauthorised: () => void = () => undefined;

/** Wired once by the session provider. */
export function configureClient(source: KeySource, unauthorised: () => void): void {
  keySource = source;
  onUnauthorised = unauthorised;
}

export function authHeaders(key = keySource()): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

async function problemOf(res: Response): Promise<Problem> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      return { status: res.status, ...((await res.json()) as Partial<Problem>) };
    } catch {
      // fall through to the status line
    }
  }
  return { status: res.status, title: res.statusText || `HTTP ${res.status}` };
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  for (const [k, v] of Object.entries(authHeaders())) headers.set(k, v);
  if (init.body !== undefined && typeof init.body === 'string') {
    headers.set('content-type', 'application/json');
  }
  const res = await fetch(path, { ...init, headers });
  if (!res.ok) {
    const problem = await problemOf(res);
    if (res.status === 401) onUnauthorised();
    throw new ApiError(problem);
  }
  return res;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await request(path, { signal });
  return (await res.json()) as T;
}

export async function postJson<T>(path: string, body?: unknown): Promise<T> {
  const res = await request(path, {
    method: 'POST',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Builds a query string from the defined values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
