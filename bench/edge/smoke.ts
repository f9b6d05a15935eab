import * as tf from '@tensorflow/tfjs';
import { buildZooModel } from '../../src/ml/zoo/zoo';
import { EdgeModel } from '../../packages/edge/src';
import { userExamples, USER_CLASSES } from '../../packages/edge/test/user-data';
(async () => {
  await tf.setBackend('cpu');
  const base = buildZooModel('small-cnn', { inputShape: [8, 8, 1], numClasses: 3, seed: 1 });
  const m = new EdgeModel(base, { id: 'x', labels: [...USER_CLASSES], input: { kind: 'image', shape: [8, 8, 1], featureNames: null, preprocessing: {} } });
  const train = userExamples(24, 1), test = userExamples(60, 2);
  console.log('before', m.evaluate(test));
  const t = Date.now();
  const r = await m.personalize(train, { seed: 1, layers: 2 });
  console.log('after', m.evaluate(test), r.epochs, r.bestEpoch, Date.now() - t, m.stats);
  const p = await m.predict(test[0].input);
  console.log(p, await m.feedback(p.id, test[0].label), m.stats, tf.memory().numTensors);
})();
