import type { FieldProblem } from '../errors/domain-error';

/**
 * One rule for every string a client sends (URL, query, route parameters, JSON bodies, form
 * fields): checked at the edge, before routing, validation or SQL.
 *
 * - No NUL (U+0000) and no unpaired UTF-16 surrogate: PostgreSQL refuses both in text and jsonb
 *   (SQLSTATE 22021 / 22P02 / 22P05), so they would otherwise surface as a 500.
 * - Nesting at most `maxDepth` levels: class-transformer and class-validator recurse without a
 *   limit and overflow the stack on 100,000 nested arrays (which also costs ~2 s of CPU).
 * - No `__proto__`, `constructor` or `prototype` keys: class-transformer silently drops keys
 *   named like Object.prototype members (or, for `__proto__`, swaps the prototype), and code
 *   that indexes plain objects by user keys would read inherited members. Rejecting the three
 *   keys that can reach a prototype is the OWASP prototype-pollution recommendation; other
 *   names (`toString`, `hasOwnProperty`) are ordinary keys and must work.
 *
 * The walk is iterative (an explicit stack), so a hostile document cannot overflow it, and it
 * stops at the first problem: its cost is bounded by the body size limit.
 */
export const MAX_INPUT_DEPTH = 64;

export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
]);

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const INVALID_TEXT = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored as PostgreSQL text, or undefined when it can. */
export function invalidTextReason(text: string): string | undefined {
  const match = INVALID_TEXT.exec(text);
  if (match === null) return undefined;
  return match[0] === '\0'
    ? 'must not contain NUL bytes (U+0000)'
    : 'must be valid Unicode (unpaired UTF-16 surrogate)';
}

function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * The first problem of a parsed JSON value (or query/form record) under `root` ('' for a request
 * body), or null. Field paths are dotted as in every other 400 of the API (`spec.space.lr`).
 */
export function findUnsafeInput(
  value: unknown,
  root: string,
  maxDepth: number = MAX_INPUT_DEPTH,
): FieldProblem | null {
  const stack: { value: unknown; path: string; depth: number }[] = [
    { value, path: root, depth: 0 },
  ];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      const reason = invalidTextReason(item.value);
      if (reason !== undefined) return { field: item.path, message: reason };
      continue;
    }
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth >= maxDepth) {
      return {
        field: item.path.length > 200 ? `${item.path.slice(0, 200)}...` : item.path,
        message: `nested deeper than ${maxDepth} levels`,
      };
    }
    if (Array.isArray(item.value)) {
      for (let i = item.value.length - 1; i >= 0; i--) {
        stack.push({ value: item.value[i], path: childPath(item.path, i), depth: item.depth + 1 });
      }
      continue;
    }
    const keys = Object.keys(item.value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i];
      const path = childPath(item.path, key);
      if (FORBIDDEN_KEYS.has(key)) {
        return {
          field: path,
          message: `"${key}" is not allowed as a key (reserved by JavaScript objects)`,
        };
      }
      const reason = invalidTextReason(key);
      if (reason !== undefined) return { field: path, message: `key ${reason}` };
      stack.push({
        value: (item.value as Record<string, unknown>)[key],
        path,
        depth: item.depth + 1,
      });
    }
  }
  return null;
}
