/**
 * What the `nas` driver and each `nas-trial` job prepare alike: the data set as split tensors
 * (same split options, so every process trains and ranks on the same rows) and the architecture
 * space, whose JSON the driver resolves once (a text space takes the data set's vocabulary size
 * unless the spec fixed one) and stores with the study.
 */
import { UnprocessableError } from '../platform/errors/domain-error';
import { NasModelPort } from './nas-model.port';
import { NasJobSpec } from './core/nas-spec';
import type { SeededNasSpec } from './nas-studies';
import { ArchitectureSpace } from './core/spaces/architecture-space';
import { createArchitectureSpace } from './core/spaces/space-registry';
import { NasTrainingData } from './core/training-data';

export function loadNasData(
  port: NasModelPort,
  projectId: string,
  spec: SeededNasSpec,
): Promise<NasTrainingData> {
  return port.loadTrainingData(projectId, spec.dataset, {
    validationFraction: spec.validationFraction,
    seed: spec.seed,
    sequenceLength: spec.sequenceLength,
  });
}

/** The space JSON for this data set; a space that does not fit the data is a 422. */
export function resolveNasSpace(
  spec: NasJobSpec,
  data: NasTrainingData,
): { json: unknown; space: ArchitectureSpace } {
  let json = spec.space;
  if (data.vocabSize !== undefined) {
    const obj = typeof json === 'string' ? { type: json } : (json as Record<string, unknown>);
    if (obj.vocabSize === undefined) json = { ...obj, vocabSize: data.vocabSize };
  }
  const space = createArchitectureSpace(json);
  if (space.inputKind !== data.inputKind)
    throw new UnprocessableError(
      `space ${space.type} takes ${space.inputKind} inputs but the data set holds ${data.inputKind} data`,
      [
        {
          field: 'space',
          message: `a ${space.inputKind} space does not fit ${data.inputKind} data`,
        },
      ],
    );
  const cfgVocab = (space.config as { vocabSize?: number }).vocabSize;
  if (data.vocabSize !== undefined && cfgVocab !== undefined && cfgVocab < data.vocabSize)
    throw new UnprocessableError(
      `space.vocabSize ${cfgVocab} is smaller than the data set's vocabulary (${data.vocabSize})`,
      [{ field: 'space.vocabSize', message: `must be >= ${data.vocabSize}` }],
    );
  return { json, space };
}
