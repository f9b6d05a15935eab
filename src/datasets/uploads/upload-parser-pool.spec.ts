import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UnprocessableError } from '../../platform/errors/domain-error';
import { decodeDataset } from '../core/dataset-codec';
import type { UploadParseRequest } from './upload-parse';
import { UploadParserPool } from './upload-parser-pool';

const csv = (rows: number): Uint8Array =>
  Buffer.from(
    ['x,label', ...Array.from({ length: rows }, (_, i) => `${i},${i % 2 ? 'b' : 'a'}`)].join('\n'),
  );

const request = (data: Uint8Array, over: Partial<UploadParseRequest> = {}): UploadParseRequest => ({
  kind: 'tabular',
  fileName: 'd.csv',
  data,
  split: { train: 0.5, validation: 0.25, test: 0.25 },
  seed: 1,
  channels: 'auto',
  maxTotalPixels: 1000,
  ...over,
});

describe('UploadParserPool (worker threads)', () => {
  const pool = new UploadParserPool({ size: 1, idleMs: 200 });
  after(() => pool.close());

  test('parses in a thread: the encoded file decodes to the split the service stores', async () => {
    const parsed = await pool.parse(request(csv(8)));
    assert.equal(parsed.kind, 'tabular');
    assert.deepEqual([parsed.trainSize, parsed.validationSize, parsed.testSize], [4, 2, 2]);
    assert.deepEqual({ ...parsed.stats.countsPerClass }, { a: 4, b: 4 });
    const stored = decodeDataset(Buffer.from(parsed.encoded));
    assert.equal(stored.dataset.size, 8);
    assert.deepEqual(stored.split.validation.length, 2);
  });

  test('domain errors keep their class and problems across the thread boundary', async () => {
    await assert.rejects(
      pool.parse(request(Buffer.from('x,label\n1,a\u0000b\n2,c\n'))),
      (e: UnprocessableError) =>
        e instanceof UnprocessableError &&
        e.problems.some((p) => p.field === 'd.csv:2' && /NUL/.test(p.message)),
    );
  });

  test('more requests than threads wait their turn; idle threads stop', async () => {
    const results = await Promise.all([3, 4, 5, 6].map((n) => pool.parse(request(csv(n * 4)))));
    assert.deepEqual(
      results.map((r) => r.stats.size),
      [12, 16, 20, 24],
    );
    assert.equal(pool.threads, 1);
    const deadline = Date.now() + 10_000;
    while (pool.threads > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(pool.threads, 0, 'the idle thread stopped');
    assert.equal((await pool.parse(request(csv(4)))).stats.size, 4, 'and a new one starts');
  });

  test('a closed pool refuses work', async () => {
    const closed = new UploadParserPool({ size: 1 });
    await closed.close();
    await assert.rejects(closed.parse(request(csv(4))), /closed/);
  });
});
