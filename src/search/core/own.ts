/**
 * `record[key]` when `key` is the record's own property. Parameter names are user data: a plain
 * object lookup of `toString` or `hasOwnProperty` would find the inherited Object.prototype
 * member instead of "not set".
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
