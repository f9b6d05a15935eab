import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv } from './csv';

// Examples of RFC 4180 section 2 (quoted fields, doubled quotes, line breaks inside quotes).
test('parseCsv follows RFC 4180', () => {
  assert.deepEqual(parseCsv('a,b\r\n1,2\r\n'), [
    ['a', 'b'],
    ['1', '2'],
  ]);
  assert.deepEqual(parseCsv('"x, y","say ""hi""","line\nbreak"\n3,,4'), [
    ['x, y', 'say "hi"', 'line\nbreak'],
    ['3', '', '4'],
  ]);
  assert.deepEqual(parseCsv('a\n1\n2\n3', 2), [['a'], ['1']]);
  assert.deepEqual(parseCsv(''), []);
});
