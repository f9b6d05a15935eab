import { startApp } from './app';
import { ConfigError, loadConfig } from './platform/config/config';

/** HTTP API entry: `node dist/main.js` (the same as `autodl serve`). */
async function main(): Promise<void> {
  const running = await startApp(loadConfig());
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
