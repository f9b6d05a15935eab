/**
 * Records keyed by user data (class names, parameter and metric names, env variables). A plain
 * `{}` inherits Object.prototype: looking up `toString` finds a function instead of "not set",
 * and assigning `__proto__` swaps the prototype instead of storing a value.
 */

/** An empty record without prototype: every key, `__proto__` included, is an ordinary key. */
export function userRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** `record[key]` when `key` is the record's own property (never an inherited member). */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
