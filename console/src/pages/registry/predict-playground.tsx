import { useState } from 'react';
import type { DragEvent, FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { postJson } from '../../api/client';
import type { Model, Prediction } from '../../api/registry-types';

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error ?? new Error('cannot read the file'));
    reader.readAsDataURL(file);
  });
}

/** Parses one CSV row of numbers (the model's features in order). */
export function parseRow(text: string, expected: number): number[] {
  const cells = text
    .trim()
    .split(/[,;\t]/)
    .map((c) => c.trim());
  const values = cells.map(Number);
  const bad = cells.findIndex((c, i) => c === '' || !Number.isFinite(values[i]));
  if (bad >= 0) throw new Error(`value ${bad + 1} (${JSON.stringify(cells[bad])}) is not a number`);
  if (expected > 0 && values.length !== expected)
    throw new Error(`expected ${expected} values, got ${values.length}`);
  return values;
}

/** Drop an image, paste a CSV row or a text (by the model's input kind); shows the probabilities. */
export function PredictPlayground({ model }: { model: Model }) {
  const [input, setInput] = useState('');
  const [preview, setPreview] = useState<string | null>(null);
  const [inputError, setInputError] = useState<string | null>(null);
  const predict = useMutation({
    mutationFn: (body: Record<string, unknown[]>) =>
      postJson<{ predictions: Prediction[] }>(`/v1/models/${model.id}/predict`, body),
  });

  async function predictImage(file: File | undefined) {
    if (!file) return;
    setInputError(null);
    setPreview((old) => (old && URL.revokeObjectURL(old), URL.createObjectURL(file)));
    predict.mutate({ images: [await readAsBase64(file)] });
  }
  function onDrop(e: DragEvent<HTMLElement>) {
    e.preventDefault();
    void predictImage(e.dataTransfer.files[0]);
  }
  function submit(e: FormEvent) {
    e.preventDefault();
    setInputError(null);
    try {
      if (model.inputKind === 'tabular') {
        predict.mutate({ rows: [parseRow(input, model.featureNames?.length ?? 0)] });
      } else {
        predict.mutate({ texts: [input] });
      }
    } catch (err) {
      setInputError((err as Error).message);
    }
  }

  const prediction = predict.data?.predictions[0];
  return (
    <div className="playground">
      {model.inputKind === 'image' ? (
        <label className="dropzone" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
          Drop an image here or choose one ({model.inputShape.join('×')} after resizing){' '}
          <input
            type="file"
            accept="image/png,image/jpeg"
            onChange={(e) => void predictImage(e.target.files?.[0])}
          />
        </label>
      ) : (
        <form onSubmit={submit} aria-label="Predict">
          <label>
            {model.inputKind === 'tabular'
              ? `A CSV row: ${(model.featureNames ?? []).join(', ')}`
              : 'A text'}
            <textarea value={input} rows={3} cols={60} onChange={(e) => setInput(e.target.value)} />
          </label>
          <button type="submit" disabled={predict.isPending || input.trim() === ''}>
            Predict
          </button>
        </form>
      )}
      {preview && (
        <img className="thumb" src={preview} alt="the image sent" width={64} height={64} />
      )}
      {inputError && <p role="alert">{inputError}</p>}
      {predict.error && <p role="alert">{predict.error.message}</p>}
      {prediction && (
        <div role="status">
          <p>
            Predicted <strong>{prediction.label}</strong>
          </p>
          <table aria-label="Class probabilities">
            <thead>
              <tr>
                <th scope="col">Class</th>
                <th scope="col">Probability</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(prediction.probabilities)
                .sort((a, b) => b[1] - a[1])
                .map(([cls, p]) => (
                  <tr key={cls}>
                    <td>{cls}</td>
                    <td>
                      <meter min={0} max={1} value={p} aria-label={`probability of ${cls}`} />{' '}
                      {(p * 100).toFixed(1)}%
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
