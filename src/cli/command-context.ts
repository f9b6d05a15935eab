import type { Command } from 'commander';
import { ApiClient } from './client';

/** The program's global options (--json, --url, --api-key) as a subcommand sees them. */
export function globalOptions(cmd: Command): { json: boolean; url?: string; apiKey?: string } {
  return cmd.optsWithGlobals();
}

/** The REST client for a subcommand, from the global options. */
export function client(cmd: Command): ApiClient {
  const o = globalOptions(cmd);
  return new ApiClient({ url: o.url, apiKey: o.apiKey });
}
