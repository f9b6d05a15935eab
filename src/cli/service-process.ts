import { loadServiceConfig } from '../capability-config';
import type { AppConfig } from '../platform/config/app-config';

/** The service configuration with the command's flags in place of their variables. */
export function configWith(overrides: Record<string, string | undefined>): AppConfig {
  const env = { ...process.env };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) env[k] = v;
  return loadServiceConfig(env);
}

/** SIGINT/SIGTERM run `stop` once, then exit 0 (1 if it failed). */
export function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: shutting down\n`);
    stop().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`shutdown failed: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
