/**
 * What the federation e2e tests share: a site's image data set, and a remote site agent
 * (`autodl site serve`) started as a separate process, waited for with the federation.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { darkShape, lightShape } from '../fixtures/data/shapes';
import { writeZip } from '../fixtures/data/zip-writer';
import type { TestApp } from './app';
import { sourceLoader } from '../../src/platform/runtime/source-thread';

/**
 * A site's own images (dark and light shapes, separable by mean intensity) as a class-folder
 * zip, drawn from its own range of k (`site * stride + i`) so that no two sites share one.
 */
export function siteZip(
  site: number,
  perClass: number,
  options: { size?: number; stride?: number } = {},
): Buffer {
  const stride = options.stride ?? 100;
  return writeZip(
    Array.from({ length: perClass }, (_, i) => {
      const k = site * stride + i;
      return [
        { name: `dark/${k}.png`, data: darkShape(k, options.size) },
        { name: `light/${k}.png`, data: lightShape(k, options.size) },
      ];
    }).flat(),
  );
}

export interface SiteAgentOptions {
  coordinator: string;
  key: string;
  /** The agent's own files: DIR/<class>/<image>. */
  dir: string;
  stateDir?: string;
}

/**
 * Starts `autodl site serve` on loopback (polling every 300 ms, the cpu backend) and returns a
 * function that waits for the federation `id` to succeed and the agent to stop by itself once
 * it is over (410, exit code 0); the agent's output is in every failure message, and an agent
 * still running afterwards is killed.
 */
export function startSiteAgent(options: SiteAgentOptions): {
  finish: (app: TestApp, id: string) => Promise<void>;
  /** What the agent printed so far (stdout and stderr). */
  output: () => string;
} {
  const main = path.join(__dirname, '..', '..', 'src', 'cli', 'autodl.ts');
  const agent = spawn(
    process.execPath,
    [
      '-r',
      sourceLoader(),
      main,
      'site',
      'serve',
      '--coordinator',
      options.coordinator,
      '--key',
      options.key,
      '--data',
      options.dir,
      ...(options.stateDir ? ['--state-dir', options.stateDir] : []),
      '--poll-ms',
      '300',
      '--backend',
      'cpu',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  agent.stdout.on('data', (c: Buffer) => (output += c.toString()));
  agent.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = once(agent, 'exit');
  return {
    output: () => output,
    finish: async (app, id) => {
      try {
        const job = await app
          .waitForJob(id, (j) => ['succeeded', 'failed'].includes(j.status))
          .catch((e: Error) => assert.fail(`${e.message}\nagent: ${output}`));
        assert.equal(job.status, 'succeeded', `${job.error ?? ''}\nagent: ${output}`);
        const [code] = await exited; // the agent stops by itself once the federation is over (410)
        assert.equal(code, 0, output);
      } finally {
        if (agent.exitCode === null) agent.kill('SIGKILL');
      }
    },
  };
}
