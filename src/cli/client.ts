import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_DEFAULTS } from '../platform/config/app-config';

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

/** An RFC 9457 problem+json body as the service sends it (errors: ValidationError's fields). */
interface ProblemBody {
  detail?: string;
  errors?: { field: string; message: string }[];
}

/**
 * The one place an HTTP error answer becomes a CLI error: `<status> <detail>` (the status text
 * when the body is no problem+json), with one detail line per invalid field.
 */
export function problemError(res: globalThis.Response, body: unknown): CliError {
  const p = (typeof body === 'object' && body !== null ? body : {}) as ProblemBody;
  return new CliError(
    `${res.status} ${p.detail ?? res.statusText}`,
    (p.errors ?? []).map((e) => `${e.field}: ${e.message}`),
  );
}

/** The body of an answer: parsed JSON when it says so, else its text. */
async function readBody(res: globalThis.Response): Promise<unknown> {
  const text = await res.text();
  return text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text;
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
    const res = await this.send(
      route,
      {
        method,
        headers: {
          authorization: `Bearer ${this.key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      },
      '; start it with `autodl serve` or set AUTODL_URL',
    );
    const parsed = await readBody(res);
    if (!res.ok) throw problemError(res, parsed);
    return parsed as T;
  }

  /** A POST of raw bytes (e.g. a binary predict body); answers and errors as `request`. */
  async postBytes<T>(route: string, bytes: Uint8Array, contentType: string): Promise<T> {
    const res = await this.send(route, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.key}`, 'content-type': contentType },
      body: bytes,
    });
    const parsed = await readBody(res);
    if (!res.ok) throw problemError(res, parsed);
    return parsed as T;
  }

  /** A multipart/form-data POST (uploads); answers and errors as `request`. */
  async postForm<T>(route: string, form: FormData): Promise<T> {
    const res = await this.send(route, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.key}` },
      body: form,
    });
    const parsed = await readBody(res);
    if (!res.ok) throw problemError(res, parsed);
    return parsed as T;
  }

  /** fetch, with an unreachable service as a CliError (`hint` follows the reason). */
  private async send(route: string, init: RequestInit, hint = ''): Promise<globalThis.Response> {
    try {
      return await fetch(this.baseUrl + route, init);
    } catch (e) {
      throw new CliError(
        `cannot reach the service at ${this.baseUrl} (${(e as Error).message})${hint}`,
      );
    }
  }

  /**
   * Streams `route` into `target` (written under a temporary name, renamed when complete),
   * reporting the bytes received and the announced length. Returns the bytes written.
   */
  async download(
    route: string,
    target: string,
    onBytes: (received: number, total: number | null) => void = () => undefined,
  ): Promise<number> {
    const res = await this.send(route, { headers: { authorization: `Bearer ${this.key}` } });
    if (!res.ok || !res.body) throw problemError(res, await readBody(res));
    const length = Number(res.headers.get('content-length'));
    const total = Number.isFinite(length) && length > 0 ? length : null;
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.part`;
    const out = fs.createWriteStream(tmp);
    let received = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        received += chunk.length;
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        onBytes(received, total);
      }
      await new Promise<void>((resolve, reject) =>
        out.end((e?: Error | null) => (e ? reject(e) : resolve())),
      );
    } catch (e) {
      out.destroy();
      await fs.promises.rm(tmp, { force: true });
      throw new CliError(`download of ${route} failed: ${(e as Error).message}`);
    }
    await fs.promises.rename(tmp, target);
    return received;
  }
}

/** `dir/name` for a server-given name (may hold `/`), refusing anything that leaves `dir`. */
export function fileUnder(dir: string, name: string): string {
  const root = path.resolve(dir);
  const target = path.resolve(root, name);
  if (!target.startsWith(root + path.sep))
    throw new CliError(`refusing to write ${name} outside ${dir}`);
  return target;
}

/**
 * A model or data set reference (its id or its name) as a URL path segment: the service
 * resolves it (one rule for the CLI and the API), so the CLI passes names straight through.
 */
export function refPath(what: 'datasets' | 'models', ref: string): string {
  return `/v1/${what}/${encodeURIComponent(ref)}`;
}
