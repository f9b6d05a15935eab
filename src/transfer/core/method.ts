import { ValidationError } from '../../platform/errors/domain-error';

/**
 * Fine-tuning methods by API name and how they combine. A method is `auto` or a `+`-joined set of
 * parts: exactly one penalty (`l2`, `l2sp`, `delta`), optionally `dtnh` (only with `l2sp` or
 * `delta`, the regularisers the DTNH paper wraps) and optionally `rifle` (which the RIFLE paper
 * runs with plain weight decay, and combines with L2-SP/DELTA too). `rifle` alone means
 * `rifle+l2`. Order does not matter: `delta+dtnh` is `dtnh+delta`.
 */
export const PENALTY_NAMES = ['l2', 'l2sp', 'delta'] as const;
export type PenaltyName = (typeof PENALTY_NAMES)[number];

export interface MethodPlan {
  /** Canonical name: `[dtnh+][rifle+]<penalty>`. */
  name: string;
  penalty: PenaltyName;
  dtnh: boolean;
  rifle: boolean;
}

/** The methods the benchmark compares and the API lists; any valid combination is accepted. */
export const METHOD_NAMES = ['l2', 'l2sp', 'delta', 'rifle', 'dtnh+l2sp', 'dtnh+delta'] as const;

/**
 * What `auto` resolves to: DTNH over L2-SP. L2-SP is the cheapest regulariser that uses the source
 * weights (no extra forward pass, unlike DELTA), and DTNH removes the part of its pull that
 * fights the target loss, which is the safe choice when nothing is known about how related the
 * source is ("never hurt"). See docs/transfer.md for the benchmark behind this default.
 */
export const AUTO_METHOD = 'dtnh+l2sp';

export function parseMethod(method: unknown, field = 'method'): MethodPlan {
  if (typeof method !== 'string' || method.trim() === '') {
    throw ValidationError.field(
      field,
      `must be a string such as ${METHOD_NAMES.join(', ')} or auto`,
    );
  }
  const text = method.trim().toLowerCase();
  if (text === 'auto') return parseMethod(AUTO_METHOD, field);
  const parts = text.split('+').map((p) => p.trim());
  const known = new Set<string>([...PENALTY_NAMES, 'dtnh', 'rifle']);
  for (const p of parts) {
    if (!known.has(p)) {
      throw ValidationError.field(
        field,
        `unknown part '${p}' in '${method}'; parts are ${[...known].join(', ')}; or use auto`,
      );
    }
  }
  if (new Set(parts).size !== parts.length) {
    throw ValidationError.field(field, `'${method}' repeats a part`);
  }
  const penalties = parts.filter((p): p is PenaltyName =>
    (PENALTY_NAMES as readonly string[]).includes(p),
  );
  const dtnh = parts.includes('dtnh');
  const rifle = parts.includes('rifle');
  if (penalties.length > 1) {
    throw ValidationError.field(field, `'${method}' names ${penalties.length} penalties; pick one`);
  }
  const penalty: PenaltyName = penalties[0] ?? (rifle && !dtnh ? 'l2' : 'l2sp');
  if (penalties.length === 0 && dtnh) {
    throw ValidationError.field(field, `dtnh wraps a regulariser: use dtnh+l2sp or dtnh+delta`);
  }
  if (dtnh && penalty === 'l2') {
    throw ValidationError.field(
      field,
      `dtnh needs a regulariser towards the source (l2sp or delta), not l2`,
    );
  }
  const name = [dtnh ? 'dtnh' : '', rifle ? 'rifle' : '', penalty].filter(Boolean).join('+');
  return { name, penalty, dtnh, rifle };
}
