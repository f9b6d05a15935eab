/**
 * Word vocabulary for text data sets: ids by descending frequency (ties alphabetical), 0 reserved
 * for padding and 1 for out-of-vocabulary words, as Keras' TextVectorization does.
 */
import { ValidationError } from '../../platform/errors/domain-error';

export const PAD_ID = 0;
export const OOV_ID = 1;

export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export class Vocabulary {
  private readonly ids: ReadonlyMap<string, number>;

  constructor(readonly words: readonly string[]) {
    this.ids = new Map(words.map((w, i) => [w, i + 2]));
  }

  /** Ids including PAD and OOV. */
  get size(): number {
    return this.words.length + 2;
  }

  static build(
    texts: readonly string[],
    options: { maxWords?: number; minCount?: number } = {},
  ): Vocabulary {
    const maxWords = options.maxWords ?? 20_000;
    const minCount = options.minCount ?? 1;
    if (!Number.isInteger(maxWords) || maxWords < 1)
      throw ValidationError.field('maxWords', `must be a positive integer, got ${maxWords}`);
    const counts = new Map<string, number>();
    for (const t of texts) for (const w of wordTokens(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const words = [...counts]
      .filter(([, c]) => c >= minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, maxWords)
      .map(([w]) => w);
    return new Vocabulary(words);
  }

  /** Ids of the first `length` tokens, padded with PAD_ID at the end. */
  encode(text: string, length: number): Int32Array {
    const out = new Int32Array(length);
    const tokens = wordTokens(text);
    for (let i = 0; i < Math.min(length, tokens.length); i++)
      out[i] = this.ids.get(tokens[i]) ?? OOV_ID;
    return out;
  }
}
