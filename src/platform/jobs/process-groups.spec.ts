import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AttemptProcessGroups,
  killProcessGroup,
  processStartTicks,
  reapOrphanGroups,
} from './process-groups';

/** A detached shell with a child of its own: a process group of two, like a command trial. */
function startGroup(): { leader: number; member: () => number | null } {
  const proc = spawn('sh', ['-c', 'sleep 300 & echo $!; wait'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let member: number | null = null;
  proc.stdout.on('data', (b: Buffer) => (member = Number(b.toString().trim())));
  proc.unref();
  return { leader: proc.pid!, member: () => member };
}

function running(pid: number): boolean {
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(20);
  return check();
}

test('the groups a dead worker of this host recorded are killed at the next start; live workers and other hosts are left alone', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-pgids-'));
  const dead = startGroup();
  const live = startGroup();
  try {
    assert.ok(await until(() => dead.member() !== null && live.member() !== null));
    const deadWorker = `${os.hostname()}:999999999:abc`;
    const liveWorker = `${os.hostname()}:${process.pid}:def`;
    new AttemptProcessGroups({ jobId: 'j1', workerId: deadWorker, attempt: 1 }, dir).add(
      dead.leader,
    );
    new AttemptProcessGroups({ jobId: 'j2', workerId: liveWorker, attempt: 1 }, dir).add(
      live.leader,
    );
    fs.writeFileSync(path.join(dir, `elsewhere:1:x.pgids`), `${live.leader} 0 j3 1\n`);
    const killed = reapOrphanGroups(dir, (id) => id === liveWorker);
    assert.equal(killed, 1);
    assert.ok(await until(() => !running(dead.leader) && !running(dead.member()!)));
    assert.ok(running(live.leader) && running(live.member()!), 'a live worker keeps its group');
    assert.deepEqual(
      fs.readdirSync(dir).sort(),
      ['elsewhere:1:x.pgids', `${liveWorker}.pgids`].sort(),
    );
  } finally {
    for (const g of [dead, live])
      killProcessGroup({ pgid: g.leader, startTicks: 0, jobId: '', attempt: 0 });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a recorded group whose number now names another process is not signalled (pid reuse)', async () => {
  const group = startGroup();
  try {
    const ticks = processStartTicks(group.leader);
    assert.ok(ticks > 0, 'start time read from /proc');
    assert.equal(
      killProcessGroup({ pgid: group.leader, startTicks: ticks + 1, jobId: 'j', attempt: 1 }),
      false,
    );
    assert.ok(running(group.leader));
    assert.equal(
      killProcessGroup({ pgid: group.leader, startTicks: ticks, jobId: 'j', attempt: 1 }),
      true,
    );
    assert.ok(await until(() => !running(group.leader)));
  } finally {
    killProcessGroup({ pgid: group.leader, startTicks: 0, jobId: '', attempt: 0 });
  }
});

test('at the end of an attempt its groups are killed, even when the leader already exited', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-pgids-'));
  // The leader exits at once; its background child keeps the group alive.
  const proc = spawn('sh', ['-c', 'sleep 300 & echo $!'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let member = 0;
  proc.stdout.on('data', (b: Buffer) => (member = Number(b.toString().trim())));
  const groups = new AttemptProcessGroups({ jobId: 'j', workerId: 'w', attempt: 1 }, dir);
  groups.add(proc.pid!);
  try {
    await new Promise((r) => proc.on('exit', r));
    assert.ok(await until(() => member > 0 && running(member)));
    groups.killAll();
    assert.ok(await until(() => !running(member)), 'the leftover child of the group is gone');
    assert.deepEqual(fs.readdirSync(dir), [], 'the worker file is removed once empty');
  } finally {
    killProcessGroup({ pgid: proc.pid!, startTicks: 0, jobId: '', attempt: 0 });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
