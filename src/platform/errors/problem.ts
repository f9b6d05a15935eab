import { DomainError, FieldProblem } from './domain-error';

/** RFC 9457 problem details, as every error response of the API carries them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: FieldProblem[];
}

const STATUS_BY_KIND: Record<DomainError['kind'], number> = {
  validation: 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unprocessable: 422,
  unavailable: 503,
  'insufficient-storage': 507,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

export function problemType(status: number): string {
  return `urn:autodl:problem:${(TITLES[status] ?? 'error').toLowerCase().replace(/\s+/g, '-')}`;
}

export function problem(status: number, detail: string, errors?: FieldProblem[]): Problem {
  return {
    type: problemType(status),
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function problemFromDomainError(error: DomainError): Problem {
  const errors = 'problems' in error ? (error as { problems: FieldProblem[] }).problems : undefined;
  return problem(STATUS_BY_KIND[error.kind], error.message, errors);
}

/** body-parser / raw-body errors carry a `type` and a 4xx `status`. */
export function problemFromBodyParserError(error: unknown): Problem | null {
  if (typeof error !== 'object' || error === null) return null;
  const { type, status } = error as { type?: unknown; status?: unknown };
  if (typeof type !== 'string' || typeof status !== 'number' || status < 400 || status >= 500)
    return null;
  const details: Record<string, string> = {
    'entity.parse.failed': 'the request body is not valid JSON',
    'entity.too.large': 'the request body is larger than the configured limit (AUTODL_BODY_LIMIT)',
    'encoding.unsupported': 'unsupported content encoding',
    'charset.unsupported': 'unsupported charset; send UTF-8',
    'request.aborted': 'the request was aborted',
    'request.size.invalid': 'the request body size does not match Content-Length',
  };
  return problem(status, details[type] ?? `malformed request (${type})`);
}
