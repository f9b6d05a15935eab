"""Runs Optuna on the problems bench/search/optuna-side-by-side.ts sends it (JSON on stdin) and
prints JSON on stdout. Run it with the interpreter whose Optuna you want to measure: Debian's
/usr/bin/python3 (python3-optuna 3.1) or a venv with Optuna 5.

Modes (field "mode" of the input):
  run:      {"sampler", "settings", "problems", "seeds", "nTrials"} -> per problem and seed the
            observed and noiseless value of every trial, in trial order.
  eval:     {"points": [{"formula", "x"}]} -> the formulas' values (the bench checks they agree
            with src/search/core/benchmark-suite.ts).
  overhead: {"sampler", "settings", "directions", "space", "history", "asks"} -> seconds per ask
            (sampling every parameter) on a study preloaded with the given trials.

The formulas follow Surjanovic & Bingham's Virtual Library of Simulation Experiments, as the
TypeScript suite does.
"""

import json
import math
import sys
import time
import warnings

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")

HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2]
H3_A = [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]]
H3_P = [
    [v * 1e-4 for v in r]
    for r in [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
]
H6_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
H6_P = [
    [v * 1e-4 for v in r]
    for r in [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
]


def branin(x):
    b = 5.1 / (4 * math.pi * math.pi)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x[1] - b * x[0] * x[0] + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10


def hartmann(x, a, p):
    s = 0.0
    for i in range(4):
        inner = 0.0
        for j in range(len(x)):
            inner += a[i][j] * (x[j] - p[i][j]) ** 2
        s -= HARTMANN_ALPHA[i] * math.exp(-inner)
    return s


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    d = len(w)
    s = math.sin(math.pi * w[0]) ** 2
    for i in range(d - 1):
        s += (w[i] - 1) ** 2 * (1 + 10 * math.sin(math.pi * w[i] + 1) ** 2)
    return s + (w[d - 1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[d - 1]) ** 2)


def griewank(x):
    s = 0.0
    prod = 1.0
    for i, v in enumerate(x):
        s += v * v / 4000
        prod *= math.cos(v / math.sqrt(i + 1))
    return s - prod + 1


def rastrigin(x):
    s = 10.0 * len(x)
    for v in x:
        s += v * v - 10 * math.cos(2 * math.pi * v)
    return s


def zakharov(x):
    s1 = 0.0
    s2 = 0.0
    for i, v in enumerate(x):
        s1 += v * v
        s2 += 0.5 * (i + 1) * v
    return s1 + s2**2 + s2**4


def dixon_price(x):
    s = (x[0] - 1) ** 2
    for i in range(1, len(x)):
        s += (i + 1) * (2 * x[i] * x[i] - x[i - 1]) ** 2
    return s


def michalewicz(x):
    s = 0.0
    for i, v in enumerate(x):
        s -= math.sin(v) * math.sin((i + 1) * v * v / math.pi) ** 20
    return s


def ml_like(x):
    lr, wd, batch, layers, act, dropout = x
    a = math.log10(lr) + 2.5
    b = layers - 3
    return (
        a * a
        + 0.5 * a * b
        + 0.3 * b * b
        + 0.5 * (math.log10(wd) + 4) ** 2
        + 0.25 * (math.log2(batch) - 6) ** 2
        + act
        + 4 * (dropout - 0.2) ** 2
    )


FORMULAS = {
    "branin": branin,
    "hartmann3": lambda x: hartmann(x, H3_A, H3_P),
    "hartmann6": lambda x: hartmann(x, H6_A, H6_P),
    "levy": levy,
    "griewank": griewank,
    "rastrigin": rastrigin,
    "zakharov": zakharov,
    "dixonPrice": dixon_price,
    "michalewicz": michalewicz,
    "mlLike": ml_like,
}


def suggest(trial, name, d):
    if d["type"] == "categorical":
        return trial.suggest_categorical(name, d["choices"])
    if d["type"] == "int":
        return trial.suggest_int(name, d["low"], d["high"], step=d["step"], log=d["log"])
    return trial.suggest_float(name, d["low"], d["high"], step=d.get("step"), log=d["log"])


def to_optuna_distribution(d):
    if d["type"] == "categorical":
        return optuna.distributions.CategoricalDistribution(d["choices"])
    if d["type"] == "int":
        return optuna.distributions.IntDistribution(d["low"], d["high"], log=d["log"], step=d["step"])
    return optuna.distributions.FloatDistribution(d["low"], d["high"], log=d["log"], step=d.get("step"))


def _patch_gp_for_old_torch():
    """Optuna 5's GPSampler wraps its work in `with torch.device("cpu"):`, a context manager
    only since torch 2.0; Debian's python3-torch is 1.13, where CPU is the default anyway, so
    the sampler module gets a torch whose `device(...)` is a no-op context."""
    import contextlib
    import types

    try:
        from optuna.samplers._gp import sampler as gp_module
        import torch
    except ImportError:
        return
    if hasattr(torch.device("cpu"), "__enter__"):
        return
    shim = types.ModuleType("torch_device_shim")
    shim.__dict__.update({k: getattr(torch, k) for k in dir(torch) if not k.startswith("__")})
    shim.device = lambda *a, **k: contextlib.nullcontext()
    gp_module.torch = shim


def make_sampler(name, settings, seed):
    kwargs = dict(settings or {})
    kwargs["seed"] = seed
    classes = {
        "tpe": optuna.samplers.TPESampler,
        "random": optuna.samplers.RandomSampler,
        "cmaes": optuna.samplers.CmaEsSampler,
        "nsga2": optuna.samplers.NSGAIISampler,
        "qmc": optuna.samplers.QMCSampler,
    }
    if hasattr(optuna.samplers, "GPSampler"):
        _patch_gp_for_old_torch()
        classes["gp"] = optuna.samplers.GPSampler
    if hasattr(optuna.samplers, "NSGAIIISampler"):
        classes["nsga3"] = optuna.samplers.NSGAIIISampler
    if name not in classes:
        raise SystemExit(f"optuna {optuna.__version__} has no sampler {name!r} (known: {sorted(classes)})")
    return classes[name](**kwargs)


def run(task):
    out = []
    for problem in task["problems"]:
        formula = FORMULAS[problem["formula"]]
        for k, seed in enumerate(task["seeds"]):
            noise = problem.get("noise")
            truth = []

            def objective(trial):
                x = [suggest(trial, p["name"], p["distribution"]) for p in problem["space"]]
                f = formula(x)
                truth.append(f)
                return f + (noise[k][trial.number] if noise else 0.0)

            study = optuna.create_study(sampler=make_sampler(task["sampler"], task.get("settings"), seed))
            t0 = time.process_time()
            study.optimize(objective, n_trials=task["nTrials"])
            seconds = time.process_time() - t0
            observed = [t.value for t in sorted(study.trials, key=lambda t: t.number)]
            out.append(
                {
                    "problem": problem["name"],
                    "seed": seed,
                    "observed": observed,
                    "truth": truth,
                    "cpuSeconds": seconds,
                }
            )
    return {"optuna": optuna.__version__, "results": out}


def overhead(task):
    space = {p["name"]: to_optuna_distribution(p["distribution"]) for p in task["space"]}
    directions = task.get("directions", ["minimize"])
    sampler = make_sampler(task["sampler"], task.get("settings"), task.get("seed", 0))
    study = optuna.create_study(sampler=sampler, directions=directions)
    trials = []
    for h in task["history"]:
        values = h["values"]
        trials.append(
            optuna.trial.create_trial(
                params=h["params"],
                distributions={k: space[k] for k in h["params"]},
                values=values,
                state=optuna.trial.TrialState.COMPLETE,
            )
        )
    study.add_trials(trials)
    times = []
    for i in range(task["asks"] + 1):
        t0 = time.process_time()
        trial = study.ask()
        for name, d in space.items():
            trial._suggest(name, d)
        if i > 0:  # the first ask warms up caches, as on our side
            times.append(time.process_time() - t0)
        # Fail the trial so the history stays the same for the next ask.
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return {"optuna": optuna.__version__, "cpuSecondsPerAsk": times}


def evaluate(task):
    return {"values": [FORMULAS[p["formula"]](p["x"]) for p in task["points"]]}


def main():
    task = json.load(sys.stdin)
    mode = task["mode"]
    result = {"run": run, "overhead": overhead, "eval": evaluate}[mode](task)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
