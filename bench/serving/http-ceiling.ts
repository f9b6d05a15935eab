/**
 * The request path's ceiling over HTTP (issue 17): closed-loop clients saturate
 * `POST /v1/serve/:name/predict` of the real API (a child process) with a JSON body and with the
 * binary body (little-endian float32, `application/octet-stream`), and the same runtime's ceiling
 * in process is beside them. Prints req/s and the API main thread's CPU per request. One command:
 *
 *   nice -n 10 node -r @swc-node/register bench/serving/http-ceiling.ts [--quick] [--seconds 8]
 *        [--clients 32] [--model small-cnn] [--cpu-prof dir] [--api-root checkout]
 *
 * `--api-root` runs the API of another checkout (e.g. a worktree of an older commit, to compare
 * before and after in one sitting).
 */
import { deployBenchModel, mainThreadCpuMs, startApiServer } from './http-server';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const seconds = Number(flag('seconds') ?? (quick ? 4 : 10));
const clients = Number(flag('clients') ?? 32);
const modelName = flag('model') ?? 'small-cnn';

async function closedLoop(
  send: () => Promise<boolean>,
  s: number,
): Promise<{ rps: number; ok: number; failed: number }> {
  let ok = 0;
  let failed = 0;
  const until = performance.now() + s * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        if (await send()) ok++;
        else failed++;
      }
    }),
  );
  return { rps: ok / ((performance.now() - t0) / 1000), ok, failed };
}

async function main(): Promise<void> {
  const api = await startApiServer({ cpuProfDir: flag('cpu-prof'), root: flag('api-root') });
  try {
    const size = (await deployBenchModel(api, modelName)).inputSize;
    const pixels = Array.from({ length: size }, (_, i) => ((i * 7919) % 997) / 997);
    const json = JSON.stringify({ instance: pixels });
    const binary = new Uint8Array(Float32Array.from(pixels).buffer);
    const url = `${api.url}/v1/serve/bench/predict`;
    const auth = { authorization: `Bearer ${api.key}` };
    const bodies = {
      json: { body: json, headers: { ...auth, 'content-type': 'application/json' } },
      binary: {
        body: binary,
        headers: {
          ...auth,
          'content-type': 'application/octet-stream',
          accept: 'application/octet-stream',
        },
      },
    } as const;
    const supportsBinary = await fetch(url, { method: 'POST', ...bodies.binary }).then((r) => r.ok);
    console.log(
      `http-ceiling: ${modelName} (${size} inputs), 1 instance, maxSize 8, maxDelayMs 2; ${clients} closed-loop clients x ${seconds} s; node ${process.version}`,
    );
    console.log('| body | req/s | failed | API main-thread CPU per request (ms) |');
    console.log('| --- | --- | --- | --- |');
    for (const kind of ['json', 'binary'] as const) {
      if (kind === 'binary' && !supportsBinary) {
        console.log('| binary | (not supported by this API) | | |');
        continue;
      }
      const b = bodies[kind];
      const send = () =>
        fetch(url, { method: 'POST', ...b }).then(
          async (r) => {
            await r.arrayBuffer();
            return r.ok;
          },
          () => false,
        );
      await closedLoop(send, 1);
      const cpu0 = await mainThreadCpuMs(api.pid);
      const r = await closedLoop(send, seconds);
      const cpu = (await mainThreadCpuMs(api.pid)) - cpu0;
      console.log(
        `| ${kind} | ${r.rps.toFixed(0)} | ${r.failed} | ${(cpu / Math.max(1, r.ok)).toFixed(3)} |`,
      );
    }
  } finally {
    await api.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
