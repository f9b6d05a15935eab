import type { NextFunction, Request, Response } from 'express';
import { problem, type Problem } from '../errors/problem';
import type { FieldProblem } from '../errors/domain-error';
import { findUnsafeInput, invalidTextReason } from '../validation/untrusted-input';

/**
 * The first unsafe string, key or nesting of the URL path, the query and a parsed JSON body (a
 * binary body is bytes for its route to decode, not text or keys).
 */
export function findUnsafeRequestInput(req: Request): FieldProblem | null {
  return findUnsafeInputOf(req.originalUrl ?? req.url, req.query as unknown, req.body as unknown);
}

/** The same check on a request's URL (path and query string), parsed query and parsed body. */
export function findUnsafeInputOf(url: string, query: unknown, body: unknown): FieldProblem | null {
  const rawPath = url.split('?')[0];
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // Malformed percent-encoding is the router's 400; only look for an encoded NUL here.
    path = rawPath.replace(/%00/gi, '\0');
  }
  const pathReason = invalidTextReason(path);
  if (pathReason !== undefined) return { field: 'path', message: pathReason };
  return (
    findUnsafeInput(query, '') ??
    (body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body)
      ? findUnsafeInput(body, '')
      : null)
  );
}

/**
 * Express middleware, after the JSON body parser and before routing: a request carrying a NUL
 * byte, an unpaired surrogate, a reserved key (`__proto__`, `constructor`, `prototype`) or
 * nesting deeper than 64 levels is a 400 naming the field (src/platform/validation/untrusted-input.ts).
 * Multipart form fields are checked by the multipart interceptor once multer has read them.
 */
export function inputGuard() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const found = findUnsafeRequestInput(req);
    if (found === null) return next();
    const body = unsafeInputProblem(found);
    body.instance = (req.originalUrl ?? req.url).split('?')[0];
    res.status(400).type('application/problem+json').send(JSON.stringify(body));
  };
}

/** The 400 an unsafe input answers with, naming the field. */
export function unsafeInputProblem(found: FieldProblem): Problem {
  return problem(400, `${found.field}: ${found.message}`, [found]);
}
