/**
 * Entry of an upload thread (started by UploadParserPool): parses one request at a time and
 * answers `{ id, ok: true, result }` (the encoded bytes transferred) or `{ id, ok: false, error }`.
 */
import { parentPort } from 'node:worker_threads';
import { parseUpload, serializeError, type UploadParseRequest } from './upload-parse';

const port = parentPort;
if (port === null) throw new Error('upload-parse.thread runs as a worker thread');

port.on('message', (message: { id: number; request: UploadParseRequest }) => {
  Promise.resolve()
    .then(() => parseUpload(message.request))
    .then(
      (result) => {
        const encoded = transferable(result.encoded);
        port.postMessage({ id: message.id, ok: true, result: { ...result, encoded } }, [
          encoded.buffer,
        ]);
      },
      (error: unknown) =>
        port.postMessage({ id: message.id, ok: false, error: serializeError(error) }),
    );
});

/** The bytes in an ArrayBuffer of their own (small Buffers share Node's pool, not transferable). */
function transferable(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  if (
    bytes.buffer instanceof ArrayBuffer &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength
  ) {
    return bytes as Uint8Array<ArrayBuffer>;
  }
  return new Uint8Array(bytes);
}
