/**
 * A form's number field as the request body carries it: the number typed, nothing when empty, or
 * the text itself when it is not a number, so the server names the mistake at that field (never
 * silently dropped). DOM-free.
 */
export function typedNumber(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : t;
}
