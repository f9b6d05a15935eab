import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { UnprocessableError } from '../../platform/errors/domain-error';
import { fixtures } from '../../../test/fixtures/data/generate';
import { parseCsv } from './csv';
import { parseImageZip } from './image-zip';
import { parseJsonl } from './jsonl';

const DIR = path.join(__dirname, '../../../test/fixtures/data');
const read = (name: string): Buffer => readFileSync(path.join(DIR, name));

async function firstField(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (e) {
    if (e instanceof UnprocessableError) return e.problems[0].field;
    throw e;
  }
  assert.fail('expected an UnprocessableError');
}

describe('committed data fixtures (test/fixtures/data)', () => {
  test('equal the generator output byte for byte', () => {
    for (const [name, data] of Object.entries(fixtures())) assert.deepEqual(read(name), data, name);
  });

  test('good fixtures parse to their hand-counted sizes', async () => {
    const shapes = await parseImageZip(read('good/shapes.zip'), 'shapes.zip');
    assert.deepEqual(shapes.stats().countsPerClass, { dark: 4, light: 4 });
    assert.deepEqual(shapes.stats().imageShape, { height: 8, width: 8, channels: 1 });
    const tab = parseCsv(read('good/tabular.csv').toString(), 'tabular.csv', {
      labelColumn: 'species',
    });
    assert.deepEqual(tab.stats().countsPerClass, { setosa: 4, versicolor: 4, virginica: 4 });
    assert.deepEqual(
      parseJsonl(read('good/reviews.jsonl').toString(), 'reviews.jsonl').stats().countsPerClass,
      { neg: 4, pos: 4 },
    );
  });

  test('bad fixtures are 422s naming the entry or line', async () => {
    const zip = (name: string) => () => parseImageZip(read(`bad/${name}`), name);
    assert.equal(await firstField(zip('traversal.zip')), 'traversal.zip:../../etc/evil.png');
    assert.equal(await firstField(zip('bomb.zip')), 'bomb.zip:dark/bomb.png');
    assert.equal(await firstField(zip('corrupt-image.zip')), 'corrupt-image.zip:dark/broken.png');
    assert.equal(await firstField(zip('mixed-sizes.zip')), 'mixed-sizes.zip:light/big.png');
    assert.equal(await firstField(zip('empty-class.zip')), 'empty-class.zip:light/');
    assert.equal(
      await firstField(() => parseCsv(read('bad/non-numeric.csv').toString(), 'non-numeric.csv')),
      'non-numeric.csv:3',
    );
    assert.equal(
      await firstField(() =>
        parseCsv(read('bad/no-label-column.csv').toString(), 'no-label-column.csv', {
          labelColumn: 'species',
        }),
      ),
      'no-label-column.csv',
    );
    assert.equal(
      await firstField(() => parseJsonl(read('bad/bad-line.jsonl').toString(), 'bad-line.jsonl')),
      'bad-line.jsonl:2',
    );
  });
});
