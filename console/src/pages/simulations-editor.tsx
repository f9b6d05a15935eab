import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { ApiError, postJson } from '../api/client';
import type { SimJob, ValidateAnswer } from './simulations-types';

const EXAMPLE = {
  pipeline: {
    name: 'small',
    stages: [
      { id: 'front', instances: 2, service: { dist: 'exponential', fixedMs: 1 }, next: ['dnn'] },
      {
        id: 'dnn',
        instances: 2,
        batch: { maxSize: 8, maxDelayMs: 2 },
        service: { dist: 'deterministic', fixedMs: 4, perItemMs: 0.5 },
      },
    ],
  },
  traffic: { model: 'poisson', rateRps: 200 },
  durationS: 10,
};

type Check =
  | { state: 'idle' | 'checking' }
  | { state: 'json'; message: string }
  | { state: 'done'; answer: ValidateAnswer };

/** Parses the text; a JSON syntax error is reported locally, anything else by the server. */
function parse(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/**
 * A simulation request as JSON, checked against the server's own rules as the user types
 * (debounced POST /v1/simulations:validate, which queues nothing), and a Run button. Shown to
 * member and admin keys only: the server refuses every POST of a viewer key.
 */
export function PipelineEditor() {
  const [text, setText] = useState(() => JSON.stringify(EXAMPLE, null, 2));
  const [check, setCheck] = useState<Check>({ state: 'idle' });
  const [runError, setRunError] = useState<string | null>(null);
  const navigate = useNavigate();

  useEffect(() => {
    const parsed = parse(text);
    if ('error' in parsed) {
      setCheck({ state: 'json', message: parsed.error });
      return;
    }
    let stale = false;
    setCheck({ state: 'checking' });
    const timer = setTimeout(() => {
      postJson<ValidateAnswer>('/v1/simulations:validate', parsed.value)
        .then((answer) => !stale && setCheck({ state: 'done', answer }))
        .catch((e: unknown) => {
          if (stale) return;
          const problems =
            e instanceof ApiError
              ? (e.problem.errors ?? [{ field: '', message: e.message }]).map((p) => ({
                  field: p.field ?? '',
                  message: p.message,
                  kind: 'validation' as const,
                }))
              : [{ field: '', message: String(e), kind: 'validation' as const }];
          setCheck({ state: 'done', answer: { valid: false, problems } });
        });
    }, 400);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [text]);

  const valid = check.state === 'done' && check.answer.valid;

  async function run() {
    setRunError(null);
    const parsed = parse(text);
    if ('error' in parsed) return;
    try {
      const job = await postJson<SimJob<unknown>>('/v1/simulations', parsed.value);
      void navigate(`/simulations/${job.id}`);
    } catch (e) {
      setRunError(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <section aria-labelledby="editor-title">
      <h2 id="editor-title">Pipeline editor</h2>
      <label htmlFor="pipeline-json">Simulation request (JSON: pipeline, traffic, durationS)</label>
      <textarea
        id="pipeline-json"
        rows={22}
        cols={80}
        spellCheck={false}
        value={text}
        aria-describedby="pipeline-check"
        onChange={(e) => setText(e.target.value)}
        style={{ fontFamily: 'monospace', width: '100%' }}
      />
      <div id="pipeline-check" role="status" aria-live="polite">
        {check.state === 'checking' && <p>Checking…</p>}
        {check.state === 'json' && <p className="error">Not JSON: {check.message}</p>}
        {check.state === 'done' && check.answer.valid && <p>Valid: the simulator accepts it.</p>}
        {check.state === 'done' && !check.answer.valid && (
          <ul aria-label="Problems" className="error">
            {check.answer.problems.map((p, i) => (
              <li key={i}>
                <code>{p.field || '(request)'}</code>: {p.message}
                {p.kind === 'unprocessable' ? ' (unprocessable)' : ''}
              </li>
            ))}
          </ul>
        )}
      </div>
      <button type="button" disabled={!valid} onClick={() => void run()}>
        Run simulation
      </button>
      {runError && <p role="alert">{runError}</p>}
    </section>
  );
}
