/**
 * Autoscaling of a stage's instances during a run (docs/jizhi-sim.md, "Autoscaling"), in the
 * manner of Kubernetes' Horizontal Pod Autoscaler: every `intervalS` the policy sees the
 * utilisation of the last interval (work started / (instances x interval)) and asks for
 * ceil(instances x utilisation / targetUtilisation) instances, within [min, max], unless the
 * ratio utilisation / target is within `tolerance` of 1 (HPA's default 10%, which keeps a stage
 * sized right from flapping on noise); a change waits `cooldownS` after the previous one. New instances are ready at once; a removed instance that is
 * busy finishes its batch first.
 */
export interface AutoscaleSpec {
  min: number;
  max: number;
  targetUtilisation: number;
  intervalS?: number;
  cooldownS?: number;
  tolerance?: number;
}

export interface AutoscalePolicy {
  readonly intervalS: number;
  readonly min: number;
  readonly max: number;
  /** The instance count wanted now, or `active` to stay. */
  desired(active: number, utilisation: number, now: number, lastChangeAt: number): number;
}

export class TargetUtilisationPolicy implements AutoscalePolicy {
  readonly intervalS: number;
  readonly min: number;
  readonly max: number;
  private readonly target: number;
  private readonly cooldownS: number;
  private readonly tolerance: number;

  constructor(spec: AutoscaleSpec) {
    this.min = spec.min;
    this.max = spec.max;
    this.target = spec.targetUtilisation;
    this.intervalS = spec.intervalS ?? 10;
    this.cooldownS = spec.cooldownS ?? 60;
    this.tolerance = spec.tolerance ?? 0.1;
  }

  desired(active: number, utilisation: number, now: number, lastChangeAt: number): number {
    if (now - lastChangeAt < this.cooldownS) return active;
    if (Math.abs(utilisation / this.target - 1) <= this.tolerance) return active;
    // A tolerance of 1e-9 keeps an exact hit of the target from rounding up.
    const want = Math.ceil((active * utilisation) / this.target - 1e-9);
    return Math.min(this.max, Math.max(this.min, want));
  }
}
