import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  deserializeError,
  type ParsedUpload,
  type SerializedError,
  type UploadParseRequest,
} from './upload-parse';

/**
 * A small pool of worker threads that parse uploaded data sets (upload-parse.ts), so that
 * decoding never blocks the API's event loop: health checks and every other request keep
 * answering while an upload decodes. At most `size` uploads parse at once; more wait in order.
 * Threads start on demand and stop after `idleMs` without work, which returns their memory.
 * A thread that dies (out of memory, a crash) fails its upload and is replaced by the next one.
 */
export interface UploadParserOptions {
  size: number;
  idleMs?: number;
}

type Reply =
  | { id: number; ok: true; result: ParsedUpload }
  | { id: number; ok: false; error: SerializedError };

interface Task {
  id: number;
  request: UploadParseRequest;
  resolve(result: ParsedUpload): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
  idleTimer: NodeJS.Timeout | null;
}

// The entry runs from source in development and tests (the TypeScript loader given to node with
// -r is inherited by threads) and from dist in production: the same extension as this file.
const ENTRY = path.join(__dirname, `upload-parse.thread${path.extname(__filename)}`);
const BOOT = `require(require('node:worker_threads').workerData.entry);`;

export class UploadParserPool {
  private readonly slots = new Set<Slot>();
  private readonly waiting: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: UploadParserOptions) {
    if (!(Number.isInteger(options.size) && options.size >= 1)) {
      throw new RangeError(`size must be a positive integer, got ${options.size}`);
    }
  }

  /** Threads alive right now (busy or idle). */
  get threads(): number {
    return this.slots.size;
  }

  parse(request: UploadParseRequest): Promise<ParsedUpload> {
    if (this.closed) return Promise.reject(new Error('the upload parser pool is closed'));
    return new Promise<ParsedUpload>((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, request, resolve, reject });
      this.dispatch();
    });
  }

  /** Nest lifecycle: the app closing stops the threads. */
  onModuleDestroy(): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.waiting.splice(0)) task.reject(new Error('the service is stopping'));
    await Promise.all([...this.slots].map((slot) => this.retire(slot)));
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      let slot = [...this.slots].find((s) => s.task === null);
      if (slot === undefined) {
        if (this.slots.size >= this.options.size) return;
        slot = this.spawn();
      }
      const task = this.waiting.shift() as Task;
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      slot.idleTimer = null;
      slot.task = task;
      const data = task.request.data;
      // Transfer the upload's bytes when they own their ArrayBuffer (multer's are concatenated
      // into one); a view into a shared pool is copied by structured clone instead.
      const own =
        data.buffer instanceof ArrayBuffer &&
        data.byteOffset === 0 &&
        data.byteLength === data.buffer.byteLength;
      slot.worker.postMessage(
        { id: task.id, request: task.request },
        own ? [data.buffer as ArrayBuffer] : [],
      );
    }
  }

  private spawn(): Slot {
    const worker = new Worker(BOOT, { eval: true, workerData: { entry: ENTRY } });
    // Never what keeps the process alive: a request in flight does that.
    worker.unref();
    const slot: Slot = { worker, task: null, idleTimer: null };
    this.slots.add(slot);
    worker.on('message', (reply: Reply) => {
      const task = slot.task;
      if (task === null || task.id !== reply.id) return;
      slot.task = null;
      if (reply.ok) task.resolve(reply.result);
      else task.reject(deserializeError(reply.error));
      this.idle(slot);
      this.dispatch();
    });
    const lost = (error: Error): void => {
      if (!this.slots.delete(slot)) return;
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      slot.task?.reject(error);
      slot.task = null;
      if (!this.closed) this.dispatch();
    };
    worker.on('error', (error) => lost(error));
    worker.on('exit', (code) => lost(new Error(`upload parser thread exited with code ${code}`)));
    return slot;
  }

  private idle(slot: Slot): void {
    if (this.waiting.length > 0) return;
    slot.idleTimer = setTimeout(() => void this.retire(slot), this.options.idleMs ?? 10_000);
    slot.idleTimer.unref();
  }

  private async retire(slot: Slot): Promise<void> {
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    this.slots.delete(slot);
    slot.task?.reject(new Error('the service is stopping'));
    slot.task = null;
    await slot.worker.terminate();
  }
}
