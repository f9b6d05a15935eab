/**
 * The page side of test/browser/edge.test.ts: packages/edge and TF.js bundled for Chromium (by
 * vite.config.mts here), exposed as `edgeHarness.run`. It loads a bundle from the service,
 * measures the user's held-out accuracy, personalises, learns from one feedback, saves the head
 * to IndexedDB and loads it into a freshly loaded model.
 */
import * as tf from '@tensorflow/tfjs';
import { EdgeModel } from '../../../packages/edge/src';
import { userExamples } from '../../../packages/edge/test/user-data';

export interface HarnessResult {
  backend: string;
  before: number;
  after: number;
  reloaded: number;
  feedbackCached: boolean;
  backbonePassesByFeedback: number;
}

async function run(service: string, model: string, apiKey: string): Promise<HarnessResult> {
  await tf.ready();
  const source = { service, model, apiKey };
  const edge = await EdgeModel.fromBundle(source, { headLayers: 2 });
  const heldOut = userExamples(60, 2);
  const before = edge.evaluate(heldOut).accuracy;
  // The test's base model is freshly initialised: a larger step than the default.
  await edge.personalize(userExamples(24, 1), { seed: 1, learningRate: 0.01 });
  const after = edge.evaluate(heldOut).accuracy;
  const p = await edge.predict(heldOut[0].input);
  const passes = edge.stats.backbonePasses;
  const fb = await edge.feedback(p.id, heldOut[0].label);
  const backbonePassesByFeedback = edge.stats.backbonePasses - passes;
  await edge.save();
  const fresh = await EdgeModel.fromBundle(source, { headLayers: 2 });
  await fresh.load();
  const reloaded = fresh.evaluate(heldOut).accuracy;
  const afterFeedback = edge.evaluate(heldOut).accuracy;
  edge.dispose();
  fresh.dispose();
  return {
    backend: tf.getBackend(),
    before,
    after,
    reloaded: reloaded - afterFeedback,
    feedbackCached: fb.cached,
    backbonePassesByFeedback,
  };
}

(globalThis as unknown as { edgeHarness: { run: typeof run } }).edgeHarness = { run };
