import { FLOAT32_ROWS } from './binary-rows';

/**
 * Whether a predict's answer is binary rows: content negotiation between `application/json`
 * (offered first, so it wins ties and answers a request without Accept) and
 * `application/octet-stream`, by the rules of RFC 9110, 12.5.1 as the `negotiator` package
 * implements them for Express's `req.accepts` (which the predict routes used before the
 * data-plane route, where requests are plain node:http ones): each offer takes the most specific
 * matching range (type and subtype over `type/*` over `*\/*`; a range with parameters other than
 * q matches a parameterless offer only when they are `*`), then the offers rank by q, by that
 * specificity, by the range's position in the header, and by the offer's order; q = 0 refuses.
 */
export function prefersRows(accept: string | undefined): boolean {
  return negotiate(accept, ['application/json', FLOAT32_ROWS]) === FLOAT32_ROWS;
}

interface Range {
  type: string;
  subtype: string;
  q: number;
  params: string[];
  order: number;
}

interface Ranked {
  offer: string;
  index: number;
  q: number;
  s: number;
  order: number;
}

/** The offer the header prefers (the first offer without a header, or an empty one), or null when none is acceptable. */
export function negotiate(accept: string | undefined, offers: readonly string[]): string | null {
  if (!accept) return offers[0] ?? null;
  const ranges = parseAccept(accept);
  const ranked: Ranked[] = [];
  offers.forEach((offer, index) => {
    const [type, subtype] = offer.toLowerCase().split('/');
    // negotiator's getMediaTypePriority: more specific, then higher q, then the LATER range.
    let best: Ranked = { offer, index, q: 0, s: 0, order: -1 };
    for (const r of ranges) {
      let s = 0;
      if (r.type === type) s |= 4;
      else if (r.type !== '*') continue;
      if (r.subtype === subtype) s |= 2;
      else if (r.subtype !== '*') continue;
      if (r.params.length > 0) {
        if (!r.params.every((v) => v === '*')) continue;
        s |= 1;
      }
      if ((best.s - s || best.q - r.q || best.order - r.order) < 0)
        best = { offer, index, q: r.q, s, order: r.order };
    }
    if (best.q > 0) ranked.push(best);
  });
  ranked.sort((a, b) => b.q - a.q || b.s - a.s || a.order - b.order || a.index - b.index);
  return ranked[0]?.offer ?? null;
}

function parseAccept(header: string): Range[] {
  const ranges: Range[] = [];
  header.split(',').forEach((part, order) => {
    const [media, ...rawParams] = part.split(';').map((x) => x.trim());
    const [type, subtype] = media.toLowerCase().split('/');
    if (!type || !subtype) return;
    let q = 1;
    const params: string[] = [];
    for (const p of rawParams) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const key = p.slice(0, eq).trim().toLowerCase();
      const value = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
      if (key === 'q') q = Number.parseFloat(value);
      else params.push(value);
    }
    ranges.push({ type, subtype, q: Number.isFinite(q) ? q : 1, params, order });
  });
  return ranges;
}
