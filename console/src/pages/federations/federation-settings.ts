// The settings a federation runs with, from its job's stored spec (normalised by the service:
// every default filled in, data sets by id), as short phrases for its page. DOM-free (unit-tested).
import { SERVER_DISTILLATION_DEFAULTS } from '../../../../src/collab/core/ensemble-distillation';

/** The fields of a stored federation spec this reads; anything else is ignored. */
export interface StoredFederationSpec {
  algorithm?: string;
  sites?: unknown[];
  epochs?: number;
  period?: number;
  localEpochs?: number;
  learningRate?: number;
  minLr?: number;
  optimizer?: string;
  batchSize?: number;
  sharedDataset?: string | null;
  publicDataset?: string | null;
  freezeHead?: boolean;
  scaffold?: boolean;
  proximalMu?: number;
  serverMomentum?: number;
  peakDecay?: number;
  mixupAlpha?: number;
  serverDistillation?: { steps?: number } | null;
  classifierCalibration?: string | null;
  quorum?: number | null;
  seed?: number;
}

/** `dataset(id)` names a data set (its name, or a short id). */
export function federationSettings(
  s: StoredFederationSpec,
  dataset: (id: string) => string,
): string[] {
  const out: string[] = [];
  const esp = s.algorithm === 'esp-clr';
  if (s.epochs !== undefined)
    out.push(
      esp
        ? `${s.epochs} epochs, averaged every ${s.period ?? '?'}`
        : `${s.epochs} epochs, ${s.localEpochs ?? '?'} a round`,
    );
  if (s.optimizer && s.learningRate !== undefined)
    out.push(
      `${s.optimizer} at ${s.learningRate}${esp && s.minLr !== undefined ? ` → ${s.minLr}` : ''}`,
    );
  if (s.batchSize !== undefined) out.push(`batch ${s.batchSize}`);
  if (s.algorithm === 'mcl' && s.mixupAlpha !== undefined) out.push(`mixup alpha ${s.mixupAlpha}`);
  if (s.sharedDataset) out.push(`shared set ${dataset(s.sharedDataset)}`);
  if (s.freezeHead) out.push('FedBABU (body only)');
  if (s.scaffold) out.push('SCAFFOLD');
  if (s.proximalMu) out.push(`FedProx mu ${s.proximalMu}`);
  if (s.serverMomentum) out.push(`server momentum ${s.serverMomentum}`);
  if (esp && s.peakDecay !== undefined && s.peakDecay !== 1) out.push(`peak decay ${s.peakDecay}`);
  if (s.serverDistillation)
    out.push(
      `FedDF, ${s.serverDistillation.steps ?? SERVER_DISTILLATION_DEFAULTS.steps} steps a round${
        s.publicDataset ? ` on ${dataset(s.publicDataset)}` : ''
      }`,
    );
  else if (s.publicDataset) out.push(`public set ${dataset(s.publicDataset)}`);
  if (s.classifierCalibration) out.push(`head calibration ${s.classifierCalibration}`);
  if (s.quorum !== undefined && s.quorum !== null)
    out.push(`quorum ${s.quorum} of ${s.sites?.length ?? '?'} sites`);
  if (s.seed !== undefined) out.push(`seed ${s.seed}`);
  return out;
}
