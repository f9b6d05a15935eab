"""M/M/c in SimPy 2 (Debian python3-simpy 2.3), the reference of bench/jizhi-sim/vs-simpy.ts.

The textbook SimPy 2 model: a Source process activates one Customer process per Poisson arrival;
each customer requests one unit of a Resource with c units (FIFO), holds an exponential service
time, releases, and appends its time in system to a list. At the end the latencies are sorted for
p50/p99 (what an end-to-end run has to report). Prints one JSON line.

Usage: /usr/bin/python3 bench/jizhi-sim/simpy_mmc.py RATE SERVICE_S SERVERS DURATION_S SEED
"""
import json
import random
import sys
import time

from SimPy.Simulation import Process, Resource, activate, hold, initialize, now, release, request, simulate


def main():
    rate, service_s, servers, duration_s, seed = (
        float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
    rng = random.Random(seed)
    latencies = []

    class Customer(Process):
        def visit(self, res):
            arrived = now()
            yield request, self, res
            yield hold, self, rng.expovariate(1.0 / service_s)
            yield release, self, res
            latencies.append(now() - arrived)

    class Source(Process):
        def generate(self, res):
            while True:
                yield hold, self, rng.expovariate(rate)
                if now() >= duration_s:
                    return
                c = Customer()
                activate(c, c.visit(res))

    t0 = time.perf_counter()
    c0 = time.process_time()
    initialize()
    res = Resource(capacity=servers, monitored=False)
    src = Source()
    activate(src, src.generate(res))
    simulate(until=duration_s * 10)
    latencies.sort()
    n = len(latencies)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(json.dumps({
        'completed': n,
        'meanMs': 1000 * sum(latencies) / n,
        'p50Ms': 1000 * latencies[int(0.5 * (n - 1))],
        'p99Ms': 1000 * latencies[int(0.99 * (n - 1))],
        'wallS': wall,
        'cpuS': cpu,
    }))


if __name__ == '__main__':
    main()
