import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigSections, type AnyConfigSection, type Env } from './config-section';
import {
  SandboxConfigError,
  loadTrialSandboxConfig,
  trialSandboxEnv,
  type TrialSandboxConfig,
} from '../sandbox/sandbox-config';

/**
 * Typed configuration, read once from the environment and validated. The process refuses to
 * start on an invalid value and names the variable (Immich/Katib style: named defaults in one
 * place). Every variable is listed in the README's configuration table. Capabilities add their
 * own variables as sections (config-section.ts), loaded by the same call.
 */
export interface AppConfig extends PlatformConfig {
  /** The capabilities' sections (e.g. the Kubernetes executor's), by their section object. */
  sections: ConfigSections;
}

/** The platform's own settings. */
export interface PlatformConfig {
  port: number;
  host: string;
  /** null: start the embedded PostgreSQL under `home`. */
  databaseUrl: string | null;
  home: string;
  embeddedPgPort: number;
  /** `kubernetes` reads AUTODL_K8S_* and KUBECONFIG through its section (src/deploy). */
  executor: 'local' | 'kubernetes';
  /** Compute worker processes of the local executor; 0 runs the API without workers. */
  workers: number;
  /**
   * Coordinator worker processes (drivers of studies and NAS runs, see JobLane); each runs one
   * driver at a time. Only started when `workers` > 0.
   */
  coordinators: number;
  bodyLimit: string;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
  cancelGraceMs: number;
  maxAttempts: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `pretty`: one short readable line per entry (a terminal); `json`: one JSON object per line. */
  logFormat: 'json' | 'pretty';
  /** The built web console (its index.html) served at `/`; null: `/` redirects to `/docs`. */
  consoleDir: string | null;
  tfBackend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /**
   * Threads one training job may use (data-parallel replicas over worker threads, src/ml/train/
   * parallel.ts): a number, or `auto` = the cores the other running jobs leave free (the pool
   * supervisor tells its workers); it changes speed only, the shards per batch fix the result.
   */
  trainThreads: 'auto' | number;
  /** Print the bootstrap admin key on first start (off in tests). */
  printAdminKey: boolean;
  /** /readyz fails when the file system of `home` has less free space than this (MiB). */
  minFreeDiskMb: number;
  /** AUTODL_TRIAL_*: the command-trial sandbox (src/platform/sandbox). */
  trialSandbox: TrialSandboxConfig;
  /**
   * Test-only job hooks (the `sleep` kind's `crashAtStep`, which SIGKILLs the worker): refused
   * unless AUTODL_TEST_HOOKS=1, so no project can kill shared workers in production.
   */
  testHooks: boolean;
  /** Decoded pixels (width x height summed over all images) one uploaded data set may have. */
  datasetMaxPixels: number;
  /** Worker threads that parse and decode uploads off the API's event loop. */
  uploadThreads: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

export const CONFIG_DEFAULTS = {
  PORT: 3000,
  HOST: '0.0.0.0',
  AUTODL_HOME: './.autodl',
  AUTODL_EMBEDDED_PG_PORT: 54329,
  AUTODL_EXECUTOR: 'local',
  AUTODL_WORKERS: os.availableParallelism(),
  AUTODL_COORDINATORS: 2,
  AUTODL_BODY_LIMIT: '1mb',
  AUTODL_HEARTBEAT_MS: 1000,
  AUTODL_HEARTBEAT_TIMEOUT_MS: 15000,
  AUTODL_CANCEL_GRACE_MS: 5000,
  AUTODL_MAX_ATTEMPTS: 3,
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'auto',
  AUTODL_TF_BACKEND: 'auto',
  AUTODL_TRAIN_THREADS: 'auto',
  AUTODL_MIN_FREE_DISK_MB: 256,
  // 2^25 pixels: 32,000 32x32 images or 670 224x224 ones. Decoding costs 16-40 bytes per pixel
  // (RGBA, Float32 channels, the encoded file), so about 0.5-1.3 GB at the limit.
  AUTODL_DATASET_MAX_PIXELS: 33_554_432,
  AUTODL_UPLOAD_THREADS: 2,
} as const;

/** Facts about the process that defaults depend on (given by tests). */
export interface HostFacts {
  /** Whether standard output is a terminal (LOG_FORMAT=auto prints pretty lines there). */
  stdoutIsTTY: boolean;
  /** The package's root folder, holding `console/dist` once the console is built. */
  packageRoot: string;
}

/** src/platform/config (or dist/platform/config) -> the package root. */
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');

const CONSOLE_BUILD_DIR = path.join('console', 'dist');

function int(env: Env, name: keyof typeof CONFIG_DEFAULTS, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return CONFIG_DEFAULTS[name] as number;
  if (!/^\d+$/.test(raw.trim()))
    throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function oneOf<T extends string>(
  env: Env,
  name: keyof typeof CONFIG_DEFAULTS,
  allowed: readonly T[],
): T {
  const raw = env[name] ?? (CONFIG_DEFAULTS[name] as string);
  if (!allowed.includes(raw as T)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

/** `1` on, `0` or unset off; anything else is refused rather than guessed. */
function flag(env: Env, name: string): boolean {
  const raw = env[name]?.trim() ?? '';
  if (raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new ConfigError(name, `must be 0 or 1, got "${raw}"`);
}

export const THIS_HOST: HostFacts = {
  stdoutIsTTY: process.stdout.isTTY === true,
  packageRoot: PACKAGE_ROOT,
};

/**
 * Loads the platform's settings, then every given section (the service passes the capabilities'
 * list through loadServiceConfig in src/capability-config.ts).
 */
export function loadConfig(
  env: Env = process.env,
  host: HostFacts = THIS_HOST,
  sections: readonly AnyConfigSection[] = [],
): AppConfig {
  const platform = loadPlatformConfig(env, host);
  return { ...platform, sections: ConfigSections.load(sections, env, platform) };
}

function loadPlatformConfig(env: Env, host: HostFacts): PlatformConfig {
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', `must be a postgres:// URL, got "${databaseUrl}"`);
  }
  const bodyLimit = env.AUTODL_BODY_LIMIT ?? CONFIG_DEFAULTS.AUTODL_BODY_LIMIT;
  if (!/^\d+(b|kb|mb|gb)?$/i.test(bodyLimit)) {
    throw new ConfigError('AUTODL_BODY_LIMIT', `must look like 512kb or 10mb, got "${bodyLimit}"`);
  }
  const heartbeatMs = int(env, 'AUTODL_HEARTBEAT_MS', 50, 60_000);
  const heartbeatTimeoutMs = int(env, 'AUTODL_HEARTBEAT_TIMEOUT_MS', 200, 3_600_000);
  if (heartbeatTimeoutMs <= 2 * heartbeatMs) {
    throw new ConfigError(
      'AUTODL_HEARTBEAT_TIMEOUT_MS',
      `must be more than twice AUTODL_HEARTBEAT_MS (${heartbeatMs}), got ${heartbeatTimeoutMs}`,
    );
  }
  const executor = oneOf(env, 'AUTODL_EXECUTOR', ['local', 'kubernetes'] as const);
  return {
    port: int(env, 'PORT', 0, 65535),
    host: env.HOST?.trim() || CONFIG_DEFAULTS.HOST,
    databaseUrl,
    home: path.resolve(env.AUTODL_HOME?.trim() || CONFIG_DEFAULTS.AUTODL_HOME),
    embeddedPgPort: int(env, 'AUTODL_EMBEDDED_PG_PORT', 1024, 65535),
    executor,
    workers: int(env, 'AUTODL_WORKERS', 0, 256),
    coordinators: int(env, 'AUTODL_COORDINATORS', 0, 64),
    bodyLimit,
    heartbeatMs,
    heartbeatTimeoutMs,
    cancelGraceMs: int(env, 'AUTODL_CANCEL_GRACE_MS', 0, 600_000),
    maxAttempts: int(env, 'AUTODL_MAX_ATTEMPTS', 1, 100),
    logLevel: oneOf(env, 'LOG_LEVEL', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ] as const),
    logFormat: logFormat(env, host),
    consoleDir: consoleDir(env, host),
    tfBackend: oneOf(env, 'AUTODL_TF_BACKEND', ['auto', 'tensorflow', 'wasm', 'cpu'] as const),
    trainThreads: trainThreads(env),
    printAdminKey: env.AUTODL_PRINT_ADMIN_KEY !== '0',
    minFreeDiskMb: int(env, 'AUTODL_MIN_FREE_DISK_MB', 0, 1_048_576),
    trialSandbox: sandboxConfig(env),
    testHooks: flag(env, 'AUTODL_TEST_HOOKS'),
    datasetMaxPixels: int(env, 'AUTODL_DATASET_MAX_PIXELS', 1, 2 ** 40),
    uploadThreads: int(env, 'AUTODL_UPLOAD_THREADS', 1, 64),
  };
}

function trainThreads(env: Env): AppConfig['trainThreads'] {
  const raw = env.AUTODL_TRAIN_THREADS?.trim();
  if (raw === undefined || raw === '' || raw === 'auto') return 'auto';
  return int(env, 'AUTODL_TRAIN_THREADS', 1, 256);
}

function logFormat(env: Env, host: HostFacts): AppConfig['logFormat'] {
  const format = oneOf(env, 'LOG_FORMAT', ['auto', 'json', 'pretty'] as const);
  if (format !== 'auto') return format;
  return host.stdoutIsTTY ? 'pretty' : 'json';
}

/**
 * AUTODL_CONSOLE_DIR when set (it must hold an index.html), else the package's `console/dist`
 * when it has been built, else none.
 */
function consoleDir(env: Env, host: HostFacts): string | null {
  const given = env.AUTODL_CONSOLE_DIR?.trim();
  if (given) {
    const dir = path.resolve(given);
    if (!fs.existsSync(path.join(dir, 'index.html'))) {
      throw new ConfigError(
        'AUTODL_CONSOLE_DIR',
        `must be a built console folder with an index.html, got "${given}"`,
      );
    }
    return dir;
  }
  const built = path.join(host.packageRoot, CONSOLE_BUILD_DIR);
  return fs.existsSync(path.join(built, 'index.html')) ? built : null;
}

function sandboxConfig(env: Env): TrialSandboxConfig {
  try {
    return loadTrialSandboxConfig(env);
  } catch (error) {
    if (error instanceof SandboxConfigError) throw new ConfigError(error.variable, error.detail);
    throw error;
  }
}

export const APP_CONFIG = Symbol('APP_CONFIG');

/** The environment a worker process needs to share this process's configuration. */
export function workerEnv(config: PlatformConfig): Record<string, string> {
  return {
    AUTODL_HOME: config.home,
    AUTODL_HEARTBEAT_MS: String(config.heartbeatMs),
    AUTODL_HEARTBEAT_TIMEOUT_MS: String(config.heartbeatTimeoutMs),
    AUTODL_CANCEL_GRACE_MS: String(config.cancelGraceMs),
    AUTODL_MAX_ATTEMPTS: String(config.maxAttempts),
    AUTODL_TF_BACKEND: config.tfBackend,
    AUTODL_TRAIN_THREADS: String(config.trainThreads),
    AUTODL_EXECUTOR: config.executor,
    LOG_LEVEL: config.logLevel,
    // Workers write to the same terminal or pipe: the format resolved here, not re-guessed.
    LOG_FORMAT: config.logFormat,
    ...trialSandboxEnv(config.trialSandbox),
    ...(config.testHooks ? { AUTODL_TEST_HOOKS: '1' } : {}),
  };
}
