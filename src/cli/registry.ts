import type { Command } from 'commander';

/** Capability command groups (search, finetune, explain, sim, nas) register themselves here. */
export const CLI_COMMANDS: ((program: Command) => void)[] = [];
