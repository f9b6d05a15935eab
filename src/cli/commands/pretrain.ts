/** `autodl pretrain`: train a zoo architecture on a data set and register the model. */
import { Command } from 'commander';
import {
  finiteNumber as num,
  resourcesFromFlags,
  wholeNumber as int,
  withResourceFlags,
} from '../flags';
import { trainAndShow } from '../model-view';

export function registerPretrainCommand(program: Command): void {
  withResourceFlags(
    program
      .command('pretrain')
      .description('train a zoo architecture on a data set and register the model')
      .requiredOption('--dataset <ds>', 'data set name or id')
      .requiredOption(
        '--arch <name>',
        'small-cnn | small-resnet | mobilenet | mlp | text-classifier',
      )
      .option('--epochs <n>', 'training epochs')
      .option('--batch-size <n>', 'mini-batch size')
      .option('--lr <rate>', 'learning rate')
      .option('--seed <n>', 'seed')
      .option('--name <name>', 'name of the registered model'),
  ).action(async (o: Record<string, string | undefined>, cmd: Command) => {
    const body: Record<string, unknown> = {
      dataset: String(o.dataset),
      architecture: o.arch,
    };
    if (o.epochs !== undefined) body.epochs = int(o.epochs, '--epochs');
    if (o.batchSize !== undefined) body.batchSize = int(o.batchSize, '--batch-size');
    if (o.lr !== undefined) body.learningRate = num(o.lr, '--lr');
    if (o.seed !== undefined) body.seed = int(o.seed, '--seed');
    if (o.name !== undefined) body.name = o.name;
    const resources = resourcesFromFlags(o);
    if (resources) body.resources = resources;
    await trainAndShow(cmd, '/v1/pretrain', body);
  });
}
