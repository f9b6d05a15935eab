import { Transform } from 'class-transformer';

/**
 * For DTO fields that hold a JSON object keyed by user data (a search space, an env map, a
 * kind's spec): keeps the parsed object as it arrived. class-transformer would copy it key by
 * key into a new object and skip every key named like an Object.prototype member (a parameter
 * called `toString` or `hasOwnProperty` silently vanished). Safe because the edge already
 * refused `__proto__`, `constructor` and `prototype` keys (src/platform/http/input-guard.ts);
 * the field's own parser validates the content.
 */
export const UserKeyed = (): PropertyDecorator =>
  Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => obj[key], {
    toClassOnly: true,
  });
