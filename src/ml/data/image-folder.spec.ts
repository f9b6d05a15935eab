import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UnprocessableError } from '../../platform/errors/domain-error';
import { grayPng } from '../../../test/fixtures/data/images';
import { loadImageFolder } from './image-folder';

describe('directory import of class folders', () => {
  test('same layout rules as the zip: classes sorted, images in path order; symlinks refused', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'imgs-'));
    try {
      const dir = path.join(root, 'set');
      for (const [cls, file, v] of [
        ['b', '1.png', 255],
        ['a', '2.png', 0],
        ['a', '1.png', 51],
      ] as const) {
        mkdirSync(path.join(dir, cls), { recursive: true });
        writeFileSync(
          path.join(dir, cls, file),
          grayPng(1, 1, () => v),
        );
      }
      const ds = await loadImageFolder(dir);
      assert.deepEqual(ds.classNames, ['a', 'b']);
      assert.ok(ds.inputs.kind === 'image');
      assert.deepEqual(
        ds.inputs.pixels.map((p) => Math.round(p[0] * 255)),
        [51, 0, 255],
      );
      symlinkSync('/etc/hostname', path.join(dir, 'a', 'link.png'));
      mkdirSync(path.join(dir, 'empty'));
      await assert.rejects(loadImageFolder(dir), (e: unknown) => {
        assert.ok(e instanceof UnprocessableError);
        assert.deepEqual(
          e.problems.map((p) => p.field),
          ['set:a/link.png'],
        );
        return true;
      });
      rmSync(path.join(dir, 'a', 'link.png'));
      await assert.rejects(
        loadImageFolder(dir),
        (e: unknown) => e instanceof UnprocessableError && e.problems[0].field === 'set:empty/',
      );
      await assert.rejects(loadImageFolder(path.join(root, 'missing')), /does not exist/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
