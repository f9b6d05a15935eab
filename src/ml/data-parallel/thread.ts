import * as path from 'node:path';
import type { MessagePort, Worker } from 'node:worker_threads';
import { startModuleThread } from '../../platform/runtime/source-thread';

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
  return startModuleThread(entry, options);
}
