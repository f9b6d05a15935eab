import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestApp, TestApp } from '../support/app';

/** A 1 MiB tmpfs to put AUTODL_HOME on (needs root, as in CI's container); null if impossible. */
function mountTinyDisk(): string | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', dir], {
      stdio: 'ignore',
    });
    return dir;
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(full));
    else out.push(full);
  }
  return out;
}

/** Fills the file system of `dir` up to `leaveBytes` of free space. */
function fill(dir: string, leaveBytes: number): void {
  fs.rmSync(path.join(dir, 'filler'), { force: true });
  const { bavail, bsize } = fs.statfsSync(dir);
  const size = Math.max(0, bavail * bsize - leaveBytes);
  fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(size));
}

const disk = mountTinyDisk();

/** Issue 12, part 6: a full disk is a 507 (uploads) or a failed job, never a .tmp file left. */
describe(
  'a full disk under AUTODL_HOME (1 MiB tmpfs)',
  { skip: disk === null && 'cannot mount a tmpfs (not root)' },
  () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({
        workers: 1,
        coordinators: 0,
        reuse: undefined,
        env: { AUTODL_HOME: disk! },
      });
    });
    after(async () => {
      await app?.stop();
      try {
        execFileSync('umount', [disk!]);
        fs.rmSync(disk!, { recursive: true, force: true });
      } catch {
        // left mounted: visible in `mount`, harmless
      }
    });

    test('/readyz reports the free space under AUTODL_HOME and fails below AUTODL_MIN_FREE_DISK_MB', async () => {
      const res = await app.http.get('/readyz');
      assert.equal(res.status, 503);
      assert.match(
        res.body.detail,
        /disk nearly full: [\d.]+ MiB free under AUTODL_HOME, below AUTODL_MIN_FREE_DISK_MB \(256\)/,
      );
      assert.equal(res.headers['retry-after'], '5');
    });

    test('an upload that does not fit is 507 Insufficient Storage; no temporary file, no data set', async () => {
      fill(disk!, 16 * 1024);
      const rows = ['a,b,label'];
      for (let i = 0; i < 20_000; i++) rows.push(`${i % 97},${(i * 7) % 13},${i % 2 ? 'x' : 'y'}`);
      const res = await app.uploadDataset({ name: 'big' }, Buffer.from(rows.join('\n')), 'big.csv');
      assert.equal(res.status, 507, res.text);
      assert.match(res.headers['content-type'], /application\/problem\+json/);
      assert.equal(res.body.title, 'Insufficient Storage');
      assert.match(res.body.detail, /not enough disk space/);
      const tmp = filesUnder(disk!).filter((f) => f.endsWith('.tmp'));
      assert.deepEqual(tmp, [], 'no temporary file left behind');
      assert.equal((await app.get('/v1/datasets').expect(200)).body.total, 0);
    });

    test('a job whose artifact does not fit fails with the reason; its temporary file is removed', async () => {
      fill(disk!, 0);
      const created = await app
        .post('/v1/jobs', { kind: 'sleep', spec: { steps: 1, stepMs: 1, recordAttempt: true } })
        .expect(202);
      const failed = await app.waitForJob(created.body.id, (j) => j.status === 'failed', 60_000);
      assert.match(failed.error ?? '', /not enough disk space to store steps\/0\.txt/);
      assert.deepEqual(
        filesUnder(disk!).filter((f) => f.endsWith('.tmp')),
        [],
      );
      // Space freed: the same job runs again.
      fs.rmSync(path.join(disk!, 'filler'));
      await app.post(`/v1/jobs/${created.body.id}/retry`).expect(202);
      await app.waitForJob(created.body.id, (j) => j.status === 'succeeded', 60_000);
    });
  },
);
