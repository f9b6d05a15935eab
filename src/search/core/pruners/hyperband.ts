/**
 * Hyperband (Li et al. 2018) as Optuna's HyperbandPruner runs it: n = floor(log_eta(max/min)) + 1
 * brackets of successive halving, bracket b with minEarlyStoppingRate b; a trial joins a bracket
 * by a hash of "studyName_trialNumber" (crc32, as Optuna) weighted by each bracket's budget
 * ceil(n * eta^s / (s + 1)), s = n - 1 - b, and competes only with trials of its bracket.
 * `maxResource: "auto"` = last step of the longest complete trial + 1 (no pruning before one exists).
 */
import { ValidationError } from '../../../platform/errors/domain-error';
import { SettingsReader } from '../settings';
import { StudyView } from '../study-view';
import { FrozenTrial } from '../trial';
import { PruneDecision, Pruner } from '../pruner';
import { SuccessiveHalvingPruner } from './successive-halving';

export class HyperbandPruner implements Pruner {
  readonly name = 'hyperband';
  private readonly minResource: number;
  private maxResource?: number;
  private readonly reductionFactor: number;
  private readonly bootstrapCount: number;
  private readonly objective: unknown;
  private brackets: { pruner: SuccessiveHalvingPruner; budget: number }[] = [];

  constructor(settings: unknown = {}) {
    const s = new SettingsReader(settings);
    this.minResource = s.int('minResource', 1, 1);
    const mr = s.value('maxResource');
    if (
      mr !== undefined &&
      mr !== 'auto' &&
      !(typeof mr === 'number' && Number.isInteger(mr) && mr >= this.minResource)
    ) {
      throw ValidationError.field(
        'maxResource',
        `must be an integer >= minResource (${this.minResource}) or "auto", got ${JSON.stringify(mr)}`,
      );
    }
    this.maxResource = typeof mr === 'number' ? mr : undefined;
    this.reductionFactor = s.int('reductionFactor', 3, 2);
    this.bootstrapCount = s.int('bootstrapCount', 0, 0);
    this.objective = s.value('objective');
    s.done();
    // Validates `objective` now rather than at the first prune.
    this.bracketPruner(0);
    if (this.maxResource !== undefined) this.init();
  }

  /** Each bracket's trial budget, ceil(n * eta^s / (s + 1)); empty until maxResource is known. */
  get budgets(): number[] {
    return this.brackets.map((b) => b.budget);
  }

  prune(view: StudyView, trial: FrozenTrial): PruneDecision {
    if (this.brackets.length === 0 && !this.init(view)) return { prune: false };
    const b = this.bracketOf(view.studyName, trial.number);
    const bracketView: StudyView = {
      ...view,
      trials: view.trials.filter((t) => this.bracketOf(view.studyName, t.number) === b),
    };
    return this.brackets[b].pruner.prune(bracketView, trial);
  }

  /** Bracket index of a trial (public for tests and the UI). */
  bracketOf(studyName: string, trialNumber: number): number {
    const total = this.brackets.reduce((s, x) => s + x.budget, 0);
    let n = crc32(`${studyName}_${trialNumber}`) % total;
    for (let b = 0; b < this.brackets.length; b++) {
      n -= this.brackets[b].budget;
      if (n < 0) return b;
    }
    return this.brackets.length - 1;
  }

  private init(view?: StudyView): boolean {
    if (this.maxResource === undefined) {
      if (!view) return false;
      const steps = view.trials
        .filter((t) => t.state === 'complete' && t.intermediate.length)
        .map((t) => t.intermediate[t.intermediate.length - 1].step);
      if (steps.length === 0) return false;
      this.maxResource = Math.max(...steps) + 1;
    }
    const n =
      Math.floor(
        Math.log(this.maxResource / this.minResource) / Math.log(this.reductionFactor) + 1e-9,
      ) + 1;
    this.brackets = Array.from({ length: n }, (_, b) => {
      const s = n - 1 - b;
      return {
        pruner: this.bracketPruner(b),
        budget: Math.ceil((n * this.reductionFactor ** s) / (s + 1)),
      };
    });
    return true;
  }

  private bracketPruner(b: number): SuccessiveHalvingPruner {
    return new SuccessiveHalvingPruner({
      minResource: this.minResource,
      reductionFactor: this.reductionFactor,
      minEarlyStoppingRate: b,
      bootstrapCount: this.bootstrapCount,
      ...(this.objective === undefined ? {} : { objective: this.objective }),
    });
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (IEEE, as zlib / Python's binascii.crc32) of a string's UTF-8 bytes. */
export function crc32(text: string): number {
  let c = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
