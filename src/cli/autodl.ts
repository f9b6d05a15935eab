/**
 * The `autodl` command line (bin/autodl.js runs runCli): the program, its global options, and
 * how an error is reported (`error: ...` and exit code 1, never a stack trace). Each subcommand
 * is a file of src/cli/commands/, listed in src/cli/registry.ts.
 */
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../platform/config/app-config';
import { DomainError, ValidationError } from '../platform/errors/domain-error';
import { CliError } from './client';
import { CLI_COMMANDS, PLATFORM_COMMANDS } from './registry';

export function buildProgram(): Command {
  const program = new Command('autodl')
    .description(
      'AutoDL service: search, transfer learning, explanations and serving simulation as jobs',
    )
    .option('--json', 'machine-readable JSON output', false)
    .option('--url <url>', 'service URL (AUTODL_URL, default http://127.0.0.1:3000)')
    .option('--api-key <key>', 'API key (AUTODL_API_KEY, default AUTODL_HOME/admin.key)')
    .showHelpAfterError()
    .exitOverride();
  for (const register of [...PLATFORM_COMMANDS, ...CLI_COMMANDS]) register(program);
  return program;
}

function report(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode;
  if (error instanceof CliError || error instanceof ConfigError || error instanceof DomainError) {
    process.stderr.write(`error: ${error.message}\n`);
    const details =
      error instanceof CliError
        ? error.details
        : error instanceof ValidationError
          ? error.problems.map((p) => `${p.field}: ${p.message}`)
          : [];
    for (const d of details) process.stderr.write(`  - ${d}\n`);
    return 1;
  }
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.exitCode = report(error);
  }
}

/**
 * `autodl jobs list | head`: once the reader has what it wants and closes the pipe, stop quietly
 * (as cat or ls do) instead of dying on an unhandled EPIPE with a stack trace.
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
}

if (require.main === module) {
  exitQuietlyOnClosedPipe();
  void runCli(process.argv);
}
