import * as path from 'node:path';
import { MessagePort, Worker } from 'node:worker_threads';

/**
 * A thread running `name` beside this file: name.js when built, name.ts from source, where the
 * thread registers the TypeScript loader first (as heartbeat-thread.ts does).
 */
export function startThread(
  name: string,
  workerData: { errors: MessagePort } & Record<string, unknown>,
): Worker {
  const entry = path.join(__dirname, `${name}${path.extname(__filename)}`);
  const options = { workerData, transferList: [workerData.errors] };
  if (!entry.endsWith('.ts')) return new Worker(entry, options);
  const loader = require.resolve('@swc-node/register');
  return new Worker(`require(${JSON.stringify(loader)}); require(${JSON.stringify(entry)});`, {
    ...options,
    eval: true,
  });
}
