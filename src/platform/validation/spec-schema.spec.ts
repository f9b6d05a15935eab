import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { ValidationError } from '../errors/domain-error';
import { specSchema } from './spec-schema';
import { toOpenApi30 } from './openapi-dialect';
import { StringMap, TaggedUnion } from './schema-builders';
import { validationProblems as problems } from '../../../test/support/validation-problems';

const Layer = Type.Object(
  {
    units: Type.Integer({ minimum: 1, maximum: 4096 }),
    activation: Type.Optional(Type.Union([Type.Literal('relu'), Type.Literal('tanh')])),
  },
  { additionalProperties: false },
);
const Spec = Type.Object(
  {
    lr: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.01 }),
    epochs: Type.Integer({ minimum: 1, default: 5 }),
    patience: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { default: null }),
    layers: Type.Array(Layer, { minItems: 1, default: [{ units: 32 }] }),
  },
  { additionalProperties: false },
);

test('defaults are filled in by the schema, the input is left alone, and the output re-parses to itself', () => {
  const spec = specSchema(Spec);
  const raw = { epochs: 3 };
  const parsed = spec.parse(raw);
  assert.deepEqual(parsed, { lr: 0.01, epochs: 3, patience: null, layers: [{ units: 32 }] });
  assert.deepEqual(raw, { epochs: 3 });
  assert.deepEqual(spec.parse(JSON.parse(JSON.stringify(parsed))), parsed);
  assert.deepEqual(spec.parse(undefined).epochs, 5);
});

test('every bad field is reported at once, by its path, in the service words', () => {
  const got = problems(() =>
    specSchema(Spec).parse({
      lr: 0,
      epochs: 2.5,
      layers: [{ units: 8 }, { units: 0, activation: 'elu', bias: 1 }],
      extra: 1,
    }),
  );
  const byField = Object.fromEntries(got.map((p) => [p.field, p.message]));
  assert.equal(byField['spec.lr'], 'must be > 0, got 0');
  assert.equal(byField['spec.epochs'], 'must be a whole number, got 2.5');
  assert.equal(byField['spec.layers[1].units'], 'must be >= 1, got 0');
  assert.equal(byField['spec.layers[1].bias'], 'unknown field; allowed: units, activation');
  assert.equal(byField['spec.extra'], 'unknown field; allowed: lr, epochs, patience, layers');
  assert.match(byField['spec.layers[1].activation'], /relu|does not match/);
});

test('a required field is named under the body root when the path is empty (request bodies)', () => {
  const body = specSchema(Type.Object({ name: Type.String({ minLength: 1, maxLength: 8 }) }));
  assert.deepEqual(
    problems(() => body.parse({}, '')),
    [{ field: 'name', message: 'is required' }],
  );
  assert.deepEqual(
    problems(() => body.parse({ name: 'much too long' }, '')),
    [{ field: 'name', message: 'must be at most 8 characters, got 13' }],
  );
});

test('refine sees the defaulted value and may narrow it (cross-field rules JSON Schema cannot say)', () => {
  const spec = specSchema(Spec, (s, path) => {
    if (s.patience !== null && s.patience >= s.epochs)
      throw ValidationError.field(`${path}.patience`, `must be below epochs (${s.epochs})`);
    return { ...s, steps: s.epochs * s.layers.length };
  });
  assert.equal(spec.parse({ epochs: 4 }).steps, 4);
  assert.deepEqual(
    problems(() => spec.parse({ patience: 9 })),
    [{ field: 'spec.patience', message: 'must be below epochs (5)' }],
  );
  // A request body is checked at the root (path ''): the refine's field is named without the
  // root's dot, as the schema's own problems are (the federation form placed '.scaffold' nowhere).
  assert.deepEqual(
    problems(() => spec.parse({ patience: 9 }, '')),
    [{ field: 'patience', message: 'must be below epochs (5)' }],
  );
  assert.throws(() => spec.parse({ patience: 9 }, ''), {
    message: 'patience: must be below epochs (5)',
  });
});

test('OpenAPI 3.0 dialect (OpenAPI 3.0.3 Schema Object): nullable unions, const as enum, exclusive bounds as booleans', () => {
  const doc = toOpenApi30(Spec) as { properties: Record<string, Record<string, unknown>> };
  assert.deepEqual(doc.properties.lr, {
    type: 'number',
    minimum: 0,
    exclusiveMinimum: true,
    maximum: 1,
    default: 0.01,
  });
  assert.deepEqual(doc.properties.patience, {
    type: 'integer',
    minimum: 1,
    nullable: true,
    default: null,
  });
  const layer = (
    doc.properties.layers.items as { properties: Record<string, Record<string, unknown>> }
  ).properties;
  assert.deepEqual(layer.activation, {
    anyOf: [
      { type: 'string', enum: ['relu'] },
      { type: 'string', enum: ['tanh'] },
    ],
  });
  assert.equal(JSON.stringify(doc).includes('"const"'), false);
});

test('OpenAPI: a property with a default is optional for clients (the validator fills it in)', () => {
  const doc = toOpenApi30(
    Type.Object({ name: Type.String(), epochs: Type.Integer({ default: 5 }) }),
  ) as { required?: string[] };
  assert.deepEqual(doc.required, ['name']);
  const all = toOpenApi30(Type.Object({ epochs: Type.Integer({ default: 5 }) })) as {
    required?: string[];
  };
  assert.equal(all.required, undefined);
});

test('OpenAPI 3.0 dialect: a map becomes additionalProperties, its key rule is checked but not documented', () => {
  const record = Type.Record(Type.String(), Type.Integer());
  assert.deepEqual(toOpenApi30(record), {
    type: 'object',
    additionalProperties: { type: 'integer' },
  });
  const map = StringMap(Type.Integer(), { pattern: '^[A-Z]+$' });
  assert.deepEqual(toOpenApi30(map), { type: 'object', additionalProperties: { type: 'integer' } });
  const env = specSchema(map);
  assert.deepEqual(env.parse({ A: 1 }), { A: 1 });
  assert.throws(
    () => env.parse({ a: 1 }),
    (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'spec',
  );
});

test('TaggedUnion: only the named branch is checked and defaulted; a wrong tag lists the allowed ones', () => {
  const spec = specSchema(
    Type.Object({
      cache: TaggedUnion('model', [
        Type.Object({ model: Type.Literal('lru'), keys: Type.Integer({ default: 10 }) }),
        Type.Object({ model: Type.Literal('hit-ratio'), hitRatio: Type.Number() }),
      ]),
    }),
  );
  assert.deepEqual(spec.parse({ cache: { model: 'lru' } }), { cache: { model: 'lru', keys: 10 } });
  const parsed = (raw: unknown) => problems(() => spec.parse(raw));
  assert.deepEqual(parsed({ cache: { model: 'hit-ratio' } }), [
    { field: 'spec.cache.hitRatio', message: 'is required' },
  ]);
  assert.deepEqual(parsed({ cache: { model: 'fifo' } }), [
    { field: 'spec.cache.model', message: 'must be one of lru, hit-ratio, got "fifo"' },
  ]);
  assert.deepEqual(parsed({ cache: {} }), [{ field: 'spec.cache.model', message: 'is required' }]);
});

test('a default ajv would never apply (inside a union branch) is refused where the schema is built', () => {
  const dp = Type.Object({ clipNorm: Type.Number(), delta: Type.Number({ default: 1e-5 }) });
  assert.throws(
    () => specSchema(Type.Object({ dp: Type.Union([dp, Type.Null()], { default: null }) })),
    /schema default at \.dp\|anyOf\[0\]\.delta is inside anyOf\/oneOf/,
  );
  // The union's own default, and a discriminated union's branches, are applied: accepted.
  specSchema(Type.Object({ dp: Type.Union([Type.Null(), Type.String()], { default: null }) }));
  specSchema(
    Type.Object({
      cache: TaggedUnion('model', [
        Type.Object({ model: Type.Literal('lru'), keys: Type.Integer({ default: 10 }) }),
        Type.Object({ model: Type.Literal('fifo') }),
      ]),
    }),
  );
});

test('a nullable object with a bad field: the problem inside it, not the null branch beside it', () => {
  const spec = specSchema(
    Type.Object({
      fusion: Type.Union([Type.Object({ steps: Type.Integer({ minimum: 1 }) }), Type.Null()], {
        default: null,
      }),
    }),
  );
  assert.deepEqual(
    problems(() => spec.parse({ fusion: { steps: 'abc' } }, '')),
    [{ field: 'fusion.steps', message: 'must be a whole number, got "abc"' }],
  );
  // Neither an object nor null: the value itself is named wrong, once.
  assert.deepEqual(
    problems(() => spec.parse({ fusion: 3 }, '')),
    [{ field: 'fusion', message: 'must be an object, got 3' }],
  );
});
