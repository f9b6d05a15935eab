/**
 * A study's default seed: random, as Optuna's samplers seed themselves from the OS when no seed
 * is given (two studies over one space must not propose the same first trials). The seed drawn
 * is recorded on the study, so a study can always be reproduced by passing it back.
 */
import { randomInt } from 'node:crypto';
import { MAX_SEED } from './core/config/study-config';

export function randomSeed(): number {
  return randomInt(0, MAX_SEED);
}
