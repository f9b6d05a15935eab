import * as tf from '@tensorflow/tfjs';
import { head, SeededInit, validateZooOptions, ZooOptions } from './zoo-options';

/**
 * Text classifier over token ids [seqLen]: embedding, then either global average pooling
 * (fastText-like, Joulin et al. 2017) or, with `lstmUnits` > 0, a small LSTM whose last state
 * feeds the head.
 */
export function buildTextClassifier(o: ZooOptions): tf.LayersModel {
  validateZooOptions('text-classifier', o, [1]);
  const init = new SeededInit(o.seed);
  const model = tf.sequential({ name: 'text_classifier' });
  model.add(
    tf.layers.embedding({
      inputDim: o.vocabSize ?? 10000,
      outputDim: o.embeddingDim ?? 32,
      inputLength: o.inputShape[0],
      embeddingsInitializer: init.glorot(),
      name: 'embedding',
    }),
  );
  const units = o.lstmUnits ?? 0;
  if (units > 0) {
    model.add(
      tf.layers.lstm({
        units,
        kernelInitializer: init.glorot(),
        recurrentInitializer: init.orthogonal(),
        name: 'lstm',
      }),
    );
  } else {
    model.add(tf.layers.globalAveragePooling1d({ name: 'gap' }));
  }
  model.add(head(o.numClasses, init));
  return model;
}
