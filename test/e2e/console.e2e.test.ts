import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
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
    // The build's compressed copies (console/vite.config.mts), for a second bundle only.
    const other = path.join(root, 'console', 'dist', 'assets', 'charts-3c4d.js');
    fs.writeFileSync(other, BUNDLE);
    fs.writeFileSync(`${other}.br`, zlib.brotliCompressSync(BUNDLE));
    fs.writeFileSync(`${other}.gz`, zlib.gzipSync(BUNDLE));
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
    app = await startTestApp({ workers: 0, coordinators: 0, packageRoot: root });
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

  test('hashed assets are cached for a year', async () => {
    const res = await app.http.get('/assets/app-1a2b.js').expect(200);
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
  });

  test("an asset's compressed copy is sent when the browser accepts its coding", async () => {
    const url = `${app.url}/assets/charts-3c4d.js`;
    const get = (acceptEncoding: string) =>
      fetch(url, { headers: { 'accept-encoding': acceptEncoding } });
    // Chrome's header lists gzip first at equal q: brotli is still chosen (smaller).
    for (const [accept, coding] of [
      ['gzip, deflate, br, zstd', 'br'],
      ['gzip', 'gzip'],
      ['br;q=0, gzip;q=0.5', 'gzip'],
      ['*', 'br'],
      ['*, br;q=0', 'gzip'],
      ['identity', null],
      ['', null],
    ] as const) {
      const res = await get(accept);
      assert.equal(res.status, 200, accept);
      assert.equal(res.headers.get('content-encoding'), coding, accept);
      assert.match(res.headers.get('content-type') ?? '', /javascript/, accept);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      if (coding) assert.equal(res.headers.get('vary'), 'Accept-Encoding', accept);
      assert.equal(await res.text(), BUNDLE, accept);
    }
    // Without a compressed copy the file goes as it is.
    const other = await fetch(`${app.url}/assets/app-1a2b.js`, {
      headers: { 'accept-encoding': 'br' },
    });
    assert.equal(other.headers.get('content-encoding'), null);
    assert.equal(await other.text(), BUNDLE);
    // HEAD answers the headers of the copy GET would send.
    const head = await fetch(url, { method: 'HEAD', headers: { 'accept-encoding': 'br' } });
    assert.equal(head.headers.get('content-encoding'), 'br');
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
      coordinators: 0,
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
    const app = await startTestApp({ workers: 0, coordinators: 0, packageRoot: root });
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
