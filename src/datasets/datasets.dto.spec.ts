import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatasetEntity } from './dataset.entity';
import { DatasetDto } from './datasets.dto';

test("a data set's per-class counts come out in class order, not jsonb's key order", () => {
  const entity = {
    id: 'd',
    name: 'fash',
    kind: 'image',
    source: 'packaged',
    options: {},
    // What PostgreSQL's jsonb returns for these classes: keys sorted by length.
    stats: {
      kind: 'image',
      size: 10,
      numClasses: 4,
      classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress'],
      countsPerClass: { Dress: 4, Trouser: 1, Pullover: 3, 'T-shirt/top': 2 },
    },
    trainSize: 6,
    validationSize: 2,
    testSize: 2,
    fileSize: '100',
    createdAt: new Date(0),
  } as unknown as DatasetEntity;
  const counts = (d: DatasetDto) =>
    (d.stats as { countsPerClass: Record<string, number> }).countsPerClass;
  const dto = DatasetDto.from(entity);
  assert.deepEqual(Object.keys(counts(dto)), ['T-shirt/top', 'Trouser', 'Pullover', 'Dress']);
  assert.deepEqual(Object.values(counts(dto)), [2, 1, 3, 4]);
  // A class named __proto__ is data, not the prototype.
  const proto = DatasetDto.from({
    ...entity,
    stats: {
      ...entity.stats,
      classNames: ['__proto__', 'b'],
      countsPerClass: { b: 1, ['__proto__']: 2 },
    },
  } as unknown as DatasetEntity);
  assert.deepEqual(Object.entries(counts(proto)), [
    ['__proto__', 2],
    ['b', 1],
  ]);
});
