import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';

/**
 * A request field naming a registered model or data set: its id or its name, unique in the
 * project (resolved by src/datasets/core/references.ts; unknown: 404, ambiguous: 409).
 */
export function ReferenceField(
  what: 'model' | 'data set',
  description: string,
  options: { optional?: boolean } = {},
): PropertyDecorator {
  const doc = {
    type: String,
    description: `${description}: the ${what}'s id or its name (unique in the project)`,
    example: what === 'model' ? 'iris-mlp' : 'iris',
  };
  return applyDecorators(
    ...(options.optional ? [ApiPropertyOptional(doc), IsOptional()] : [ApiProperty(doc)]),
    IsString(),
    Length(1, 200),
  );
}
