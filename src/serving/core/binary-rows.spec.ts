import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../platform/errors/domain-error';
import { decodeFloat32Rows, encodeFloat32Rows } from './binary-rows';

test('float32 rows are little-endian IEEE-754 as numpy writes them (1.0 = 00 00 80 3f)', () => {
  // numpy: np.array([[1.0, -2.0], [0.5, 3.0]], '<f4').tobytes()
  const bytes = Uint8Array.from([
    0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x40, 0x40,
  ]);
  const rows = decodeFloat32Rows(bytes, [2]);
  assert.deepEqual(
    rows.map((r) => Array.from(r)),
    [
      [1, -2],
      [0.5, 3],
    ],
  );
  assert.deepEqual(
    encodeFloat32Rows([
      [1, -2],
      [0.5, 3],
    ]),
    bytes,
  );
  // An odd offset into a larger buffer (as a parsed body may be) reads the same values.
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  assert.deepEqual(Array.from(decodeFloat32Rows(shifted.subarray(1), [2, 1])[1]), [0.5, 3]);
});

test('a body that is not whole rows, or holds NaN, is a 400 naming the expected size', () => {
  const err = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof ValidationError);
      return e.message;
    }
    assert.fail('no error');
  };
  assert.match(
    err(() => decodeFloat32Rows(new Uint8Array(100), [28, 28, 1])),
    /body: must be little-endian float32 rows of 784 values \(input \[28, 28, 1\]\), a multiple of 3136 bytes; got 100 bytes/,
  );
  assert.match(
    err(() => decodeFloat32Rows(new Uint8Array(0), [2])),
    /got 0 bytes/,
  );
  const nan = new Uint8Array(8);
  new DataView(nan.buffer).setFloat32(4, Number.NaN, true);
  assert.match(
    err(() => decodeFloat32Rows(nan, [2])),
    /row 0 has a non-finite value at index 1/,
  );
});
