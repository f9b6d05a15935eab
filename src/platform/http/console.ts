import * as fs from 'node:fs';
import * as path from 'node:path';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';

/** Paths the API owns; the console never answers them. */
const API_PATHS = ['/v1', '/docs', '/docs-json', '/healthz', '/readyz', '/metrics'];

/** Vite names every file under assets/ by its content hash: a URL never changes its bytes. */
const HASHED = /^\/assets\//;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The compressed copies the console build writes beside each asset (console/vite.config.mts). */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

function isApiPath(p: string): boolean {
  return API_PATHS.some((prefix) => p === prefix || p.startsWith(`${prefix}/`));
}

/**
 * The web console at `/`. With a built console (`consoleDir`, see AUTODL_CONSOLE_DIR): its files,
 * and its index.html for any other page a browser navigates to, so that the single-page app's
 * own routes (`/studies/<id>`) survive a reload. The fallback follows the rules of
 * connect-history-api-fallback: GET or HEAD, `Accept` naming text/html, no file extension in the
 * last segment. Without a console: `/` redirects to the Swagger console at `/docs`.
 *
 * Hashed assets are cached for a year, and sent as the build's brotli or gzip copy when the
 * browser accepts one (compressed once at build time: no CPU per request, and no compression
 * middleware that could buffer the API's event streams).
 */
export function consoleMiddleware(consoleDir: string | null): RequestHandler {
  if (consoleDir === null) {
    return (req: Request, res: Response, next: NextFunction) => {
      if ((req.method === 'GET' || req.method === 'HEAD') && req.path === '/')
        return res.redirect(302, '/docs');
      next();
    };
  }
  const files = express.static(consoleDir, {
    index: false,
    redirect: false,
    setHeaders: (res, file) => {
      if (HASHED.test(`/${path.relative(consoleDir, file).split(path.sep).join('/')}`))
        res.setHeader('Cache-Control', IMMUTABLE);
    },
  });
  const sendIndex = (res: Response, next: NextFunction) => {
    // index.html names the hashed bundles of the current build: never serve a stale one.
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile('index.html', { root: consoleDir }, (error?: Error) => error && next(error));
  };
  const plain = (req: Request, res: Response, next: NextFunction) =>
    files(req, res, (error?: unknown) => {
      if (error) return next(error);
      const page =
        path.posix.extname(req.path) === '' && /text\/html/.test(req.get('accept') ?? '');
      return page ? sendIndex(res, next) : next();
    });
  return (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isApiPath(req.path)) return next();
    if (req.path === '/') return sendIndex(res, next);
    if (!HASHED.test(req.path)) return plain(req, res, next);
    const encoding = precompressed(consoleDir, req);
    if (!encoding) return plain(req, res, next);
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('Content-Encoding', encoding.name);
    res.setHeader('Cache-Control', IMMUTABLE);
    res.type(path.posix.extname(req.path));
    res.sendFile(
      decodeURIComponent(req.path).slice(1) + encoding.suffix,
      { root: consoleDir, cacheControl: false },
      (error?: Error) => error && next(error),
    );
  };
}

/** The best compressed copy of the asset that the request accepts and the build wrote, if any. */
function precompressed(consoleDir: string, req: Request): (typeof ENCODINGS)[number] | undefined {
  let relative: string;
  try {
    relative = decodeURIComponent(req.path);
  } catch {
    return undefined;
  }
  const file = path.join(consoleDir, relative);
  // Only plain names below the console folder (no `..`, no NUL): anything else is express.static's.
  if (relative.includes('\0') || !file.startsWith(consoleDir + path.sep)) return undefined;
  const accepted = acceptedEncodings(req.get('accept-encoding') ?? '');
  return ENCODINGS.find((e) => accepted.has(e.name) && fs.existsSync(file + e.suffix));
}

/**
 * The codings of an Accept-Encoding header with a non-zero q (RFC 9110 12.5.3). Ours are tried
 * in our order (brotli is smaller), not the header's: browsers list gzip first at equal q.
 */
export function acceptedEncodings(header: string): Set<string> {
  const out = new Set<string>();
  let star = false;
  const refused = new Set<string>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => /^\s*q\s*=\s*([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
    const zero = q !== undefined && Number(q) === 0;
    if (name === '*') star = !zero;
    else if (zero) refused.add(name);
    else out.add(name);
  }
  if (star) for (const e of ENCODINGS) if (!refused.has(e.name)) out.add(e.name);
  return out;
}
