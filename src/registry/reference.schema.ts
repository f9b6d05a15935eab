import { Type, type TString } from '@sinclair/typebox';
import { REGISTRY_NAME } from '../datasets/core/names';

/**
 * Job-spec fields naming a registered model or data set (the TypeBox form of
 * reference.decorator.ts): an id or a name unique in the project. A job kind lists them in
 * `JobHandler.references`, so the platform resolves them to ids before the job is queued.
 */
export function ReferenceSchema(what: 'model' | 'data set', description: string): TString {
  return Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '\\S', // not blank
    description: `${description}: the ${what}'s id or its name (unique in the project)`,
    example: what === 'model' ? 'iris-mlp' : 'iris',
  });
}

/** The name a job registers its model under (the naming rule of src/datasets/core/names.ts). */
export function RegistryNameSchema(description: string): TString {
  return Type.String({ pattern: REGISTRY_NAME.source, maxLength: 100, description });
}
