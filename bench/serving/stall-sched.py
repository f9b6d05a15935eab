#!/usr/bin/env python3
"""
Who held the cores during the tail's stalls (issue 17, session 14). Joins a recording of the
predicted-vs-measured figure (`--record runs.json`, with the client's socket/flush stamps) with a
scheduler trace of the same run (`perf record -a -k mono -e sched:sched_switch -e sched:sched_wakeup
...`), and per stall (a request over `--stall-ms` between the generator's send() and the API's
'request' event, or a batch's result over it between the instance's end and the main thread's
read; one per 200 ms, as tail-bursts.ts lists them) prints:
  - the state of the API's main thread, the instance thread and the generator's main thread over
    the window (running / runnable but waiting for a core / sleeping), from sched_switch;
  - what each CPU ran in the window, by class: API-main, inst (the API's busiest other thread),
    API-V8 (the API's other threads: V8's platform workers, GC and compiler), GEN-main, GEN-V8,
    the pause loop (bash, pgrep, stat, awk), idle, any other command by name;
and a summary line: how busy both cores were over the windows and whose CPU time filled them.

  /usr/bin/python3 bench/serving/stall-sched.py runs.json perf.data OFFSET THREADS [--stall-ms 12]

OFFSET: CLOCK_REALTIME - CLOCK_MONOTONIC in seconds at the run (the recording's stamps are epoch
ms, perf's are monotonic); THREADS: `ps -eLo pid,tid,ni,comm,args` taken during the run (the API
is the process running src/main.ts, the generator predicted-vs-measured-http.ts).
"""
import collections
import json
import re
import subprocess
import sys

args = [a for a in sys.argv[1:] if not a.startswith('--')]
stall_ms = float(sys.argv[sys.argv.index('--stall-ms') + 1]) if '--stall-ms' in sys.argv else 12.0
if len(args) < 4:
    sys.exit(__doc__)
rec_path, perf_path, offset, threads_path = args[0], args[1], float(args[2]), args[3]

out = subprocess.run(['perf', 'script', '-i', perf_path, '-F', 'tid,cpu,time,event,trace'],
                     capture_output=True, text=True, check=True).stdout
rx = re.compile(r'^\s*(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:sched_switch:\s+prev_comm=(.*?) '
                r'prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)')
switches = []  # (epoch s, cpu, prev tid, prev state, next tid, next comm)
for line in out.splitlines():
    m = rx.match(line)
    if m:
        switches.append((float(m.group(3)) + offset, int(m.group(2)), int(m.group(5)), m.group(6),
                         int(m.group(8)), m.group(7)))

threads = {}
for line in open(threads_path):
    p = line.split(None, 4)
    if len(p) >= 4 and p[1].isdigit():
        threads[int(p[1])] = (int(p[0]), p[4] if len(p) > 4 else '')
api = sorted(t for t, (_, a) in threads.items() if 'src/main.ts' in a)
gen = sorted(t for t, (_, a) in threads.items() if 'predicted-vs-measured' in a)
if not api or not gen:
    sys.exit('the threads file names neither the API (src/main.ts) nor the generator')
api_main, gen_main = min(api), min(gen)

# Per-CPU run intervals, and each key thread's states.
current = {}
runs = []  # (start, end, cpu, tid, comm)
cpu_s = collections.Counter()
for (t, cpu, _, _, nt, nc) in switches:
    if cpu in current:
        s, tid, comm = current[cpu]
        runs.append((s, t, cpu, tid, comm))
        cpu_s[tid] += t - s
    current[cpu] = (t, nt, nc)
instance = max((t for t in api if t != api_main), key=lambda t: cpu_s[t])


def states(tid):
    out, last = [], None
    for (t, _, pt, ps, nt, _) in switches:
        if nt == tid or pt == tid:
            if last:
                out.append((last[0], t, last[1]))
            last = (t, 'run') if nt == tid else (t, 'wait' if ps.startswith('R') else 'sleep')
    return out


key = {'API-main': states(api_main), 'inst': states(instance), 'GEN-main': states(gen_main)}


def who(tid, comm):
    if tid == api_main:
        return 'API-main'
    if tid == instance:
        return 'inst'
    if tid in api:
        return 'API-V8'
    if tid == gen_main:
        return 'GEN-main'
    if tid in gen:
        return 'GEN-V8'
    if tid == 0:
        return 'idle'
    return 'pause loop' if comm in ('pause-loop.sh', 'stat', 'awk', 'pgrep') else comm


def overlap(x, y, a, b):
    return max(0.0, min(y, b) - max(x, a)) * 1000


recordings = json.load(open(rec_path))
n, window_ms, busy_ms = 0, 0.0, 0.0
third = collections.Counter()
for rec in recordings:
    for run in rec['runs']:
        stamps = sorted(run['m']['timeline']['stamps'], key=lambda s: s['sent'])
        last = -1e18
        for s in stamps:
            w = s['arrived'] - s['sent']
            h = s['serviceMs'] - s['computeMs']
            if not (w > stall_ms or h > stall_ms) or s['sent'] - last <= 200:
                continue
            last = s['sent']
            n += 1
            if w > stall_ms:
                a, b = s['sent'] / 1000, s['arrived'] / 1000
                flushed = s.get('flushed')
                kind = f'socket wait {w:.1f} ms' + (
                    f" (bytes to the kernel +{flushed - s['sent']:.2f} ms, "
                    f"{'kept-alive' if s.get('reusedSocket') else 'new'} socket)" if flushed else '')
            else:
                done = s['enqueued'] + s['queueMs']
                a, b = (done + s['computeMs']) / 1000, (done + s['serviceMs']) / 1000
                kind = f'result wait {h:.1f} ms'
            print(f"{rec['model']} rho {run['rho']}: {kind}")
            for k, iv in key.items():
                c = collections.Counter()
                for (x, y, st) in iv:
                    c[st] += overlap(x, y, a, b)
                print(f"    {k}: run {c['run']:.1f}, waiting for a core {c['wait']:.1f}, sleeping {c['sleep']:.1f}")
            for cpu in sorted({r[2] for r in runs}):
                c = collections.Counter()
                for (x, y, cc, tid, comm) in runs:
                    if cc == cpu:
                        c[who(tid, comm)] += overlap(x, y, a, b)
                print(f'    cpu{cpu}: ' + ', '.join(f'{k} {v:.1f}' for k, v in c.most_common() if v >= 0.2))
                window_ms += (b - a) * 1000
                busy_ms += (b - a) * 1000 - c['idle']
                for k, v in c.items():
                    if k not in ('API-main', 'inst', 'idle'):
                        third[k] += v
print(f'{n} stalls; both cores busy {100 * busy_ms / max(window_ms, 1e-9):.0f}% of the windows; '
      'CPU ms of the other threads in them: ' + ', '.join(f'{k} {v:.0f}' for k, v in third.most_common(8)))
