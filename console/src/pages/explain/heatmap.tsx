// A LIME explanation drawn over its image: the image on one canvas, the superpixel weights on a
// second canvas stacked above it (so the opacity slider repaints only the overlay), and the colour
// scale as a legend.
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useAuthedBitmap } from '../../api/authed-image';
import { decodeSegments, divergingColour, heatmapPixels, highlightPixels } from './overlay';
import { weightScale } from './overlay';

const DISPLAY = 256;

function usePixelsCanvas(
  canvas: React.RefObject<HTMLCanvasElement | null>,
  width: number,
  height: number,
  pixels: Uint8ClampedArray,
) {
  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return;
    ctx.putImageData(new ImageData(new Uint8ClampedArray(pixels), width, height), 0, 0);
  }, [canvas, width, height, pixels]);
}

function ImageCanvas({ path, label }: { path: string; label: string }) {
  const img = useAuthedBitmap(path);
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx || !img) return;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(img, 0, 0, DISPLAY, DISPLAY);
  }, [img]);
  return (
    <canvas
      ref={ref}
      width={DISPLAY}
      height={DISPLAY}
      className="layer"
      role="img"
      aria-label={label}
    />
  );
}

export function ColourScale({ scale }: { scale: number }) {
  const stops = [-1, -0.5, 0, 0.5, 1].map((t) => `rgb(${divergingColour(t).join(',')})`);
  return (
    <figure className="colour-scale" aria-label="Colour scale of the LIME weights">
      <div
        className="bar"
        style={{ background: `linear-gradient(to right, ${stops.join(',')})` }}
      />
      <figcaption>
        <span>−{scale.toPrecision(2)} (against)</span>
        <span>0</span>
        <span>+{scale.toPrecision(2)} (for)</span>
      </figcaption>
    </figure>
  );
}

export interface ImageExplanationView {
  width: number;
  height: number;
  segments: number[];
  weights: number[];
}

export function HeatmapOverlay({
  input,
  explanation,
  caption,
}: {
  /** Path of the image PNG (the explanation's input artifact). */
  input: string;
  explanation: ImageExplanationView;
  caption: string;
}) {
  const [opacity, setOpacity] = useState(0.6);
  const sliderId = useId();
  const segments = useMemo(() => decodeSegments(explanation.segments), [explanation.segments]);
  const pixels = useMemo(
    () => heatmapPixels(segments, explanation.weights, opacity),
    [segments, explanation.weights, opacity],
  );
  const overlay = useRef<HTMLCanvasElement>(null);
  usePixelsCanvas(overlay, explanation.width, explanation.height, pixels);
  return (
    <figure className="heatmap">
      <div className="stack" style={{ width: DISPLAY, height: DISPLAY }}>
        <ImageCanvas path={input} label={`Explained image: ${caption}`} />
        <canvas
          ref={overlay}
          width={explanation.width}
          height={explanation.height}
          className="layer overlay"
          data-opacity={opacity}
          role="img"
          aria-label={`LIME heatmap overlay: ${caption}`}
        />
      </div>
      <label htmlFor={sliderId}>Heatmap opacity</label>{' '}
      <input
        id={sliderId}
        type="range"
        min={0}
        max={1}
        step={0.05}
        value={opacity}
        onChange={(e) => setOpacity(Number(e.target.value))}
      />{' '}
      <output htmlFor={sliderId}>{Math.round(opacity * 100)}%</output>
      <ColourScale scale={weightScale(explanation.weights)} />
      <figcaption>{caption}</figcaption>
    </figure>
  );
}

/** One superpixel concept shown where it comes from: the rest of its image dimmed. */
export function ConceptOnImage({
  input,
  width,
  height,
  segments,
  segment,
  caption,
}: {
  input: string;
  width: number;
  height: number;
  segments: number[];
  segment: number;
  caption: string;
}) {
  const labels = useMemo(() => decodeSegments(segments), [segments]);
  const pixels = useMemo(() => highlightPixels(labels, segment), [labels, segment]);
  const overlay = useRef<HTMLCanvasElement>(null);
  usePixelsCanvas(overlay, width, height, pixels);
  return (
    <figure className="concept">
      <div className="stack small">
        <ImageCanvas path={input} label={`Image of ${caption}`} />
        <canvas ref={overlay} width={width} height={height} className="layer overlay" aria-hidden />
      </div>
      <figcaption>{caption}</figcaption>
    </figure>
  );
}
