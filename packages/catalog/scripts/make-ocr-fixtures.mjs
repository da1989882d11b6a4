// Renders the OCR evaluation set (packages/catalog/fixtures/ocr): black text on white in DejaVu Sans, with the
// text each image holds written to eval.json. The outputs are committed, so this runs only when the set changes.
//
// It needs `pureimage` and `dejavu-fonts-ttf`, which are not dependencies of the repo (a real font renderer is
// only needed to make the images, never to use them). Run it with
//   npx -p pureimage@0.4.20 -p dejavu-fonts-ttf@2.37.3 node packages/catalog/scripts/make-ocr-fixtures.mjs
// or from a scratch folder outside the repo where both are installed:
//   NODE_PATH=/tmp/ocrgen/node_modules node packages/catalog/scripts/make-ocr-fixtures.mjs
// DejaVu fonts are under the Bitstream Vera licence (free to use and redistribute); it covers the font files,
// not images drawn with them.

import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";

// The two packages live outside the repo: in NODE_PATH, or in the temporary install whose `.bin` npx puts on
// PATH. ESM `import` looks in neither place, so they are resolved by hand.
function requireFromOutside() {
  const roots = [process.cwd(), ...(process.env.PATH ?? "").split(delimiter).filter((p) => p.endsWith(".bin"))];
  for (const root of roots) {
    const req = createRequire(join(root, "noop.js"));
    try {
      req.resolve("pureimage");
      return req;
    } catch {}
  }
  throw new Error("pureimage is not installed: see the comment at the top of this script.");
}
const require = requireFromOutside();
const PImage = require("pureimage");
const fontPath = require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf");

const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "ocr");

/** Each image: its file name, its lines, and the pixel size of the font (text height ~32–48 px). */
const images = [
  { image: "labfleet-2026.png", lines: ["LabFleet 2026"], fontPx: 44 },
  { image: "quick-brown-fox.png", lines: ["The quick brown fox jumps over the lazy dog"], fontPx: 36 },
  { image: "two-lines.png", lines: ["Edge devices run models", "Accuracy 98.5% on 120 items"], fontPx: 40 },
];

const PAD = 24;
const LINE_GAP = 1.6;

async function render({ lines, fontPx }) {
  // Measure on a scratch canvas first so every image is as wide as its longest line.
  const probe = PImage.make(10, 10).getContext("2d");
  probe.font = `${fontPx}px DejaVuSans`;
  const width = Math.ceil(Math.max(...lines.map((l) => probe.measureText(l).width)) + 2 * PAD);
  const height = Math.ceil(2 * PAD + fontPx * LINE_GAP * lines.length);
  const img = PImage.make(width, height);
  const ctx = img.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "#000000";
  ctx.font = `${fontPx}px DejaVuSans`;
  lines.forEach((line, i) => {
    ctx.fillText(line, PAD, PAD + fontPx * (1 + i * LINE_GAP));
  });
  const chunks = [];
  const sink = new PassThrough();
  sink.on("data", (c) => chunks.push(c));
  await PImage.encodePNGToStream(img, sink);
  return Buffer.concat(chunks);
}

await PImage.registerFont(fontPath, "DejaVuSans").load();
for (const spec of images) {
  const png = await render(spec);
  writeFileSync(join(outDir, spec.image), png);
  process.stdout.write(`${spec.image}: ${png.length} bytes\n`);
}
const evalSet = { kind: "ocr", items: images.map(({ image, lines }) => ({ image, text: lines.join(" ") })) };
writeFileSync(join(outDir, "eval.json"), `${JSON.stringify(evalSet, null, 2)}\n`);
