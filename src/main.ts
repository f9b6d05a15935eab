import { startApp } from './app';
import { loadServiceConfig } from './capability-config';
import { ConfigError } from './platform/config/app-config';

/** HTTP API entry: `node dist/main.js` (the same as `autodl serve`). */
async function main(): Promise<void> {
  const running = await startApp(loadServiceConfig());
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      running.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigError ? `${error.message}\n` : `failed to start: ${String(error)}\n`,
  );
  process.exit(1);
});
