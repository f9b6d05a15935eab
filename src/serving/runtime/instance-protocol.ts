/** Messages between a deployment runtime and its model-instance threads (instance-worker.ts). */

export interface InstanceWorkerData {
  modelDir: string;
  /** A cheaper model run instead when the queue is long (the deployment's cut-off). */
  cutoffModelDir?: string;
  backend: string;
}

export type ToInstance =
  | { type: 'batch'; seq: number; size: number; cut: boolean; input: Float32Array }
  | { type: 'stop' };

export type FromInstance =
  | {
      type: 'ready';
      backend: string;
      inputShape: number[];
      outputSize: number;
    }
  | { type: 'result'; seq: number; output: Float32Array; computeMs: number }
  | { type: 'failed'; seq: number; message: string }
  | { type: 'fatal'; message: string };
