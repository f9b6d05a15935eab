/**
 * Where the CPU of work split over replicas goes (issue 20), counted by the code that drives the
 * replicas (sharded-step.ts, parallel-predict.ts) for benches and the job's report. All CPU
 * times, so the figures hold on a loaded machine: with T threads, the work the main thread does
 * alone (serial: perturbations, ridge fits, gradient sums, copies) plus, per round, the slowest
 * thread's part (the round's critical path) is the wall time the job would take on T idle cores.
 */
export interface ParallelMeter {
  /** Rounds run over replicas (a training step's round of shards, a predict call's round of chunks). */
  rounds: number;
  /** Main thread CPU on its own part of the rounds (its shard, its chunk), ns. */
  mainWorkNs: number;
  /** Replicas' CPU on their commands (reloading published weights included), ns. */
  replicaWorkNs: number;
  /** Sum over rounds of the slowest thread's part (main's or a replica's CPU), ns. */
  roundCriticalNs: number;
  /**
   * Main thread CPU inside the driver but outside its own part: handing out and collecting the
   * rounds (row copies, publishing weights, output copies) and, for a training step, the
   * gradient sums, moving statistics and optimizer update, ns.
   */
  mainOutsideNs: number;
  /** Replicas' CPU to start (thread, TF.js runtime, wasm, model), every replica, ns. */
  replicaStartNs: number;
  /** The slowest replica's start CPU, summed over pool starts: its part of the critical path, ns. */
  replicaStartCriticalNs: number;
  /** Wall time the main thread spent blocked on replicas after its own part (load-dependent), ns. */
  mainBlockedNs: number;
  /**
   * Replicas' wall time on their commands, ns: against replicaWorkNs it says how long they were
   * off a core mid-command (load, or a slower core); on a quiet machine the two should match.
   */
  replicaWallNs: number;
}

const zero = (): ParallelMeter => ({
  rounds: 0,
  mainWorkNs: 0,
  replicaWorkNs: 0,
  roundCriticalNs: 0,
  mainOutsideNs: 0,
  replicaStartNs: 0,
  replicaStartCriticalNs: 0,
  mainBlockedNs: 0,
  replicaWallNs: 0,
});

/** This process's counters since the last reset. */
export const parallelMeter: ParallelMeter = zero();

export function resetParallelMeter(): void {
  Object.assign(parallelMeter, zero());
}

/** A copy of the counters (to subtract two readings). */
export function readParallelMeter(): ParallelMeter {
  return { ...parallelMeter };
}

/**
 * One round: the main thread's CPU on its part, each replica's CPU on its part (NaN when a
 * thread's CPU cannot be read: then only the round is counted).
 */
export function meterRound(mainNs: number, replicaNs: readonly number[]): void {
  parallelMeter.rounds++;
  if (!Number.isFinite(mainNs) || replicaNs.some((r) => !Number.isFinite(r))) return;
  parallelMeter.mainWorkNs += mainNs;
  let slowest = mainNs;
  for (const r of replicaNs) {
    parallelMeter.replicaWorkNs += r;
    slowest = Math.max(slowest, r);
  }
  parallelMeter.roundCriticalNs += slowest;
}

/**
 * Replicas started: their start CPU each (NaN: unknown). `waited`: the main thread blocked until
 * they started (training pools), so the slowest start is on the critical path; inference pools
 * start beside the main thread's own work, which predicts on one thread meanwhile.
 */
export function meterStart(startNs: readonly number[], waited = true): void {
  const known = startNs.filter(Number.isFinite);
  parallelMeter.replicaStartNs += known.reduce((a, s) => a + s, 0);
  if (waited) parallelMeter.replicaStartCriticalNs += known.length ? Math.max(...known) : 0;
}
