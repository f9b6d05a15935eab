import type { Command } from 'commander';
import { registerSearchCommands } from './commands/search';
import { registerSimCommands } from './commands/sim';
import { registerModelCommands } from './commands/models';
import { registerExplainCommand } from './commands/explain';
import { registerNasCommands } from './commands/nas';

/** Capability command groups (search, finetune, explain, sim, nas) register themselves here. */
export const CLI_COMMANDS: ((program: Command) => void)[] = [
  registerSearchCommands,
  registerSimCommands,
  registerModelCommands,
  registerExplainCommand,
  registerNasCommands,
];
