import { useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { EdgeModel, type Example, type PersonalizeProgress } from '@autodl/edge';
import { storedKey } from '../../auth/session';
import { percent } from './format';
import { imagePixels } from './personalise-images';
import './registry.css';

interface LabelledImage {
  name: string;
  url: string;
  pixels: Float32Array;
  label: string;
}

/**
 * "Personalise in your browser" (issue 15): the model's export bundle is the only thing fetched;
 * the images dropped here are decoded, labelled and trained on in this tab by packages/edge, and
 * nothing is uploaded (the browser test asserts it on the network log).
 */
export default function PersonalisePage() {
  const { id = '' } = useParams();
  const [model, setModel] = useState<EdgeModel | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [images, setImages] = useState<LabelledImage[]>([]);
  const [labelForNew, setLabelForNew] = useState('');
  const [progress, setProgress] = useState<PersonalizeProgress[]>([]);
  const [accuracy, setAccuracy] = useState<{ before: number; after: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const [learningRate, setLearningRate] = useState('0.001');
  const [error, setError] = useState<string | null>(null);
  const urls = useRef<string[]>([]);

  useEffect(() => {
    let live = true;
    let loaded: EdgeModel | null = null;
    EdgeModel.fromBundle(
      { service: window.location.origin, model: id, apiKey: storedKey() ?? undefined },
      { headLayers: 2 },
    ).then(
      (m) => {
        loaded = m;
        if (!live) return m.dispose();
        setModel(m);
        setLabelForNew(m.labels[0]);
      },
      (e: Error) => live && setLoadError(e.message),
    );
    return () => {
      live = false;
      loaded?.dispose();
      urls.current.forEach((u) => URL.revokeObjectURL(u));
    };
  }, [id]);

  if (loadError) return <p role="alert">{loadError}</p>;
  if (!model) return <p aria-busy="true">Loading the model into this tab…</p>;
  if (model.info.input.kind !== 'image') {
    return (
      <p role="alert">
        This page personalises image models; this one takes {model.info.input.kind}.
      </p>
    );
  }

  async function addImages(files: FileList | null) {
    if (!files || !model) return;
    setError(null);
    try {
      const added: LabelledImage[] = [];
      for (const file of Array.from(files)) {
        const url = URL.createObjectURL(file);
        urls.current.push(url);
        added.push({
          name: file.name,
          url,
          pixels: await imagePixels(file, model.info.input.shape),
          label: labelForNew,
        });
      }
      setImages((old) => [...old, ...added]);
      setAccuracy(null);
    } catch (e) {
      setError(`cannot read the image: ${(e as Error).message}`);
    }
  }

  async function train() {
    if (!model) return;
    setBusy(true);
    setError(null);
    setProgress([]);
    try {
      const examples: Example[] = images.map((i) => ({ input: i.pixels, label: i.label }));
      const before = model.evaluate(examples).accuracy;
      const rate = Number(learningRate);
      if (!(rate > 0 && rate <= 1)) throw new Error('the learning rate must be in (0, 1]');
      await model.personalize(examples, {
        seed: 1,
        learningRate: rate,
        onProgress: (p) => setProgress((old) => [...old, p]),
      });
      setAccuracy({ before, after: model.evaluate(examples).accuracy });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const last = progress[progress.length - 1];
  return (
    <section>
      <p>
        <Link to="/models">Models</Link> / <Link to={`/models/${model.info.id}`}>{id}</Link> /
      </p>
      <h1>Personalise in your browser</h1>
      <p>
        The model runs in this tab (TF.js). Your images are decoded, labelled and trained on here:
        nothing is uploaded. Only the last {model.trainableLayers} layers learn.
      </p>
      <fieldset className="upload">
        <legend>Add labelled images</legend>
        <label>
          Label for the images you add{' '}
          <select value={labelForNew} onChange={(e) => setLabelForNew(e.target.value)}>
            {model.labels.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        <label className="dropzone">
          Images (PNG/JPEG, resized to {model.info.input.shape.slice(0, 2).join('×')}){' '}
          <input
            type="file"
            multiple
            accept="image/png,image/jpeg"
            onChange={(e) => void addImages(e.target.files)}
          />
        </label>
      </fieldset>
      <ul className="thumb-grid personalise-images" aria-label="Your images">
        {images.map((img, k) => (
          <li key={img.url}>
            <img className="thumb" src={img.url} alt={img.name} width={64} height={64} />
            <select
              aria-label={`label of ${img.name}`}
              value={img.label}
              onChange={(e) =>
                setImages((old) =>
                  old.map((o, j) => (j === k ? { ...o, label: e.target.value } : o)),
                )
              }
            >
              {model.labels.map((l) => (
                <option key={l}>{l}</option>
              ))}
            </select>
          </li>
        ))}
      </ul>
      <label>
        Learning rate{' '}
        <input
          type="number"
          min="0.0001"
          max="1"
          step="any"
          value={learningRate}
          onChange={(e) => setLearningRate(e.target.value)}
        />
      </label>{' '}
      <button type="button" disabled={busy || images.length < 2} onClick={() => void train()}>
        Train on this device
      </button>
      {busy && last && (
        <p aria-live="polite">
          Epoch {last.epoch}: loss {last.loss.toFixed(3)}, held-out accuracy{' '}
          {percent(Number.isNaN(last.validationAccuracy) ? null : last.validationAccuracy)}
        </p>
      )}
      {error && <p role="alert">{error}</p>}
      {accuracy && (
        <p role="status">
          Accuracy on your {images.length} images: {percent(accuracy.before)} before,{' '}
          {percent(accuracy.after)} after ({progress.length} epochs, nothing uploaded)
        </p>
      )}
    </section>
  );
}
