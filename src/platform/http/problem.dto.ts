import { applyDecorators } from '@nestjs/common';
import {
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
  ApiExtraModels,
} from '@nestjs/swagger';

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
  422: 'Well-formed but unusable input',
  503: 'A dependency is unavailable (e.g. the database); retry after `Retry-After` seconds',
  507: 'Not enough disk space to store it',
};

/** Documents the problem+json error responses of a route (401 is on every /v1 route). */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  const all = [...new Set([401, ...statuses])].sort();
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...all.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
      }),
    ),
  );
}

/** Problems of public routes (no 401). */
export function ApiPublicProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
      }),
    ),
  );
}
