/**
 * `autodl doctor`'s probes: nvidia-smi's CSV (the format of `--query-gpu=... --format=csv,
 * noheader,nounits`, as printed by driver 535 on an A100 and an H100), the driver's /proc
 * files, the warning for GPUs newer than libtensorflow 2.9's kernels, and the conv benchmark's
 * FLOP count (2 * N*H*W*Cout * K*K*Cin per convolution).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { convBenchmark, runDoctor, testing } from './doctor';

describe('doctor', () => {
  test('nvidia-smi CSV: index, name, memory, driver, compute capability', () => {
    const gpus = testing.parseNvidiaSmi(
      '0, NVIDIA A100-SXM4-40GB, 40960, 535.104.05, 8.0\n1, NVIDIA H100 80GB HBM3, 81559, 535.104.05, 9.0\n',
    );
    assert.deepEqual(gpus[0], {
      index: 0,
      name: 'NVIDIA A100-SXM4-40GB',
      memoryMiB: 40960,
      driver: '535.104.05',
      computeCapability: '8.0',
    });
    assert.equal(gpus[1].computeCapability, '9.0');
  });

  test("the driver's /proc files when nvidia-smi is absent", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gpus-'));
    fs.mkdirSync(path.join(root, '0000:00:04.0'));
    fs.writeFileSync(
      path.join(root, '0000:00:04.0', 'information'),
      'Model: \t\t Tesla T4\nIRQ:   \t\t 38\nGPU UUID: \t GPU-5c2f\n',
    );
    assert.deepEqual(testing.gpusFromProc(root), [
      { index: 0, name: 'Tesla T4', memoryMiB: null, driver: null, computeCapability: null },
    ]);
    assert.deepEqual(testing.gpusFromProc(path.join(root, 'missing')), []);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a report on the CPU backend, with no GPU in a CPU pod (NVIDIA_VISIBLE_DEVICES=void)', async () => {
    process.env.NVIDIA_VISIBLE_DEVICES = 'void';
    const report = await runDoctor('cpu', 0.05);
    assert.equal(report.backend, 'cpu');
    assert.deepEqual(report.gpus, []);
    assert.equal(report.gpuSource, 'none');
    assert.deepEqual(report.warnings, []);
  });
  test('conv benchmark: at least one timed call, GFLOP/s from the FLOP count', () => {
    // On the backend the report above selected (cpu).
    const r = convBenchmark(0.05);
    assert.ok(r.iterations >= 1);
    const flops = 2 * 16 * 32 * 32 * 64 * 3 * 3 * 32 * r.iterations;
    assert.ok(Math.abs(r.gflops - flops / r.seconds / 1e9) < 1e-9);
  });
});
