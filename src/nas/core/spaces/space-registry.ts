/**
 * Architecture-space registry: the API's `space` is a built-in name (`"cell-cnn"`) or a JSON
 * object `{ "type": "cell-cnn", ...config }` overriding the named defaults of that type.
 */
import { ValidationError } from '../../../platform/errors/domain-error';
import { ArchitectureSpace } from './architecture-space';
import { CellCnnSpace } from './cell-cnn';
import { MlpSpace } from './mlp';
import { MobilenetSpace } from './mobilenet';
import { TextSpace } from './text';

export const ARCHITECTURE_SPACES: Readonly<
  Record<string, new (config?: unknown, path?: string) => ArchitectureSpace>
> = {
  'cell-cnn': CellCnnSpace,
  mobilenet: MobilenetSpace,
  mlp: MlpSpace,
  text: TextSpace,
};

export const ARCHITECTURE_SPACE_TYPES = Object.keys(ARCHITECTURE_SPACES);

/** Builds a space from its name or JSON definition; errors name the field under `path`. */
export function createArchitectureSpace(json: unknown, path = 'space'): ArchitectureSpace {
  const type =
    typeof json === 'string'
      ? json
      : typeof json === 'object' && json !== null && !Array.isArray(json)
        ? (json as Record<string, unknown>).type
        : undefined;
  const known = ARCHITECTURE_SPACE_TYPES.join(', ');
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(ARCHITECTURE_SPACES, type))
    throw ValidationError.field(
      typeof json === 'string' ? path : `${path}.type`,
      `must be one of ${known}, got ${JSON.stringify(type)}`,
    );
  return new ARCHITECTURE_SPACES[type](typeof json === 'string' ? {} : json, path);
}
