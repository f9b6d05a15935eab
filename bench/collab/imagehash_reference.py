#!/usr/bin/python3
"""Reference perceptual hashes for src/collab/core/perceptual-hash.spec.ts.

The definitions of the Python `imagehash` library (J. Buchner; average_hash, dhash, phash), on
Pillow's Image.resize(..., LANCZOS) and scipy.fftpack.dct, as imagehash computes them. imagehash
itself is not packaged in Debian bookworm, so its three functions are restated here on the Debian
packages python3-pil and python3-scipy:

    /usr/bin/python3 bench/collab/imagehash_reference.py > test/fixtures/collab/imagehash-reference.json

Images: the first 8 of Fashion-MNIST's official test split (Debian dataset-fashion-mnist) and
two synthetic ones (a 28x28 off-centre Gaussian blob, 40x24 seeded noise), so that both down- and
up-sampling and a non-square input are covered.
"""
import base64
import gzip
import json

import numpy
import scipy.fftpack
from PIL import Image

LANCZOS = Image.Resampling.LANCZOS if hasattr(Image, "Resampling") else Image.LANCZOS


def average_hash(image, hash_size=8):
    pixels = numpy.asarray(image.convert("L").resize((hash_size, hash_size), LANCZOS))
    return pixels > pixels.mean()


def dhash(image, hash_size=8):
    pixels = numpy.asarray(image.convert("L").resize((hash_size + 1, hash_size), LANCZOS))
    return pixels[:, 1:] > pixels[:, :-1]


def phash(image, hash_size=8, highfreq_factor=4):
    size = hash_size * highfreq_factor
    pixels = numpy.asarray(image.convert("L").resize((size, size), LANCZOS))
    dct = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=0), axis=1)
    low = dct[:hash_size, :hash_size]
    return low > numpy.median(low)


def hex_of(bits):
    """imagehash's _binary_array_to_hex: row-major bits as one big-endian hex number."""
    s = "".join(str(int(b)) for b in bits.flatten())
    return "{:0>{width}x}".format(int(s, 2), width=(len(s) + 3) // 4)


def fashion_mnist(count):
    with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
        raw = f.read()
    return [numpy.frombuffer(raw, numpy.uint8, 784, 16 + 784 * i).reshape(28, 28) for i in range(count)]


def main():
    images = [(f"fashion-mnist-test-{i}", a) for i, a in enumerate(fashion_mnist(8))]
    # A smooth blob (no exact ties among the DCT coefficients: a pure ramp has 56 zero
    # coefficients and its pHash bits are decided by floating-point noise).
    y, x = numpy.mgrid[0:28, 0:28]
    blob = 255 * numpy.exp(-((x - 10.5) ** 2 / 40 + (y - 16.0) ** 2 / 90))
    images.append(("blob-28x28", blob.round().astype(numpy.uint8)))
    # Seeded noise, 40 wide x 24 high (a separable pattern such as a checkerboard again has
    # exactly-zero DCT coefficients and noise-decided pHash bits).
    noise = numpy.random.RandomState(7).randint(0, 256, (24, 40)).astype(numpy.uint8)
    images.append(("noise-40x24", noise))
    out = []
    for name, a in images:
        img = Image.fromarray(a, mode="L")
        out.append({
            "name": name,
            "width": a.shape[1],
            "height": a.shape[0],
            "pixels": base64.b64encode(a.tobytes()).decode(),
            "ahash": hex_of(average_hash(img)),
            "dhash": hex_of(dhash(img)),
            "phash": hex_of(phash(img)),
        })
    print(json.dumps({"generator": "bench/collab/imagehash_reference.py", "images": out}, indent=1))


if __name__ == "__main__":
    main()
