import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { protectHome } from './protect-home';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

test('protectHome closes AUTODL_HOME and its entries (0700 dirs, 0600 files)', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-protect-'));
  try {
    fs.chmodSync(home, 0o755);
    fs.mkdirSync(path.join(home, 'artifacts', 'p', 'j'), { recursive: true, mode: 0o755 });
    fs.chmodSync(path.join(home, 'artifacts'), 0o755);
    fs.writeFileSync(path.join(home, 'admin.key'), 'k', { mode: 0o644 });
    fs.writeFileSync(path.join(home, 'pg.password'), 'p', { mode: 0o644 });
    assert.deepEqual(protectHome(home), { mode: 0o700 });
    assert.equal(mode(home), 0o700);
    assert.equal(mode(path.join(home, 'artifacts')), 0o700);
    assert.equal(mode(path.join(home, 'admin.key')), 0o600);
    assert.equal(mode(path.join(home, 'pg.password')), 0o600);
    // A fresh home gets its artifacts directory closed from the start.
    const fresh = path.join(home, 'fresh');
    protectHome(fresh);
    assert.equal(mode(fresh), 0o700);
    assert.equal(mode(path.join(fresh, 'artifacts')), 0o700);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('protectHome leaves the home enterable (0711) for an embedded PostgreSQL run as another user', (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to chown');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-protect-'));
  try {
    fs.mkdirSync(path.join(home, 'pg'), { mode: 0o700 });
    fs.chownSync(path.join(home, 'pg'), 65534, 65534);
    assert.deepEqual(protectHome(home), { mode: 0o711 });
    assert.equal(mode(home), 0o711);
    assert.equal(mode(path.join(home, 'pg')), 0o700, "the database's own directory is untouched");
    assert.equal(mode(path.join(home, 'artifacts')), 0o700);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
