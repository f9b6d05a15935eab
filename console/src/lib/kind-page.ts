// The console page made for a job of a given kind, where it has one (a federation's rounds, a
// search's front), so the generic job page can link to it. DOM-free (unit-tested).

const PAGES: Record<string, { path: (id: string) => string; label: string }> = {
  federation: { path: (id) => `/federations/${id}`, label: 'the federation’s rounds and sites' },
  nas: { path: (id) => `/nas/${id}`, label: 'the search’s front and leaderboard' },
  finetune: { path: (id) => `/finetune/${id}`, label: 'the training curves' },
  explain: { path: (id) => `/explanations/${id}`, label: 'the explanation' },
  normlime: { path: (id) => `/explanations/${id}`, label: 'the explanation' },
  simulate: { path: (id) => `/simulations/${id}`, label: 'the simulation’s latency and stages' },
  tune: { path: (id) => `/simulations/tunings/${id}`, label: 'the tuning’s front and configs' },
};

export function kindPage(kind: string, id: string): { to: string; label: string } | null {
  const page = PAGES[kind];
  return page ? { to: page.path(id), label: page.label } : null;
}
