import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_DEFAULTS } from '../platform/config/config';

/** A CLI error: printed as `error: ...` with exit code 1, never a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

export interface ClientOptions {
  url?: string;
  apiKey?: string;
}

/** The API key: --api-key, AUTODL_API_KEY, or the admin key the service wrote on first start. */
export function resolveApiKey(given?: string): string {
  const key = given ?? process.env.AUTODL_API_KEY;
  if (key) return key.trim();
  const file = path.join(
    path.resolve(process.env.AUTODL_HOME ?? CONFIG_DEFAULTS.AUTODL_HOME),
    'admin.key',
  );
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  throw new CliError(
    'no API key: pass --api-key, set AUTODL_API_KEY, or run `autodl keys create --offline --project NAME`',
  );
}

/** Thin REST client for the CLI; problem+json errors become CliErrors naming the fields. */
export class ApiClient {
  readonly baseUrl: string;
  private readonly key: string;

  constructor(options: ClientOptions = {}) {
    this.baseUrl = (
      options.url ??
      process.env.AUTODL_URL ??
      `http://127.0.0.1:${process.env.PORT ?? 3000}`
    ).replace(/\/$/, '');
    this.key = resolveApiKey(options.apiKey);
  }

  get<T>(route: string): Promise<T> {
    return this.request<T>('GET', route);
  }

  post<T>(route: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    return this.request<T>('POST', route, body, headers);
  }

  async request<T>(
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    let res: globalThis.Response;
    try {
      res = await fetch(this.baseUrl + route, {
        method,
        headers: {
          authorization: `Bearer ${this.key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw new CliError(
        `cannot reach the service at ${this.baseUrl} (${(e as Error).message}); start it with \`autodl serve\` or set AUTODL_URL`,
      );
    }
    const text = await res.text();
    const parsed: unknown =
      text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text;
    if (!res.ok) {
      const p = parsed as { detail?: string; errors?: { field: string; message: string }[] };
      throw new CliError(
        `${res.status} ${p?.detail ?? res.statusText}`,
        (p?.errors ?? []).map((e) => `${e.field}: ${e.message}`),
      );
    }
    return parsed as T;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A data set or model given by id or by name (names are unique per project). */
export async function resolveId(
  api: ApiClient,
  what: 'datasets' | 'models',
  ref: string,
): Promise<string> {
  if (UUID.test(ref)) return ref;
  const page = await api.get<{ items: { id: string; name: string }[] }>(`/v1/${what}?limit=500`);
  const hit = page.items.find((i) => i.name === ref);
  if (!hit) {
    throw new CliError(
      `no ${what === 'datasets' ? 'data set' : 'model'} named ${ref} in this project`,
    );
  }
  return hit.id;
}
