/**
 * Configuration of the command-trial sandbox (docs/security.md), read once from the environment
 * with named defaults; an invalid value stops the start naming the variable (config.ts wraps
 * SandboxConfigError into its ConfigError).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { TrialLimits } from './core/sandbox-plan';

export interface TrialSandboxConfig {
  /**
   * The unprivileged account trials run as when the service runs as root: a user name or
   * `uid[:gid]`. Never root.
   */
  user: string;
  /** Root of the trials' work directories (outside AUTODL_HOME, which is 0700). */
  dir: string;
  limits: TrialLimits;
  /** Wall clock of one trial when its study sets no shorter `runner.timeoutS`. */
  timeoutS: number;
}

export const TRIAL_SANDBOX_DEFAULTS = {
  AUTODL_TRIAL_USER: 'nobody',
  AUTODL_TRIAL_DIR: path.join(os.tmpdir(), 'autodl-trials'),
  AUTODL_TRIAL_CPU_S: 3600,
  // Address space, not resident memory: V8 and CUDA reserve far more than they touch, so the
  // default leaves room for them (Node 20 needs ~1 GiB of reservations to start).
  AUTODL_TRIAL_MEMORY_MB: 16384,
  AUTODL_TRIAL_NOFILE: 1024,
  AUTODL_TRIAL_NPROC: 512,
  AUTODL_TRIAL_TIMEOUT_S: 86400,
} as const;

export class SandboxConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly detail: string,
  ) {
    super(`${variable} ${detail}`);
  }
}

type Env = Record<string, string | undefined>;
type IntVar = Exclude<
  keyof typeof TRIAL_SANDBOX_DEFAULTS,
  'AUTODL_TRIAL_USER' | 'AUTODL_TRIAL_DIR'
>;

function int(env: Env, name: IntVar, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return TRIAL_SANDBOX_DEFAULTS[name];
  if (!/^\d+$/.test(raw))
    throw new SandboxConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new SandboxConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function loadTrialSandboxConfig(env: Env): TrialSandboxConfig {
  const user = env.AUTODL_TRIAL_USER?.trim() || TRIAL_SANDBOX_DEFAULTS.AUTODL_TRIAL_USER;
  if (!/^([a-z_][a-z0-9_-]{0,31}|\d+(:\d+)?)$/.test(user))
    throw new SandboxConfigError(
      'AUTODL_TRIAL_USER',
      `must be a user name or uid[:gid], got "${user}"`,
    );
  if (user === 'root' || /^0(:|$)/.test(user))
    throw new SandboxConfigError('AUTODL_TRIAL_USER', 'must not be root: trials run unprivileged');
  const dir = env.AUTODL_TRIAL_DIR?.trim() || TRIAL_SANDBOX_DEFAULTS.AUTODL_TRIAL_DIR;
  if (!path.isAbsolute(dir))
    throw new SandboxConfigError('AUTODL_TRIAL_DIR', `must be an absolute path, got "${dir}"`);
  return {
    user,
    dir,
    limits: {
      cpuSeconds: int(env, 'AUTODL_TRIAL_CPU_S', 1, 31_536_000),
      addressSpaceBytes: int(env, 'AUTODL_TRIAL_MEMORY_MB', 64, 16_777_216) * 1024 * 1024,
      openFiles: int(env, 'AUTODL_TRIAL_NOFILE', 16, 1_048_576),
      processes: int(env, 'AUTODL_TRIAL_NPROC', 4, 4_194_304),
    },
    timeoutS: int(env, 'AUTODL_TRIAL_TIMEOUT_S', 1, 2_000_000),
  };
}

/** The variables a worker process needs to rebuild this configuration. */
export function trialSandboxEnv(c: TrialSandboxConfig): Record<string, string> {
  return {
    AUTODL_TRIAL_USER: c.user,
    AUTODL_TRIAL_DIR: c.dir,
    AUTODL_TRIAL_CPU_S: String(c.limits.cpuSeconds),
    AUTODL_TRIAL_MEMORY_MB: String(Math.round(c.limits.addressSpaceBytes / 1024 / 1024)),
    AUTODL_TRIAL_NOFILE: String(c.limits.openFiles),
    AUTODL_TRIAL_NPROC: String(c.limits.processes),
    AUTODL_TRIAL_TIMEOUT_S: String(c.timeoutS),
  };
}
