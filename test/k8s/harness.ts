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

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
