/**
 * The command line and environment of a sandboxed trial (pure: no I/O, no process.env).
 *
 * The process tree, all in one process group (the spawner makes the first process its leader):
 *
 *   setpriv --pdeathsig HUP -- sh -c GUARD   root (the service's user): a guard that outlives
 *                                            nothing: when the worker dies, the kernel sends it
 *                                            SIGHUP (PR_SET_PDEATHSIG) and it SIGKILLs the group
 *     setpriv --reuid U --regid G ...        drop to the trial user, no supplementary groups, no
 *                                            capabilities, no_new_privs (setuid binaries inert)
 *       prlimit --cpu --as --nofile --nproc  hard = soft limits, so the trial cannot raise them
 *         argv...                            the user's command, in its own work directory
 *
 * setpriv and prlimit are util-linux (present in Debian's essential set and the image). When the
 * service does not run as root the uid cannot change: the guard, the clean environment, the
 * work directory and the limits still apply (docs/security.md says what that leaves open).
 */

export interface TrialLimits {
  /** RLIMIT_CPU: CPU seconds; the kernel sends SIGXCPU, then SIGKILL at the hard limit. */
  cpuSeconds: number;
  /** RLIMIT_AS: bytes of address space (allocations beyond it fail). */
  addressSpaceBytes: number;
  /** RLIMIT_NOFILE. */
  openFiles: number;
  /** RLIMIT_NPROC: processes and threads of the trial user (all its trials on the host). */
  processes: number;
}

export interface SandboxPlanInput {
  argv: readonly string[];
  limits: TrialLimits;
  /** The account to drop to; null when the service cannot change uid (not root). */
  dropTo: { uid: number; gid: number } | null;
}

/**
 * The guard: forwards nothing, waits for the trial, and exits like it did (a trial killed by a
 * signal makes the guard kill itself with the same signal). SIGTERM from the worker (prune,
 * wall clock, cancel) reaches the trial through the group; the guard survives it (`:`) so that
 * the worker's SIGKILL after the grace period still finds the group. Caught traps are reset to
 * the default in the `&` child, so the trial gets ordinary signal dispositions.
 */
export const GUARD_SCRIPT = [
  "trap 'kill -KILL 0' HUP",
  "trap ':' TERM",
  '"$@" &',
  'c=$!',
  'while :; do wait "$c"; s=$?; kill -0 "$c" 2>/dev/null || break; done',
  'if [ "$s" -gt 128 ] && [ "$s" -lt 160 ]; then trap - TERM HUP; kill -$((s - 128)) $$; fi',
  'exit "$s"',
].join('\n');

export function sandboxCommand(input: SandboxPlanInput): { file: string; args: string[] } {
  const { argv, limits, dropTo } = input;
  if (argv.length === 0 || argv[0] === '') throw new Error('sandboxCommand: empty argv');
  if (dropTo && (dropTo.uid === 0 || dropTo.gid === 0))
    throw new Error('sandboxCommand: refusing to run a trial as root');
  const drop = dropTo
    ? [
        'setpriv',
        `--reuid=${dropTo.uid}`,
        `--regid=${dropTo.gid}`,
        '--clear-groups',
        '--inh-caps=-all',
        '--no-new-privs',
        '--',
      ]
    : ['setpriv', '--no-new-privs', '--'];
  const limit = [
    'prlimit',
    `--cpu=${limits.cpuSeconds}`,
    `--as=${limits.addressSpaceBytes}`,
    `--nofile=${limits.openFiles}`,
    `--nproc=${limits.processes}`,
    '--',
  ];
  return {
    file: 'setpriv',
    args: [
      '--pdeathsig',
      'HUP',
      '--',
      '/bin/sh',
      '-c',
      GUARD_SCRIPT,
      'autodl-trial-guard',
      ...drop,
      ...limit,
      ...argv,
    ],
  };
}

export interface SandboxEnvInput {
  /** The service's PATH (not secret; lets `python3` resolve as it does for the service). */
  path: string;
  workDir: string;
  /** The study's declared `runner.env`. */
  declared: Readonly<Record<string, string>>;
  /** AUTODL_TRIAL_* and AUTODL_STUDY_ID; they win over declared names. */
  trial: Readonly<Record<string, string>>;
}

/** The whole environment of a trial: nothing of the service's is inherited. */
export function sandboxEnv(input: SandboxEnvInput): Record<string, string> {
  return {
    PATH: input.path,
    HOME: input.workDir,
    TMPDIR: input.workDir,
    LANG: 'C.UTF-8',
    ...input.declared,
    ...input.trial,
  };
}
