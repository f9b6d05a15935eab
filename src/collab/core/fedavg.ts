/**
 * FedAvg (McMahan et al., "Communication-Efficient Learning of Deep Networks from Decentralized
 * Data", AISTATS 2017): every round each site trains E local epochs from the global weights at a
 * constant learning rate, the coordinator averages the weights weighted by sample count. The
 * baseline arXiv 1810.06877 compares its enlarged synchronisation period with (E = 1 there).
 */
import type {
  FederatedAlgorithm,
  LocalPlan,
  RoundAggregate,
  SiteShare,
} from './federated-algorithm';
import { checkProximalMu } from './fedprox';
import { ScaffoldServer } from './scaffold';
import { averageBySamples, positiveInteger, positiveNumber } from './model-averaging';

export interface FedAvgOptions {
  /** E: local epochs between two synchronisations. */
  localEpochs: number;
  learningRate: number;
  /** FedProx's mu (Li et al. 2020, fedprox.ts); 0 or absent: plain FedAvg. */
  proximalMu?: number;
  /** SCAFFOLD's control variates (scaffold.ts); absent or false: none. */
  scaffold?: boolean;
  /** FedBABU: sites train the body only, the head stays at the global one; absent: false. */
  freezeHead?: boolean;
}

export class FedAvg implements FederatedAlgorithm {
  readonly name = 'fedavg' as const;
  readonly shares = 'weights' as const;
  readonly scaffold: ScaffoldServer | null;

  constructor(private readonly o: FedAvgOptions) {
    this.scaffold = o.scaffold ? new ScaffoldServer() : null;
    positiveInteger('localEpochs', o.localEpochs);
    positiveNumber('learningRate', o.learningRate);
    checkProximalMu(o.proximalMu ?? 0);
  }

  rounds(totalEpochs: number): number {
    return Math.ceil(positiveInteger('epochs', totalEpochs) / this.o.localEpochs);
  }

  localPlan(_round: number): LocalPlan {
    const mu = this.o.proximalMu ?? 0;
    return {
      epochs: this.o.localEpochs,
      learningRate: this.o.learningRate,
      schedule: { kind: 'constant' },
      mixupAlpha: null,
      distillation: null,
      startFromGlobal: true,
      ...(mu > 0 ? { proximalMu: mu } : {}),
      ...(this.scaffold ? { scaffold: true } : {}),
      ...(this.o.freezeHead ? { freezeHead: true } : {}),
    };
  }

  aggregate(shares: readonly SiteShare[]): RoundAggregate {
    return averageBySamples(shares);
  }
}
