/**
 * A packaged set's class subset as people type it (`autodl datasets create --classes`, the
 * console's Classes field): "0, 1, Sandal" is [0, 1, 'Sandal'], indices as numbers and names as
 * written, trimmed (POST /v1/datasets takes either, in this order).
 */
export function parseClassList(text: string): (string | number)[] {
  return text
    .split(',')
    .map((c) => c.trim())
    .map((c) => (/^\d+$/.test(c) ? Number(c) : c));
}
