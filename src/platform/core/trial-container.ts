/**
 * The file protocol between a trial running in the user's own image and its collector (Katib's
 * file metrics collector, kubeflow/katib pkg/metricscollector and its pod mutating webhook): on
 * the Kubernetes executor a `trial-command` job whose study names an `image` is one pod with two
 * containers sharing an emptyDir at TRIAL_DIR:
 *
 *  - `trial` (the user's image) runs TRIAL_WRAPPER with `sh`: it waits for the collector's
 *    COMMAND file, runs it with stdout and stderr going both to the pod log and to OUTPUT
 *    (`2>&1 | tee`, as Katib wraps), stops it (SIGTERM, SIGKILL after STOP_GRACE_S) when STOP
 *    appears, and writes the exit code to EXIT once all output is in OUTPUT;
 *  - `worker` (the service image) claims the job as every worker does, writes COMMAND (the
 *    trial's argv and environment), follows OUTPUT for step reports (pruning) and finishes the
 *    trial when EXIT appears; it writes STOP to prune, on a timeout or cancel, and whenever it
 *    ends without having started the command (the user container then exits at once).
 *
 * Why a stop file and not Katib's shared process namespace plus a signal by pid: with
 * `shareProcessNamespace` the user's code (same uid under Pod Security `restricted`) could read
 * the collector's /proc/<pid>/environ, which holds DATABASE_URL; and signalling another
 * container's process needs the same uid or CAP_KILL, which `restricted` drops. The wrapper is
 * the user process's parent in its own container, so it can always signal it and reap its exit
 * code. The price is a stop latency of up to a second (the wrapper's poll).
 */

/** Where both containers mount the shared emptyDir; also the value of TRIAL_DIR_ENV. */
export const TRIAL_DIR = '/autodl-trial';
/** The variable both containers read the shared directory from (the tests map it elsewhere). */
export const TRIAL_DIR_ENV = 'AUTODL_TRIAL_POD_DIR';

export const TRIAL_FILES = {
  /** Written by the collector (atomically): the sh script that execs the user's argv. */
  command: 'command.sh',
  /** Written by the wrapper: everything the command printed (stdout and stderr). */
  output: 'output.log',
  /** Written by the wrapper (atomically) after OUTPUT is complete: the exit code. */
  exit: 'exit',
  /** Written by the collector: stop the command (or do not start it). */
  stop: 'stop',
} as const;

/** Seconds between the wrapper's SIGTERM and SIGKILL. */
export const STOP_GRACE_S = 10;
/** Seconds the wrapper waits for COMMAND before giving up (the collector never started). */
export const COMMAND_WAIT_S = 600;

/**
 * The user container's script, run as `sh -c TRIAL_WRAPPER`: POSIX sh plus `tee` (the user's
 * image needs both, as Katib's wrapper does). A watcher in the background turns STOP into
 * signals; the main path runs the command in a subshell that records its pid and exit code, its
 * output piped through tee; EXIT is written by rename so the collector never reads half of it.
 * The container exits 0: the trial's outcome is the collector's to record, not the pod phase.
 */
export const TRIAL_WRAPPER = [
  'd="$AUTODL_TRIAL_POD_DIR"',
  'n=0',
  `while [ ! -e "$d/${TRIAL_FILES.command}" ]; do`,
  `  [ -e "$d/${TRIAL_FILES.stop}" ] && exit 0`,
  `  [ "$n" -ge ${COMMAND_WAIT_S} ] && { echo "autodl: no trial command after ${COMMAND_WAIT_S} s" >&2; exit 1; }`,
  '  sleep 1; n=$((n+1))',
  'done',
  'stopper() {',
  `  while [ ! -e "$d/${TRIAL_FILES.stop}" ] || [ ! -s "$d/pid" ]; do [ -e "$d/code" ] && return; sleep 1; done`,
  '  kill -TERM "$(cat "$d/pid")" 2>/dev/null',
  `  sleep ${STOP_GRACE_S}`,
  '  kill -KILL "$(cat "$d/pid")" 2>/dev/null',
  '}',
  'stopper </dev/null >/dev/null 2>&1 &',
  'w=$!',
  `: > "$d/${TRIAL_FILES.output}"`,
  `( sh "$d/${TRIAL_FILES.command}" 2>&1 & echo $! > "$d/pid"; wait $!; echo $? > "$d/code" ) | tee -a "$d/${TRIAL_FILES.output}"`,
  'kill "$w" 2>/dev/null',
  `cp "$d/code" "$d/exit.tmp" && mv "$d/exit.tmp" "$d/${TRIAL_FILES.exit}"`,
  'exit 0',
].join('\n');

/** A word for sh: single-quoted, each `'` closed, escaped and reopened. */
export function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * COMMAND's text: the environment exported, then the argv exec'd (so the recorded pid is the
 * user's process, which the wrapper signals). Names are the schema's `[A-Za-z_][A-Za-z0-9_]*`.
 */
export function trialCommandScript(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
): string {
  if (argv.length === 0) throw new Error('a trial command needs a program');
  const lines = Object.entries(env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`bad environment name ${k}`);
    return `export ${k}=${shQuote(v)}`;
  });
  lines.push(`exec ${argv.map(shQuote).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** An exit file's text as an exit code (`143` for SIGTERM, as sh reports it), or null. */
export function parseExitCode(text: string): number | null {
  const t = text.trim();
  return /^\d{1,3}$/.test(t) ? Number(t) : null;
}
