import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UnavailableError, ValidationError } from '../../platform/errors/domain-error';
import { DEFAULT_LOCATIONS, loadPackagedDataset, packagedCatalog } from './packaged';

// Sizes as documented by the data sets' authors and scikit-learn's load_* docstrings.
const KNOWN = [
  { name: 'sklearn-digits', size: 1797, features: 64, classes: 10 },
  { name: 'iris', size: 150, features: 4, classes: 3 },
  { name: 'wine', size: 178, features: 13, classes: 3 },
  { name: 'breast-cancer', size: 569, features: 30, classes: 2 },
];

const sklearnPresent = existsSync(path.join(DEFAULT_LOCATIONS.sklearnDataDir, 'iris.csv'));
const fashionPresent = existsSync(
  path.join(DEFAULT_LOCATIONS.fashionMnistDir, 'train-images-idx3-ubyte.gz'),
);
const SKIP_SKLEARN = sklearnPresent
  ? false
  : 'python3-sklearn not installed: run scripts/install-bench-data.sh';
const SKIP_FASHION = fashionPresent
  ? false
  : 'dataset-fashion-mnist not installed: run scripts/install-bench-data.sh';

describe('packaged data sets', () => {
  for (const k of KNOWN) {
    test(
      `${k.name}: ${k.size} x ${k.features}, ${k.classes} classes (scikit-learn docs)`,
      { skip: SKIP_SKLEARN },
      async () => {
        const set = await loadPackagedDataset(k.name);
        const stats = set.train.stats();
        assert.equal(stats.size, k.size);
        assert.equal(stats.featureCount, k.features);
        assert.equal(stats.numClasses, k.classes);
      },
    );
  }

  test(
    'iris and breast-cancer class names and counts (50/50/50; 212 malignant, 357 benign)',
    { skip: SKIP_SKLEARN },
    async () => {
      const iris = await loadPackagedDataset('iris');
      assert.deepEqual(iris.train.stats().countsPerClass, {
        setosa: 50,
        versicolor: 50,
        virginica: 50,
      });
      const cancer = await loadPackagedDataset('breast-cancer');
      assert.deepEqual(cancer.train.stats().countsPerClass, { malignant: 212, benign: 357 });
    },
  );

  test(
    'fashion-mnist: 60000 train / 10000 test 28x28x1, 6000 and 1000 per class (Xiao et al. 2017)',
    { skip: SKIP_FASHION },
    async () => {
      const set = await loadPackagedDataset('fashion-mnist');
      assert.equal(set.train.size, 60000);
      assert.equal(set.test?.size, 10000);
      assert.deepEqual(set.train.stats().imageShape, { height: 28, width: 28, channels: 1 });
      assert.ok(Object.values(set.train.stats().countsPerClass).every((c) => c === 6000));
      assert.ok(Object.values(set.test?.stats().countsPerClass ?? {}).every((c) => c === 1000));
    },
  );

  test('a missing set is a 503 that says what to install; an unknown name is a 400', async () => {
    await assert.rejects(
      loadPackagedDataset('wine', { sklearnDataDir: '/nonexistent' }),
      (e: unknown) =>
        e instanceof UnavailableError &&
        /wine_data\.csv is missing; install it with: apt-get install -y python3-sklearn/.test(
          e.message,
        ),
    );
    await assert.rejects(
      loadPackagedDataset('fashion-mnist', { fashionMnistDir: '/nonexistent' }),
      /apt-get install -y dataset-fashion-mnist/,
    );
    await assert.rejects(
      loadPackagedDataset('mnist'),
      (e: unknown) => e instanceof ValidationError && /known: fashion-mnist/.test(e.message),
    );
  });

  test('spam-assassin reads the package layout (data/file_list.json + one JSON per message)', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'spam-'));
    try {
      const files = [
        { rel: 'easy-ham-1/00001.a.txt', group: 'easy-ham-1', text: 'Subject: hi\n\nlunch?' },
        { rel: 'spam-2/00001.b.txt', group: 'spam-2', text: 'Subject: WIN\n\nfree money' },
        { rel: 'hard-ham-1/00001.c.txt', group: 'hard-ham-1', text: 'newsletter' },
      ];
      for (const f of files) {
        mkdirSync(path.join(root, 'data', path.dirname(f.rel)), { recursive: true });
        const record = {
          id: '00001',
          group: f.group,
          checksum: { type: 'MD5', value: 'x' },
          text: f.text,
        };
        writeFileSync(
          path.join(root, 'data', f.rel.replace(/\.txt$/, '.json')),
          JSON.stringify(record),
        );
      }
      writeFileSync(
        path.join(root, 'data', 'file_list.json'),
        JSON.stringify(files.map((f) => f.rel)),
      );
      const set = await loadPackagedDataset('spam-assassin', { spamAssassinDir: root });
      assert.deepEqual(set.train.classNames, ['ham', 'spam']);
      assert.deepEqual(set.train.labels, [0, 1, 0]);
      assert.ok(set.train.inputs.kind === 'text');
      assert.equal(set.train.inputs.texts[1], 'Subject: WIN\n\nfree money');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('the catalog: installed where the files are, else what to install, for every set', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'packaged-catalog-'));
    try {
      const sklearn = path.join(dir, 'sklearn');
      mkdirSync(sklearn);
      writeFileSync(path.join(sklearn, 'iris.csv'), '');
      const spam = path.join(dir, 'spam');
      mkdirSync(path.join(spam, 'data'), { recursive: true });
      writeFileSync(path.join(spam, 'data', 'file_list.json'), '[]');
      const catalog = await packagedCatalog({
        fashionMnistDir: path.join(dir, 'none'),
        sklearnDataDir: sklearn,
        spamAssassinDir: spam,
      });
      const by = new Map(catalog.map((e) => [e.name, e]));
      assert.deepEqual(
        catalog.map((e) => e.name),
        ['fashion-mnist', 'sklearn-digits', 'iris', 'wine', 'breast-cancer', 'spam-assassin'],
      );
      assert.equal(by.get('iris')?.installed, true);
      assert.equal(by.get('spam-assassin')?.installed, true);
      assert.equal(by.get('wine')?.installed, false);
      assert.equal(by.get('fashion-mnist')?.installed, false);
      assert.match(by.get('fashion-mnist')!.install, /apt-get install -y dataset-fashion-mnist/);
      assert.match(by.get('wine')!.install, /python3-sklearn/);
      assert.match(by.get('iris')!.description, /150 examples/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
