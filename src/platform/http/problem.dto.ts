import { applyDecorators } from '@nestjs/common';
import {
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
  type ResponseObject,
  ApiExtraModels,
} from '@nestjs/swagger';
import { problem } from '../errors/problem';

export class FieldProblemDto {
  @ApiProperty({ example: 'spec.steps' })
  field!: string;

  @ApiProperty({ example: 'must be >= 0, got -1' })
  message!: string;
}

/** RFC 9457 problem details: the body of every error response. */
export class ProblemDto {
  @ApiProperty({ example: 'urn:autodl:problem:bad-request' })
  type!: string;

  @ApiProperty({ example: 'Bad Request' })
  title!: string;

  @ApiProperty({ example: 400 })
  status!: number;

  @ApiProperty({ example: 'spec.steps: must be >= 0, got -1' })
  detail!: string;

  @ApiPropertyOptional({ example: '/v1/jobs' })
  instance?: string;

  @ApiPropertyOptional({ example: 'b1f0c1e2-4c1d-4a57-9a40-1c2f0f3f7d11' })
  requestId?: string;

  @ApiPropertyOptional({ type: [FieldProblemDto] })
  errors?: FieldProblemDto[];
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request: invalid JSON, unknown or missing fields, wrong types (fields named in `errors`)',
  401: 'Missing or invalid API key',
  403: 'Not allowed for this API key',
  404: 'No such resource in this project',
  409: 'Conflicts with the current state',
  413: 'Request body too large',
  415: 'The request body is not in a media type this route accepts',
  422: 'Well-formed but unusable input',
  503: 'A dependency is unavailable (e.g. the database); retry after `Retry-After` seconds',
  507: 'Not enough disk space to store it',
};

const REQUEST_ID = 'b1f0c1e2-4c1d-4a57-9a40-1c2f0f3f7d11';

/**
 * One example body per status, as the API answers it (Swagger UI shows a response's media-type
 * example rather than the schema's property examples, which describe a 400).
 */
const EXAMPLES: Record<number, Omit<ProblemDto, 'type' | 'title' | 'status' | 'requestId'>> = {
  400: {
    detail: 'spec.steps: must be >= 0, got -1',
    instance: '/v1/jobs',
    errors: [{ field: 'spec.steps', message: 'must be >= 0, got -1' }],
  },
  401: { detail: 'missing API key: send "Authorization: Bearer <key>"', instance: '/v1/jobs' },
  403: {
    detail: 'not allowed for this API key in project "default"',
    instance: '/v1/studies',
  },
  404: {
    detail: 'job 6f1c2d3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f not found',
    instance: '/v1/jobs/6f1c2d3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
  },
  409: {
    detail: 'Idempotency-Key was already used for a different request',
    instance: '/v1/jobs',
  },
  413: {
    detail: 'the request body is larger than the configured limit (AUTODL_BODY_LIMIT)',
    instance: '/v1/jobs',
  },
  415: {
    detail: 'the request body is text/plain; send application/json',
    instance: '/v1/jobs',
  },
  422: {
    detail: 'the data set has 3 features (a, b, c) but the model takes 4',
    instance: '/v1/explanations',
    errors: [{ field: 'dataset', message: 'has 3 features (a, b, c) but the model takes 4' }],
  },
  503: { detail: 'database unreachable', instance: '/readyz' },
  507: { detail: 'no space left to store the upload', instance: '/v1/datasets' },
};

/** The example problem+json body of an error status. */
export function problemExample(status: number): ProblemDto {
  const example = EXAMPLES[status] ?? { detail: DESCRIPTIONS[status] ?? 'error' };
  return {
    ...problem(status, example.detail, example.errors),
    instance: example.instance,
    requestId: REQUEST_ID,
  };
}

/** The OpenAPI response object of an error status. */
export function problemResponseObject(status: number): ResponseObject {
  return {
    description: DESCRIPTIONS[status] ?? 'Error',
    content: {
      'application/problem+json': {
        schema: { $ref: getSchemaPath(ProblemDto) },
        example: problemExample(status),
      },
    },
  };
}

function problemResponse(status: number): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, ...problemResponseObject(status) });
}

/** Documents the problem+json error responses of a route (401 is on every /v1 route). */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  const all = [...new Set([401, ...statuses])].sort();
  return applyDecorators(ApiExtraModels(ProblemDto), ...all.map(problemResponse));
}

/** Problems of public routes (no 401). */
export function ApiPublicProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiExtraModels(ProblemDto), ...statuses.map(problemResponse));
}
