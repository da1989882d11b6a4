// Makes the face-detection evaluation set (packages/catalog/fixtures/faces) from the demo photos that ship in
// @vladmandic/face-api (MIT): each photo is cropped, shrunk to at most 640 px wide and saved as JPEG, and one
// faceless image is made from a region of a photo with no person in it. The face counts in FACE_COUNTS were
// decided by looking at the written images, never by running a model, so the set can judge the model.
// The outputs are committed, so this runs only when the set changes:
//   node packages/catalog/scripts/make-face-fixtures.mjs            write the set
//   node packages/catalog/scripts/make-face-fixtures.mjs --preview  write whole photos at 640 px to /tmp/face-preview

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const jpeg = require("jpeg-js");
const faceApiRoot = dirname(require.resolve("@vladmandic/face-api/package.json"));
const faceApiManifest = JSON.parse(readFileSync(join(faceApiRoot, "package.json"), "utf8"));

const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "faces");
const MAX_WIDTH = 640;
const QUALITY = 85;

/**
 * Each image: the demo photo it comes from, the crop (fractions of the photo's width and height, so the
 * numbers stay readable whatever its pixel size), and the number of faces a person sees in the result.
 */
const IMAGES = [
  { image: "one-face.jpg", source: "sample1.jpg", crop: [0.6, 0, 1, 0.7], faces: 1 },
  { image: "two-faces.jpg", source: "sample3.jpg", crop: [0.45, 0.05, 1, 0.6], faces: 2 },
  { image: "three-faces.jpg", source: "sample3.jpg", crop: [0, 0, 1, 1], faces: 3 },
  { image: "four-faces.jpg", source: "sample6.jpg", crop: [0, 0, 1, 1], faces: 4 },
  { image: "five-faces.jpg", source: "sample5.jpg", crop: [0, 0, 1, 1], faces: 5 },
  { image: "no-face-window.jpg", source: "sample3.jpg", crop: [0, 0, 0.28, 0.22], faces: 0 },
  { image: "no-face-dresses.jpg", source: "sample6.jpg", crop: [0.1, 0.6, 0.9, 1], faces: 0 },
];

function decode(path) {
  return jpeg.decode(readFileSync(path), { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
}

/** Crops `img` to [x0, y0, x1, y1] (fractions) and shrinks it to at most `maxWidth` by averaging pixel boxes. */
function cropAndShrink(img, [fx0, fy0, fx1, fy1], maxWidth) {
  const x0 = Math.round(fx0 * img.width);
  const y0 = Math.round(fy0 * img.height);
  const cw = Math.round(fx1 * img.width) - x0;
  const ch = Math.round(fy1 * img.height) - y0;
  const scale = Math.min(1, maxWidth / cw);
  const width = Math.max(1, Math.round(cw * scale));
  const height = Math.max(1, Math.round(ch * scale));
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy0 = y0 + Math.floor((y * ch) / height);
    const sy1 = Math.max(sy0 + 1, y0 + Math.floor(((y + 1) * ch) / height));
    for (let x = 0; x < width; x++) {
      const sx0 = x0 + Math.floor((x * cw) / width);
      const sx1 = Math.max(sx0 + 1, x0 + Math.floor(((x + 1) * cw) / width));
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = sy0; sy < sy1; sy++) {
        for (let sx = sx0; sx < sx1; sx++) {
          const i = (sy * img.width + sx) * 4;
          r += img.data[i];
          g += img.data[i + 1];
          b += img.data[i + 2];
        }
      }
      const n = (sy1 - sy0) * (sx1 - sx0);
      const o = (y * width + x) * 4;
      data[o] = Math.round(r / n);
      data[o + 1] = Math.round(g / n);
      data[o + 2] = Math.round(b / n);
      data[o + 3] = 255;
    }
  }
  return { width, height, data };
}

function encode(img) {
  return jpeg.encode({ width: img.width, height: img.height, data: img.data }, QUALITY).data;
}

/** A PNG of `img` with a red line every tenth of its width and height, to read crop fractions off. */
function previewPng(img) {
  const { PNG } = require("pngjs");
  const png = new PNG({ width: img.width, height: img.height });
  png.data.set(img.data);
  for (let k = 1; k < 10; k++) {
    const gx = Math.round((k * img.width) / 10);
    const gy = Math.round((k * img.height) / 10);
    for (let y = 0; y < img.height; y++) png.data.set([255, 0, 0, 255], (y * img.width + gx) * 4);
    for (let x = 0; x < img.width; x++) png.data.set([255, 0, 0, 255], (gy * img.width + x) * 4);
  }
  return PNG.sync.write(png);
}

if (process.argv.includes("--preview")) {
  // The photos whole, and the written set decoded back from its JPEGs, as PNGs an image viewer can show.
  const dir = "/tmp/face-preview";
  mkdirSync(dir, { recursive: true });
  for (let n = 1; n <= 6; n++) {
    const img = cropAndShrink(decode(join(faceApiRoot, "demo", `sample${n}.jpg`)), [0, 0, 1, 1], MAX_WIDTH);
    writeFileSync(join(dir, `sample${n}.png`), previewPng(img));
  }
  for (const spec of IMAGES) {
    try {
      const { PNG } = require("pngjs");
      const img = decode(join(outDir, spec.image));
      const png = new PNG({ width: img.width, height: img.height });
      png.data.set(img.data);
      writeFileSync(join(dir, `written-${spec.image}.png`), PNG.sync.write(png));
    } catch {}
  }
  process.stdout.write(`previews in ${dir}\n`);
} else {
  mkdirSync(outDir, { recursive: true });
  for (const spec of IMAGES) {
    const bytes = encode(cropAndShrink(decode(join(faceApiRoot, "demo", spec.source)), spec.crop, MAX_WIDTH));
    writeFileSync(join(outDir, spec.image), bytes);
    process.stdout.write(`${spec.image}: ${bytes.length} bytes\n`);
  }
  const evalSet = {
    kind: "face-detection",
    source: `${faceApiManifest.name}@${faceApiManifest.version} demo photos (${faceApiManifest.license})`,
    items: IMAGES.map(({ image, source, crop, faces }) => ({ image, faces, source, crop })),
  };
  writeFileSync(join(outDir, "eval.json"), `${JSON.stringify(evalSet, null, 2)}\n`);
}
