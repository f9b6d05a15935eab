import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestApp, type TestApp } from '../support/app';

/**
 * `GET /` (issue 11): the built web console when there is one (its files, and index.html for the
 * single-page app's own routes), else a redirect to the Swagger console. The console here is a
 * stand-in build: an index.html and a hashed bundle in a temporary package root.
 */
const INDEX =
  '<!doctype html><html><body><div id="app"></div><script src="/assets/app-1a2b.js"></script></body></html>';
const BUNDLE = 'console.log("console");';

function packageRoot(withConsole: boolean): string {
  // A dot-folder on the way, as the default ./.autodl shape: the console must not trip on it.
  const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-pkg-')), '.pkg');
  if (withConsole) {
    fs.mkdirSync(path.join(root, 'console', 'dist', 'assets'), { recursive: true });
    fs.writeFileSync(path.join(root, 'console', 'dist', 'index.html'), INDEX);
    fs.writeFileSync(path.join(root, 'console', 'dist', 'assets', 'app-1a2b.js'), BUNDLE);
  } else {
    fs.mkdirSync(root, { recursive: true });
  }
  return root;
}

describe('with a built console (console/dist under the package root)', () => {
  let app: TestApp;
  let root: string;
  before(async () => {
    root = packageRoot(true);
    app = await startTestApp({ workers: 0, packageRoot: root });
  });
  after(async () => {
    await app?.close();
    fs.rmSync(path.dirname(root), { recursive: true, force: true });
  });

  test('GET / serves its index.html, not cached', async () => {
    const res = await app.http.get('/').expect(200);
    assert.match(res.headers['content-type'], /text\/html/);
    assert.equal(res.text, INDEX);
    assert.equal(res.headers['cache-control'], 'no-cache');
  });

  test('its files are served as they are', async () => {
    const res = await app.http.get('/assets/app-1a2b.js').expect(200);
    assert.match(res.headers['content-type'], /javascript/);
    assert.equal(res.text, BUNDLE);
  });

  test("a browser opening one of the app's own pages gets index.html (SPA fallback)", async () => {
    for (const page of ['/studies/42', '/jobs', '/models/abc/lineage?tab=graph']) {
      const res = await app.http
        .get(page)
        .set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8')
        .expect(200);
      assert.equal(res.text, INDEX, page);
    }
  });

  test('API paths, missing files and non-browser requests are not the console', async () => {
    await app.get('/v1/jobs').set('Accept', 'text/html').expect(200);
    const api = await app.http.get('/v1/nothing-here').set('Accept', 'text/html').expect(404);
    assert.match(api.headers['content-type'], /application\/problem\+json/);
    await app.http.get('/healthz').set('Accept', 'text/html').expect(200);
    const docs = await app.http.get('/docs').set('Accept', 'text/html').expect(200);
    assert.match(docs.text, /swagger-ui/);
    const missing = await app.http
      .get('/assets/gone-9z.js')
      .set('Accept', 'text/html,*/*')
      .expect(404);
    assert.match(missing.headers['content-type'], /application\/problem\+json/);
    await app.http.get('/studies/42').set('Accept', 'application/json').expect(404);
    await app.http.post('/studies/42').set('Accept', 'text/html').expect(404);
  });
});

describe('with AUTODL_CONSOLE_DIR', () => {
  test('the console is served from that folder', async () => {
    const root = packageRoot(true);
    const app = await startTestApp({
      workers: 0,
      packageRoot: packageRoot(false),
      env: { AUTODL_CONSOLE_DIR: path.join(root, 'console', 'dist') },
    });
    try {
      assert.equal((await app.http.get('/').expect(200)).text, INDEX);
    } finally {
      await app.close();
      fs.rmSync(path.dirname(root), { recursive: true, force: true });
    }
  });
});

describe('without a built console', () => {
  test('GET / redirects to the Swagger console at /docs', async () => {
    const root = packageRoot(false);
    const app = await startTestApp({ workers: 0, packageRoot: root });
    try {
      const res = await app.http.get('/').expect(302);
      assert.equal(res.headers.location, '/docs');
      await app.http.head('/').expect(302);
      await app.http.get('/studies/42').set('Accept', 'text/html').expect(404);
    } finally {
      await app.close();
      fs.rmSync(path.dirname(root), { recursive: true, force: true });
    }
  });
});
