import * as path from 'node:path';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';

/** Paths the API owns; the console never answers them. */
const API_PATHS = ['/v1', '/docs', '/docs-json', '/healthz', '/readyz', '/metrics'];

function isApiPath(p: string): boolean {
  return API_PATHS.some((prefix) => p === prefix || p.startsWith(`${prefix}/`));
}

/**
 * The web console at `/`. With a built console (`consoleDir`, see AUTODL_CONSOLE_DIR): its files,
 * and its index.html for any other page a browser navigates to, so that the single-page app's
 * own routes (`/studies/<id>`) survive a reload. The fallback follows the rules of
 * connect-history-api-fallback: GET or HEAD, `Accept` naming text/html, no file extension in the
 * last segment. Without a console: `/` redirects to the Swagger console at `/docs`.
 */
export function consoleMiddleware(consoleDir: string | null): RequestHandler {
  if (consoleDir === null) {
    return (req: Request, res: Response, next: NextFunction) => {
      if ((req.method === 'GET' || req.method === 'HEAD') && req.path === '/')
        return res.redirect(302, '/docs');
      next();
    };
  }
  const files = express.static(consoleDir, { index: false, redirect: false });
  const sendIndex = (res: Response, next: NextFunction) => {
    // index.html names the hashed bundles of the current build: never serve a stale one.
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile('index.html', { root: consoleDir }, (error?: Error) => error && next(error));
  };
  return (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isApiPath(req.path)) return next();
    if (req.path === '/') return sendIndex(res, next);
    files(req, res, (error?: unknown) => {
      if (error) return next(error);
      const page =
        path.posix.extname(req.path) === '' && /text\/html/.test(req.get('accept') ?? '');
      return page ? sendIndex(res, next) : next();
    });
  };
}
