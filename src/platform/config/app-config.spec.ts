import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig, workerEnv } from './app-config';

const terminal = { stdoutIsTTY: true, packageRoot: '/nonexistent-package' };
const pipe = { stdoutIsTTY: false, packageRoot: '/nonexistent-package' };

test('LOG_FORMAT: auto is pretty on a terminal and JSON on a pipe; json and pretty are as asked', () => {
  assert.equal(loadConfig({}, terminal).logFormat, 'pretty');
  assert.equal(loadConfig({}, pipe).logFormat, 'json');
  assert.equal(loadConfig({ LOG_FORMAT: 'auto' }, terminal).logFormat, 'pretty');
  assert.equal(loadConfig({ LOG_FORMAT: 'json' }, terminal).logFormat, 'json');
  assert.equal(loadConfig({ LOG_FORMAT: 'pretty' }, pipe).logFormat, 'pretty');
  assert.throws(
    () => loadConfig({ LOG_FORMAT: 'yaml' }, pipe),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.variable === 'LOG_FORMAT' &&
      /must be one of auto, json, pretty, got "yaml"/.test(e.message),
  );
});

test('workers get the resolved log format and level, not "auto"', () => {
  const env = workerEnv(loadConfig({ LOG_LEVEL: 'debug' }, terminal));
  assert.equal(env.LOG_FORMAT, 'pretty');
  assert.equal(env.LOG_LEVEL, 'debug');
  assert.equal(loadConfig(env, pipe).logFormat, 'pretty');
});

test('AUTODL_CONSOLE_DIR must hold an index.html; unset, a built console/dist is used if present', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-console-'));
  try {
    const host = { stdoutIsTTY: false, packageRoot: root };
    assert.equal(loadConfig({}, host).consoleDir, null, 'no console built');
    const dist = path.join(root, 'console', 'dist');
    fs.mkdirSync(dist, { recursive: true });
    assert.equal(loadConfig({}, host).consoleDir, null, 'an empty dist is not a console');
    fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html>');
    assert.equal(loadConfig({}, host).consoleDir, dist);

    const other = path.join(root, 'elsewhere');
    fs.mkdirSync(other);
    assert.throws(
      () => loadConfig({ AUTODL_CONSOLE_DIR: other }, host),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.variable === 'AUTODL_CONSOLE_DIR' &&
        e.message.includes('with an index.html'),
    );
    assert.throws(() => loadConfig({ AUTODL_CONSOLE_DIR: path.join(root, 'missing') }, host), {
      name: 'ConfigError',
    });
    fs.writeFileSync(path.join(other, 'index.html'), '<!doctype html>');
    assert.equal(loadConfig({ AUTODL_CONSOLE_DIR: other }, host).consoleDir, other);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
