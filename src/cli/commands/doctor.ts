/**
 * `autodl doctor`: the ML runtime of this machine or image: backend, visible GPUs, a short conv
 * benchmark. The GPU image's smoke test (`docker run --gpus all <image> node bin/autodl.js
 * doctor`); exits 1 when the backend AUTODL_TF_BACKEND asks for cannot be loaded.
 */
import { Command } from 'commander';
import { loadServiceConfig } from '../../capability-config';
import { globalOptions } from '../command-context';
import { finiteNumber } from '../flags';
import { printJson } from '../output';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check the ML runtime: TF.js backend, visible GPUs, a one-second conv benchmark')
    .option('--seconds <s>', 'length of the conv benchmark', '1')
    .action(async (o: { seconds: string }, cmd: Command) => {
      const seconds = finiteNumber(o.seconds, '--seconds');
      // Loaded on demand: the client commands start without TF.js.
      const { runDoctor } = await import('../../ml/doctor');
      const report = await runDoctor(loadServiceConfig().tfBackend, seconds);
      if (globalOptions(cmd).json) return printJson(report);
      const lines = [
        `backend    ${report.backend} (tfjs ${report.tfjsVersion})`,
        `gpus       ${
          report.gpus.length === 0
            ? 'none visible'
            : report.gpus
                .map(
                  (g) =>
                    `${g.index}: ${g.name}${g.memoryMiB ? `, ${g.memoryMiB} MiB` : ''}${g.computeCapability ? `, sm_${g.computeCapability.replace('.', '')}` : ''}`,
                )
                .join('; ')
        }${report.gpuSource === 'none' ? '' : ` (${report.gpuSource})`}`,
        `conv       ${report.conv.gflops.toFixed(2)} GFLOP/s (${report.conv.iterations} x ${report.conv.shape} in ${report.conv.seconds.toFixed(2)} s)`,
        ...report.warnings.map((w) => `warning    ${w}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
