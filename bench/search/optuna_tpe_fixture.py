"""Writes test/fixtures/search/optuna5-tpe-densities.json: for fixed study histories, what Optuna
5's TPESampler would maximise, log l(x) - log g(x), over a grid of candidates, together with the
below/above split. src/search/samplers/tpe-optuna.spec.ts feeds the same histories to our
TpeSampler and compares. Run once (the fixture is committed) with Optuna 5:

    /work/venv-optuna5/bin/python bench/search/optuna_tpe_fixture.py > test/fixtures/search/optuna5-tpe-densities.json

It reproduces the first half of TPESampler._sample (split, then the two Parzen estimators) and
evaluates the estimators on the grid instead of on sampled candidates.

One patch: Optuna sorts the observations with NumPy's default (unstable) argsort to compute the
bandwidths, so which of several equal observations gets which neighbour gap depends on the NumPy
version and CPU (introsort, or SIMD sorts in NumPy 2). That changes nothing for one parameter
but pairs different bandwidths with the other coordinates in multivariate TPE. The fixture pins it
to a stable argsort (ties in trial order), as our port does; without ties both are identical.
"""

import json
import math
import sys
import types
import warnings

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers._tpe.sampler import (
    TPESampler,
    _split_trials,
    default_gamma,
    default_gamma_multiobjective,
)
from optuna.samplers._tpe import parzen_estimator
from optuna.trial import TrialState, create_trial

parzen_estimator.np = types.SimpleNamespace(
    **{k: getattr(np, k) for k in dir(np) if not k.startswith("__")},
)
parzen_estimator.np.argsort = lambda a, **kw: np.argsort(a, kind="stable")

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")

SPACE = {
    "x": ({"type": "float", "low": -5, "high": 10, "log": False}, FloatDistribution(-5, 10)),
    "lr": ({"type": "float", "low": 1e-4, "high": 1, "log": True}, FloatDistribution(1e-4, 1, log=True)),
    "n": ({"type": "int", "low": 0, "high": 20, "log": False, "step": 1}, IntDistribution(0, 20)),
    "k": ({"type": "int", "low": 1, "high": 31, "log": False, "step": 3}, IntDistribution(1, 31, step=3)),
    "units": ({"type": "int", "low": 1, "high": 1000, "log": True, "step": 1}, IntDistribution(1, 1000, log=True)),
    "drop": ({"type": "float", "low": 0, "high": 0.5, "log": False, "step": 0.05}, FloatDistribution(0, 0.5, step=0.05)),
    "act": ({"type": "categorical", "choices": ["relu", "tanh", "gelu", "silu"]}, CategoricalDistribution(["relu", "tanh", "gelu", "silu"])),
}


def grid(name, rng, n_random=None):
    d = SPACE[name][1]
    if isinstance(d, CategoricalDistribution):
        return list(range(len(d.choices)))
    if isinstance(d, IntDistribution):
        values = list(range(d.low, d.high + 1, d.step))
        if len(values) > 60:
            values = sorted(set(int(round(v)) for v in np.geomspace(d.low, d.high, 60)))
        return [float(v) for v in values]
    if d.step is not None:
        k = int(round((d.high - d.low) / d.step))
        return [d.low + i * d.step for i in range(k + 1)]
    if d.log:
        return list(np.geomspace(d.low, d.high, 61))
    return list(np.linspace(d.low, d.high, 61))


def random_params(rng, names):
    out = {}
    for name in names:
        d = SPACE[name][1]
        if isinstance(d, CategoricalDistribution):
            out[name] = d.choices[rng.randint(len(d.choices))]
        elif isinstance(d, IntDistribution):
            values = list(range(d.low, d.high + 1, d.step))
            out[name] = int(values[rng.randint(len(values))]) if not d.log else int(round(math.exp(rng.uniform(math.log(d.low), math.log(d.high)))))
        elif d.step is not None:
            k = int(round((d.high - d.low) / d.step))
            out[name] = round(d.low + rng.randint(k + 1) * d.step, 10)
        elif d.log:
            out[name] = float(math.exp(rng.uniform(math.log(d.low), math.log(d.high))))
        else:
            out[name] = float(rng.uniform(d.low, d.high))
    return out


def objective_value(params):
    v = 0.0
    for name, value in params.items():
        d = SPACE[name][1]
        if isinstance(d, CategoricalDistribution):
            v += d.choices.index(value) * 0.7
        elif d.log:
            v += (math.log(value) - math.log(d.low) * 0.6 - math.log(d.high) * 0.4) ** 2 * 0.1
        else:
            v += ((value - (0.3 * d.low + 0.7 * d.high)) / (d.high - d.low)) ** 2
    return v


def scenario(name, names, n_complete, *, multivariate, constant_liar, direction="minimize",
             n_pruned=0, n_running=0, n_failed=0, constraints=False, seed=0, per_param=False):
    rng = np.random.RandomState(seed)
    study = optuna.create_study(direction=direction)
    dists = {k: SPACE[k][1] for k in names}
    history = []

    def add(state, params, value=None, intermediate=None, cons=None):
        trial = create_trial(
            state=state,
            params=params,
            distributions=dists,
            value=value,
            intermediate_values=intermediate,
            constraints=cons,
        )
        study.add_trial(trial)
        history.append(
            {
                "state": state.name.lower(),
                "params": params,
                "value": value,
                "intermediate": [[s, None if math.isnan(v) else v] for s, v in (intermediate or {}).items()],
                "constraints": None if cons is None else [cons["c0"]],
            }
        )

    kinds = (["complete"] * n_complete + ["pruned"] * n_pruned + ["running"] * n_running + ["failed"] * n_failed)
    order = rng.permutation(len(kinds))
    for j, i in enumerate(order):
        kind = kinds[i]
        params = random_params(rng, names)
        cons = None
        if constraints:
            cons = {"c0": float(rng.uniform(-1, 0.6))}
        if kind == "complete":
            add(TrialState.COMPLETE, params, value=objective_value(params) + 0.01 * j, cons=cons)
        elif kind == "pruned":
            r = rng.randint(4)
            if r == 0:
                inter = {}
            elif r == 1:
                inter = {int(rng.randint(1, 4)): float("nan")}
            else:
                inter = {s: objective_value(params) + s for s in range(1, int(rng.randint(2, 6)))}
            add(TrialState.PRUNED, params, intermediate=inter, cons=cons)
        elif kind == "running":
            add(TrialState.RUNNING, params)
        else:
            add(TrialState.FAIL, params)

    sampler = TPESampler(seed=0, multivariate=multivariate, constant_liar=constant_liar)
    current = study.ask()
    states = [TrialState.COMPLETE, TrialState.PRUNED] + ([TrialState.RUNNING] if constant_liar else [])
    trials = study._get_trials(deepcopy=False, states=states, use_cache=False)
    trials = [t for t in trials if t.number != current.number]
    gamma = default_gamma if len(study.directions) == 1 else default_gamma_multiobjective
    n = sum(t.state != TrialState.RUNNING for t in trials)
    below, above = _split_trials(study, trials, gamma(n))

    def evaluate(space_names, points):
        space = {k: SPACE[k][1] for k in space_names}
        mpe_below = sampler._build_parzen_estimator(study, space, below, handle_below=True)
        mpe_above = sampler._build_parzen_estimator(study, space, above, handle_below=False)
        arrays = {k: np.asarray(points[k], dtype=float) for k in space_names}
        return (mpe_below.log_pdf(arrays) - mpe_above.log_pdf(arrays)).tolist()

    grids = []
    if per_param:
        for k in names:
            pts = {k: grid(k, rng)}
            grids.append({"space": [k], "points": pts, "logRatio": evaluate([k], pts)})
    else:
        pts = {k: [] for k in names}
        for _ in range(60):
            p = random_params(rng, names)
            for k in names:
                d = SPACE[k][1]
                pts[k].append(float(d.to_internal_repr(p[k])))
        grids.append({"space": names, "points": pts, "logRatio": evaluate(names, pts)})

    return {
        "name": name,
        "direction": direction,
        "settings": {"multivariate": multivariate, "constantLiar": constant_liar},
        "space": {k: SPACE[k][0] for k in names},
        "trials": history,
        "below": [t.number for t in below],
        "above": [t.number for t in above],
        "grids": grids,
    }


def main():
    everything = list(SPACE)
    scenarios = [
        scenario("univariate, one float, 40 trials (recency ramp in g)", ["x"], 40,
                 multivariate=False, constant_liar=False, per_param=True),
        scenario("univariate, every parameter type, 30 trials", everything, 30,
                 multivariate=False, constant_liar=False, per_param=True, seed=1),
        scenario("univariate, 3 trials", ["x", "units", "act"], 3,
                 multivariate=False, constant_liar=False, per_param=True, seed=2),
        scenario("univariate, 1 trial (empty g)", ["x", "k"], 1,
                 multivariate=False, constant_liar=False, per_param=True, seed=3),
        scenario("multivariate, every parameter type, 35 trials", everything, 35,
                 multivariate=True, constant_liar=False, seed=4),
        scenario("multivariate, 300 trials (gamma capped at 25)", ["x", "lr", "n", "act"], 300,
                 multivariate=True, constant_liar=False, seed=5),
        scenario("maximise, pruned, running, failed trials, constant liar", ["x", "units", "drop"], 20,
                 multivariate=True, constant_liar=True, direction="maximize",
                 n_pruned=8, n_running=3, n_failed=2, seed=6),
        scenario("constraints: infeasible trials rank after pruned ones", ["x", "n", "act"], 25,
                 multivariate=True, constant_liar=False, n_pruned=4, constraints=True, seed=7),
    ]
    json.dump({"optuna": optuna.__version__, "stableArgsort": True, "scenarios": scenarios}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
