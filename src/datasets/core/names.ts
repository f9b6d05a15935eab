import { ValidationError } from '../../platform/errors/domain-error';

/**
 * The naming rule of registered data sets and models (unique per project, so a name can stand
 * for the id in URLs and job specs): 1-100 letters, digits, ".", "_" or "-", starting with a
 * letter or digit.
 */
export const REGISTRY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const REGISTRY_NAME_RULE =
  'must be 1-100 letters, digits, ".", "_" or "-" starting with a letter or digit';

export function checkRegistryName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || !REGISTRY_NAME.test(name)) {
    throw ValidationError.field(field, `${REGISTRY_NAME_RULE}, got ${JSON.stringify(name)}`);
  }
  return name;
}
