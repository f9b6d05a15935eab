/**
 * The federation's shared labelled set on the site API (`GET /v1/site/work/:id/shared`): the one
 * direction samples ever cross a site boundary, coordinator to site, and only for a data set the
 * federation's owner declared shared (public or jointly owned, never a site's own). Inputs are
 * float32 in [0, 1] row-major, labels class indices, as the sites' tensors take them.
 */
import { Dataset } from '../ml/data';

export interface SharedSetBody {
  examples: number;
  classNames: string[];
  /** [height, width, channels] */
  shape: [number, number, number];
  labels: number[];
  /** base64 of examples x height x width x channels float32 values. */
  pixels: string;
}

export function encodeSharedSet(ds: Dataset): SharedSetBody {
  const i = ds.inputs;
  if (i.kind !== 'image') throw new Error('a shared set holds images');
  const values = i.shape.height * i.shape.width * i.shape.channels;
  const all = new Float32Array(ds.size * values);
  i.pixels.forEach((p, k) => all.set(p, k * values));
  return {
    examples: ds.size,
    classNames: [...ds.classNames],
    shape: [i.shape.height, i.shape.width, i.shape.channels],
    labels: [...ds.labels],
    pixels: Buffer.from(all.buffer, all.byteOffset, all.byteLength).toString('base64'),
  };
}

/** The site's copy; a body that does not add up is refused (the Dataset checks labels too). */
export function decodeSharedSet(body: SharedSetBody): Dataset {
  const [height, width, channels] = body.shape;
  const values = height * width * channels;
  const bytes = Buffer.from(body.pixels, 'base64');
  if (bytes.byteLength !== body.examples * values * 4 || body.labels.length !== body.examples)
    throw new Error(
      `the shared set does not add up: ${body.examples} examples of ${body.shape.join('x')}, ${bytes.byteLength} bytes, ${body.labels.length} labels`,
    );
  const all = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  const pixels = Array.from({ length: body.examples }, (_, k) =>
    all.subarray(k * values, (k + 1) * values),
  );
  return new Dataset(
    { kind: 'image', shape: { height, width, channels }, pixels },
    body.labels,
    body.classNames,
  );
}
