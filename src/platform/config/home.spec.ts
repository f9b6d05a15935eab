import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepareHome } from './home';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

test('prepareHome creates AUTODL_HOME 0700 and closes an open one', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-home-'));
  try {
    const home = path.join(base, 'a', 'home');
    prepareHome(home);
    assert.equal(mode(home), 0o700);
    fs.chmodSync(home, 0o755);
    prepareHome(home);
    assert.equal(mode(home), 0o700);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('prepareHome keeps the home enterable (0711) under an embedded PostgreSQL run as another user', (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to chown');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-home-'));
  try {
    fs.mkdirSync(path.join(home, 'pg'), { mode: 0o700 });
    fs.chownSync(path.join(home, 'pg'), 65534, 65534);
    // A second process on the same home (`autodl worker` beside `autodl serve`) must not close
    // the path the running server opens its files through.
    fs.chmodSync(home, 0o755);
    prepareHome(home);
    assert.equal(mode(home), 0o711);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
