import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { selectBackend } from '../../src/ml/backend';
import { saveModelToBuffers } from '../../src/ml/io/buffers';
import { writeModelBuffers } from '../../src/ml/io/directory';
import { sourceLoader } from '../../src/platform/runtime/source-thread';

/**
 * `autodl explain --model path/to/model.json --data rows.csv` runs in-process on a TF.js model
 * saved here: no service, no database. The model is logistic with known weights, p(yes | x) =
 * sigmoid(3a - 2b), so NormLIME must rank a and b first for both classes (Ahern et al. 2019).
 */
const run = promisify(execFile);
const main = path.resolve(__dirname, '..', '..', 'src', 'cli', 'autodl.ts');
let dir: string;

function cli(args: string[]) {
  return run(process.execPath, ['-r', sourceLoader(), main, ...args], {
    env: { ...process.env, AUTODL_TF_BACKEND: 'cpu' },
    timeout: 600_000,
  });
}

async function failsWith(args: string[], message: RegExp): Promise<void> {
  await assert.rejects(cli(args), (e: { code: number; stderr: string }) => {
    assert.equal(e.code, 1);
    assert.match(e.stderr, message);
    assert.doesNotMatch(e.stderr, /at .*\.ts:\d+/);
    return true;
  });
}

describe('autodl explain on a model file (in-process)', () => {
  before(async () => {
    await selectBackend('cpu');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-explain-'));
    const net = tf.sequential({
      layers: [tf.layers.dense({ units: 2, inputShape: [4], activation: 'softmax' })],
    });
    net.setWeights([tf.tensor2d([3, -2, 0, 0].map((w) => [0, w])), tf.zeros([2])]);
    await writeModelBuffers(path.join(dir, 'logistic'), await saveModelToBuffers(net));
    const image = tf.sequential({
      layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), tf.layers.dense({ units: 2 })],
    });
    await writeModelBuffers(path.join(dir, 'image'), await saveModelToBuffers(image));
    net.dispose();
    image.dispose();
    const lines = ['a,b,c,d,label'];
    for (let i = 0; i < 60; i++) {
      const r = [Math.sin(i), Math.cos(1.3 * i), Math.sin(0.7 * i), Math.cos(2.1 * i)];
      lines.push([...r.map((v) => v.toFixed(4)), 3 * r[0] - 2 * r[1] > 0 ? 'yes' : 'no'].join(','));
    }
    fs.writeFileSync(path.join(dir, 'rows.csv'), lines.join('\n'));
    fs.writeFileSync(path.join(dir, 'three.csv'), 'a,b,c\n1,2,3\n4,5,6\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('--method normlime --json: a and b lead both classes; class names come from the CSV labels', async () => {
    const { stdout } = await cli([
      '--json',
      'explain',
      '--model',
      path.join(dir, 'logistic', 'model.json'),
      '--data',
      path.join(dir, 'rows.csv'),
      '--method',
      'normlime',
      '--sample-size',
      '24',
      '--parameters',
      '{"numSamples": 300, "discretize": false}',
      '--out',
      path.join(dir, 'png'),
    ]);
    const result = JSON.parse(stdout);
    assert.equal(result.instances, 24);
    assert.deepEqual(
      result.classes.map((c: { className: string }) => c.className),
      ['no', 'yes'],
    );
    for (const c of result.classes) {
      assert.ok(c.count > 0);
      assert.deepEqual(
        c.ranking
          .slice(0, 2)
          .map((f: { feature: string }) => f.feature)
          .sort(),
        ['a', 'b'],
      );
    }
    const png = PNG.sync.read(fs.readFileSync(path.join(dir, 'png', 'normlime-1.png')));
    assert.ok(png.width > 0);
  });

  test('--method lime prints a readable table of local weights', async () => {
    const { stdout } = await cli([
      'explain',
      '--model',
      path.join(dir, 'logistic'),
      '--data',
      path.join(dir, 'rows.csv'),
      '--sample-size',
      '2',
      '--parameters',
      '{"numSamples": 300, "discretize": false, "numFeatures": 2}',
    ]);
    assert.match(stdout, /fidelity \d\.\d{3}\s+AOPC/);
    assert.match(stdout, /instance \d+: (yes|no) \(p = /);
    assert.match(stdout, /NAME\s+WEIGHT\n[ab] /);
  });

  test('clear errors: missing file, CSV that does not fit the model, non-tabular model', async () => {
    await failsWith(
      ['explain', '--model', path.join(dir, 'nope', 'model.json'), '--data', 'x.csv'],
      /error: --model: file .*nope\/model.json does not exist/,
    );
    await failsWith(
      ['explain', '--model', path.join(dir, 'logistic'), '--data', path.join(dir, 'missing.csv')],
      /error: --data: cannot read .*missing.csv \(ENOENT\)/,
    );
    await failsWith(
      ['explain', '--model', path.join(dir, 'logistic'), '--data', path.join(dir, 'three.csv')],
      /three.csv: has 3 feature columns \(a, b, c\) but the model takes 4 features/,
    );
    await failsWith(
      ['explain', '--model', path.join(dir, 'image'), '--data', path.join(dir, 'rows.csv')],
      /takes input \[batch, 4, 4, 1\]; explaining a model file in-process supports tabular models/,
    );
  });
});
