import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSse, matches, parseNotice, statusOfMessage } from './live-event';

const P = '11111111-1111-1111-1111-111111111111';
const J = '22222222-2222-2222-2222-222222222222';

test('parseNotice reads the three trigger payloads and refuses anything else', () => {
  assert.deepEqual(parseNotice(JSON.stringify({ t: 'event', id: '42', j: J, p: P, k: 'sleep' })), {
    t: 'event',
    id: '42',
    projectId: P,
    jobId: J,
    kind: 'sleep',
  });
  const progress = parseNotice(
    JSON.stringify({ t: 'progress', j: J, p: P, k: 'sleep', s: 'running', v: 0.5, m: 'half' }),
  );
  assert.deepEqual(progress, {
    t: 'ready',
    projectId: P,
    event: {
      type: 'progress',
      jobId: J,
      kind: 'sleep',
      status: 'running',
      progress: 0.5,
      message: 'half',
    },
  });
  const metric = parseNotice(
    JSON.stringify({ t: 'metric', j: J, p: P, k: 'sleep', n: 'loss', st: 3, v: 0.25 }),
  );
  assert.deepEqual(metric?.t === 'ready' && metric.event, {
    type: 'metric',
    jobId: J,
    kind: 'sleep',
    name: 'loss',
    step: 3,
    value: 0.25,
  });
  for (const bad of [
    undefined,
    '',
    'not json',
    '{"t":"event","j":"x"}',
    '{"t":"other","j":"a","p":"b"}',
  ])
    assert.equal(parseNotice(bad), null, String(bad));
});

test('matches: the project always, then the optional job and kind', () => {
  const e = { jobId: J, kind: 'sleep' };
  assert.ok(matches({ projectId: P }, P, e));
  assert.ok(!matches({ projectId: P }, 'other', e));
  assert.ok(matches({ projectId: P, jobId: J, kind: 'sleep' }, P, e));
  assert.ok(!matches({ projectId: P, jobId: P }, P, e));
  assert.ok(!matches({ projectId: P, kind: 'noop' }, P, e));
});

test('parseNotice and matches: study notices reach only the streams asking for that study', () => {
  const S = '33333333-3333-4333-8333-333333333333';
  const trials = parseNotice(JSON.stringify({ t: 'trials', s: S, p: P }));
  assert.deepEqual(trials, { t: 'ready', projectId: P, event: { type: 'trials', studyId: S } });
  const study = parseNotice(JSON.stringify({ t: 'study', s: S, p: P, st: 'completed' }));
  assert.deepEqual(study, {
    t: 'ready',
    projectId: P,
    event: { type: 'study', studyId: S, status: 'completed' },
  });
  assert.equal(parseNotice(JSON.stringify({ t: 'trials', p: P })), null);
  assert.equal(parseNotice(JSON.stringify({ t: 'study', s: S, p: P })), null);
  const e = { type: 'trials' as const, studyId: S };
  assert.ok(matches({ projectId: P, studyId: S }, P, e));
  assert.ok(!matches({ projectId: P, studyId: S }, 'other', e));
  assert.ok(!matches({ projectId: P, studyId: J }, P, e));
  assert.ok(!matches({ projectId: P }, P, e), 'job streams do not carry study events');
  assert.ok(!matches({ projectId: P, studyId: S }, P, { jobId: J, kind: 'study' }));
});

test('formatSse: id only for resumable events (HTML standard 9.2 event stream format)', () => {
  assert.equal(
    formatSse({ type: 'metric', jobId: J, kind: 'k', name: 'a', step: 1, value: 2 }),
    `event: metric\ndata: {"type":"metric","jobId":"${J}","kind":"k","name":"a","step":1,"value":2}\n\n`,
  );
  const log = formatSse({
    type: 'log',
    id: '7',
    jobId: J,
    kind: 'k',
    level: 'info',
    message: 'line\nbreak',
    attempt: 1,
    time: '2026-01-01T00:00:00.000Z',
  });
  assert.match(log, /^id: 7\nevent: log\ndata: \{.*\}\n\n$/);
  assert.ok(!log.slice(0, -2).includes('\n\n'), 'a newline inside a message stays escaped');
});

test('statusOfMessage: the first word of a status event, else the fallback', () => {
  assert.equal(statusOfMessage('running on host:1:abc', 'x'), 'running');
  assert.equal(statusOfMessage('failed: boom', 'x'), 'failed');
  assert.equal(statusOfMessage('cancel requested', 'running'), 'running');
});
