/**
 * Spawns a trial command in the sandbox (core/sandbox-plan.ts): a clean environment, its own
 * work directory under AUTODL_TRIAL_DIR/<jobId> (owned by the trial user, 0700, removed after
 * the trial), the unprivileged trial user when the service runs as root, rlimits, and a guard
 * that kills the trial's process group when its worker dies. The wall clock and the group kill
 * are the caller's (it owns the process): see killProcessGroup.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UnprocessableError } from '../errors/domain-error';
import { sandboxCommand, sandboxEnv } from './core/sandbox-plan';
import type { TrialSandboxConfig } from './sandbox-config';

export interface SandboxedTrial {
  proc: ChildProcess;
  workDir: string;
  /** Wall clock for this trial: the study's timeout capped by the service's. */
  timeoutS: number;
  /** Kills what is left of the group and removes the work directory. */
  dispose(): Promise<void>;
}

export interface TrialSpawnRequest {
  jobId: string;
  argv: readonly string[];
  declaredEnv: Readonly<Record<string, string>>;
  trialEnv: Readonly<Record<string, string>>;
  /** The study's own wall clock (runner.timeoutS), if any. */
  timeoutS: number | null;
}

export class TrialSandbox {
  private account: { uid: number; gid: number } | null | undefined;

  constructor(
    private readonly config: TrialSandboxConfig,
    private readonly serviceUid: number = process.getuid?.() ?? -1,
    private readonly servicePath: string = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  ) {}

  /** The account trials run as: null when the service is not root (no uid change possible). */
  trialAccount(): { uid: number; gid: number } | null {
    if (this.account !== undefined) return this.account;
    if (this.serviceUid !== 0) return (this.account = null);
    const m = /^(\d+)(?::(\d+))?$/.exec(this.config.user);
    if (m) return (this.account = { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) });
    try {
      const id = (flag: string) =>
        Number(execFileSync('id', [flag, this.config.user], { encoding: 'utf8' }).trim());
      return (this.account = { uid: id('-u'), gid: id('-g') });
    } catch {
      throw new UnprocessableError(
        `the trial user "${this.config.user}" (AUTODL_TRIAL_USER) does not exist on this host`,
      );
    }
  }

  async spawn(req: TrialSpawnRequest): Promise<SandboxedTrial> {
    const account = this.trialAccount();
    if (account && (account.uid === 0 || account.gid === 0))
      throw new UnprocessableError('AUTODL_TRIAL_USER resolves to root; refusing to run a trial');
    // The root is traversable but not listable by others (0711): a trial reaches only its own
    // directory, which it owns with 0700.
    await fs.promises.mkdir(this.config.dir, { recursive: true, mode: 0o711 });
    await fs.promises.chmod(this.config.dir, 0o711);
    const workDir = path.join(this.config.dir, req.jobId);
    await fs.promises.rm(workDir, { recursive: true, force: true });
    await fs.promises.mkdir(workDir, { mode: 0o700 });
    if (account) await fs.promises.chown(workDir, account.uid, account.gid);

    const { file, args } = sandboxCommand({
      argv: req.argv,
      limits: this.config.limits,
      dropTo: account,
    });
    const proc = spawn(file, args, {
      cwd: workDir,
      detached: true, // its own process group: prune, wall clock, cancel kill the whole tree
      stdio: ['ignore', 'pipe', 'pipe'],
      env: sandboxEnv({
        path: this.servicePath,
        workDir,
        declared: req.declaredEnv,
        trial: req.trialEnv,
      }),
    });
    const timeoutS = Math.min(req.timeoutS ?? Infinity, this.config.timeoutS);
    return {
      proc,
      workDir,
      timeoutS,
      dispose: async () => {
        killProcessGroup(proc, 'SIGKILL');
        await fs.promises.rm(workDir, { recursive: true, force: true }).catch(() => undefined);
      },
    };
  }
}

/**
 * Signals the trial's whole process group (the guard leads it). Also after the guard exited:
 * a background child of the trial keeps the group alive and must die with it.
 */
export function killProcessGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // The group is already gone.
  }
}
