/** Wiring for tests: a FakeApiServer, its scripted controller and a kubeconfig for it. */
import type { KubeConfig } from '@kubernetes/client-node';
import { FakeApiServer } from './fake-apiserver';
import { kubeConfigFor } from './kubeconfig';
import { ScriptedController, type ScriptedControllerOptions } from './scripted-controller';

export interface FakeCluster {
  api: FakeApiServer;
  controller: ScriptedController;
  kubeConfig: KubeConfig;
  close(): Promise<void>;
}

export async function startFakeCluster(
  options: ScriptedControllerOptions = {},
): Promise<FakeCluster> {
  const api = new FakeApiServer();
  const url = await api.listen();
  const controller = new ScriptedController(api, options);
  return {
    api,
    controller,
    kubeConfig: kubeConfigFor(url),
    async close() {
      controller.stop();
      await api.close();
    },
  };
}

/**
 * Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. A check of
 * the test API server's objects is a look at memory and is repeated every 10 ms; one that asks
 * the app over HTTP takes milliseconds of CPU, so the pause after a check is nine times the check
 * (at most 250 ms): a wait spends at most a tenth of its time checking, where a request every
 * 10 ms kept a third of a core busy for as long as a job ran.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const started = Date.now();
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    const pause = Math.min(250, Math.max(10, 9 * (Date.now() - started)));
    await new Promise((r) => setTimeout(r, pause));
  }
}
