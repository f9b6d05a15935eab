/** Parsers of command-line flag values; errors name the flag and the value given. */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { CliError } from './client';

/** A commander option parser: an integer >= 1. */
export function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new CliError(`${flag} must be a positive integer, got ${value}`);
    return n;
  };
}

/** Digits only (0 allowed). */
export function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`${flag} must be a whole number, got ${value}`);
  return Number(value);
}

/** Any finite number. */
export function finiteNumber(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new CliError(`${flag} must be a number, got ${value}`);
  return n;
}

/** Parsed JSON, or a CliError naming the flag. */
export function jsonValue(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`${flag} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A file a flag names, read whole; a missing file is a CliError naming the flag. */
export function readFlagFile(file: string, flag: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new CliError(
      `${flag} ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
}

/** `--gpus`, `--gpu-type`, `--cpu`, `--memory`: a training job's Kubernetes resources. */
export function withResourceFlags(cmd: Command): Command {
  return cmd
    .option('--gpus <n>', 'GPUs for the job when it runs on Kubernetes')
    .option('--gpu-type <model>', 'GPU model (node label value, e.g. NVIDIA-A100-SXM4-40GB)')
    .option('--cpu <quantity>', 'CPU request on Kubernetes, e.g. 4 or 500m')
    .option('--memory <quantity>', 'memory request and limit on Kubernetes, e.g. 8Gi');
}

/** The job's `resources` block from those flags (quantities are checked by the service). */
export function resourcesFromFlags(
  o: Record<string, unknown>,
): Record<string, string | number> | undefined {
  const out: Record<string, string | number> = {};
  if (typeof o.gpus === 'string') out.gpu = wholeNumber(o.gpus, '--gpus');
  if (typeof o.gpuType === 'string') out.gpuType = o.gpuType;
  if (typeof o.cpu === 'string') out.cpu = o.cpu;
  if (typeof o.memory === 'string') out.memory = o.memory;
  return Object.keys(out).length > 0 ? out : undefined;
}
