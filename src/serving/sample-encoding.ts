import type { Vocabulary } from '../ml/data';
import { type InputContract, parseInstances } from '../registry/core/encode';
import { DomainError, ValidationError } from '../platform/errors/domain-error';
import { flattenSample } from './core/serving-errors';

/**
 * One predict instance of a deployment as the model's input row, with the model's preprocessing
 * (the registry's predict rules, src/registry/core/encode.ts): image pixels as given or a decoded
 * base64 PNG/JPEG; tabular rows z-scored with the stored statistics; text encoded with the
 * model's vocabulary. A wrong shape or type is a 400 naming `instance`.
 */
export function encodeSample(
  contract: InputContract,
  instance: unknown,
  vocabulary: Vocabulary | undefined,
): Float32Array {
  const shape = contract.inputShape;
  if (contract.inputKind === 'text') {
    if (typeof instance !== 'string') {
      throw ValidationError.field(
        'instance',
        `this text model takes a string, got ${kindOf(instance)}`,
      );
    }
    if (!vocabulary) throw new Error('a text model needs its vocabulary');
    const length = contract.preprocessing.sequenceLength ?? shape[0];
    return Float32Array.from(vocabulary.encode(instance, length));
  }
  if (contract.inputKind === 'image' && typeof instance === 'string') {
    try {
      const { images } = parseInstances(contract, { images: [instance] });
      return (images as Float32Array[])[0];
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      throw ValidationError.field('instance', err.message.replace(/images\[0\]: /, ''));
    }
  }
  if (!Array.isArray(instance)) {
    throw ValidationError.field(
      'instance',
      `this ${contract.inputKind} model takes ${contract.inputKind === 'image' ? 'a pixel array or a base64 image' : 'a row of numbers'}, got ${kindOf(instance)}`,
    );
  }
  return normalise(contract, flattenSample(instance, shape, 'instance'));
}

/** One row of a binary body (already the input size) with the model's preprocessing. */
export function encodeRow(contract: InputContract, row: Float32Array): Float32Array {
  if (contract.inputKind === 'text') {
    throw ValidationError.field(
      'body',
      'this text model takes JSON ({"instance": "a string"}), not binary rows',
    );
  }
  return normalise(contract, row);
}

/** Tabular rows are z-scored with the stored statistics (in place); image rows are as given. */
function normalise(contract: InputContract, flat: Float32Array): Float32Array {
  const z = contract.inputKind === 'tabular' ? contract.preprocessing.normalise : undefined;
  if (z) {
    for (let j = 0; j < flat.length; j++) {
      flat[j] = (flat[j] - z.mean[j]) / (z.std[j] > 0 ? z.std[j] : 1);
    }
  }
  return flat;
}

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}
