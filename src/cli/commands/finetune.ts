/** `autodl finetune`: fine-tune a base model on a data set and register the result. */
import { Command } from 'commander';
import {
  finiteNumber as num,
  resourcesFromFlags,
  wholeNumber as int,
  withResourceFlags,
} from '../flags';
import { trainAndShow } from '../model-view';

export function registerFinetuneCommand(program: Command): void {
  withResourceFlags(
    program
      .command('finetune')
      .description(
        'fine-tune a base model on a data set (PaddleHub-style one-liner) and register the result',
      )
      .requiredOption('--base <model>', 'base model name or id')
      .requiredOption('--dataset <ds>', 'target data set name or id')
      .option(
        '--method <method>',
        'l2 | l2sp | delta | rifle | dtnh+l2sp | dtnh+delta | auto',
        'auto',
      )
      .option('--epochs <n>', 'training epochs')
      .option('--batch-size <n>', 'mini-batch size')
      .option('--lr <rate>', 'learning rate')
      .option('--alpha <a>', 'strength of the transfer term')
      .option('--beta <b>', 'weight decay of the new head')
      .option('--freeze <spec>', 'none | all-but-head | K (first K layers)')
      .option('--patience <n>', 'early stopping patience (epochs)')
      .option('--seed <n>', 'seed')
      .option('--name <name>', 'name of the registered model')
      .option('--record-dynamics', 'store per-sample training dynamics (dynamics.json)'),
  ).action(async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
    const hp: Record<string, unknown> = {};
    if (typeof o.batchSize === 'string') hp.batchSize = int(o.batchSize, '--batch-size');
    if (typeof o.lr === 'string') hp.learningRate = num(o.lr, '--lr');
    if (typeof o.alpha === 'string') hp.alpha = num(o.alpha, '--alpha');
    if (typeof o.beta === 'string') hp.beta = num(o.beta, '--beta');
    if (typeof o.patience === 'string') hp.earlyStoppingPatience = int(o.patience, '--patience');
    if (typeof o.seed === 'string') hp.seed = int(o.seed, '--seed');
    if (typeof o.freeze === 'string')
      hp.freeze = /^\d+$/.test(o.freeze) ? Number(o.freeze) : o.freeze;
    const body: Record<string, unknown> = {
      baseModel: String(o.base),
      dataset: String(o.dataset),
      method: o.method,
      hyperParameters: hp,
    };
    if (typeof o.epochs === 'string') body.epochs = int(o.epochs, '--epochs');
    if (typeof o.name === 'string') body.name = o.name;
    if (o.recordDynamics === true) body.recordDynamics = true;
    const resources = resourcesFromFlags(o);
    if (resources) body.resources = resources;
    await trainAndShow(cmd, '/v1/finetune', body);
  });
}
