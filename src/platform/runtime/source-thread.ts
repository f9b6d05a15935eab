import * as path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const REGISTERED = Symbol.for('autodl.register-ts');

/**
 * The loader that runs the TypeScript source: the one this process registered
 * (bin/register-ts.cjs sets REGISTERED to its path), else bin/register-ts.cjs beside this
 * checkout's src/ (a process started with `-r @swc-node/register`).
 */
export function sourceLoader(): string {
  const registered = (globalThis as Record<symbol, unknown>)[REGISTERED];
  if (typeof registered === 'string') return registered;
  return path.resolve(__dirname, '..', '..', '..', 'bin', 'register-ts.cjs');
}

/** Node options for a child process that runs a `.ts` entry: the loader, unless already there. */
export function sourceExecArgv(entry: string): string[] {
  const argv = process.execArgv;
  const hasLoader = argv.some((a) => /register-ts\.cjs$|@swc-node[/\\]register/.test(a));
  return entry.endsWith('.ts') && !hasLoader ? [...argv, '-r', sourceLoader()] : argv;
}

/**
 * A worker thread running `entry`: the built .js as it is, a .ts source file after the thread
 * registers the TypeScript loader (a worker thread does not inherit a loader the process
 * registered at run time, as bin/autodl.js does).
 */
export function startModuleThread(entry: string, options: WorkerOptions): Worker {
  if (!entry.endsWith('.ts')) return new Worker(entry, options);
  const code = `require(${JSON.stringify(sourceLoader())}); require(${JSON.stringify(entry)});`;
  return new Worker(code, { ...options, eval: true });
}
