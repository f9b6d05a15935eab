import type * as tf from '@tensorflow/tfjs';

/**
 * Where personalised heads are kept on the device: a TF.js IOHandler per key (save and load).
 * Only the head is stored; the base model stays the shared bundle.
 */
export interface HeadStore {
  /** An IOHandler, or a URL one of TF.js' registered routers handles (`indexeddb://...`). */
  handler(key: string): tf.io.IOHandler | string;
}

/** The browser's IndexedDB (TF.js' own `indexeddb://` handler), under `autodl-edge/<key>`. */
export function indexedDbHeadStore(): HeadStore {
  return { handler: (key) => `indexeddb://autodl-edge/${key}` };
}

/** The platform's default store: IndexedDB in a browser; on Node pass `fileHeadStore(dir)`. */
export function defaultHeadStore(): HeadStore {
  if (typeof (globalThis as { indexedDB?: unknown }).indexedDB === 'undefined') {
    throw new Error(
      'no IndexedDB here: on Node pass a store, e.g. fileHeadStore(dir) from @autodl/edge/node',
    );
  }
  return indexedDbHeadStore();
}
