/**
 * The subcommands of `autodl`, one file each under src/cli/commands/, registered in this order
 * (the order `autodl --help` lists them in). A capability adds its command here.
 */
import type { Command } from 'commander';
import { registerAuditCommand } from './commands/audit';
import { registerCollabCommands } from './commands/collab';
import { registerSiteCommands } from './commands/site';
import { registerDatasetCommands } from './commands/datasets';
import { registerDeployCommands } from './commands/deploy';
import { registerServeDeploymentCommand } from './commands/serve-deployment';
import { registerDoctorCommand } from './commands/doctor';
import { registerExplainCommand } from './commands/explain';
import { registerFinetuneCommand } from './commands/finetune';
import { registerJobCommands } from './commands/jobs';
import { registerKeyCommands } from './commands/keys';
import { registerMigrateCommand } from './commands/migrate';
import { registerModelCommands } from './commands/models';
import { registerNasCommands } from './commands/nas';
import { registerPretrainCommand } from './commands/pretrain';
import { registerProjectCommands } from './commands/projects';
import { registerPruneCommand } from './commands/prune';
import { registerSearchCommands } from './commands/search';
import { registerServeCommand } from './commands/serve';
import { registerSimCommands } from './commands/sim';
import { registerWorkerCommand } from './commands/worker';

export type RegisterCommand = (program: Command) => void;

/** The service, its jobs and its keys. */
export const PLATFORM_COMMANDS: RegisterCommand[] = [
  registerServeCommand,
  registerWorkerCommand,
  registerMigrateCommand,
  registerDoctorCommand,
  registerJobCommands,
  registerKeyCommands,
  registerProjectCommands,
  registerAuditCommand,
];

/** The capabilities' commands. */
export const CLI_COMMANDS: RegisterCommand[] = [
  registerSearchCommands,
  registerSimCommands,
  registerFinetuneCommand,
  registerPretrainCommand,
  registerDatasetCommands,
  registerModelCommands,
  registerDeployCommands,
  registerServeDeploymentCommand,
  registerExplainCommand,
  registerNasCommands,
  registerPruneCommand,
  registerCollabCommands,
  registerSiteCommands,
];
