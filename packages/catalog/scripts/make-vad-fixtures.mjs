// Builds the Silero VAD evaluation set (packages/catalog/fixtures/vad): English phrases spoken by eSpeak (through
// the mespeak package, a devDependency of this package, so it runs offline) laid at known places into 16 kHz mono
// recordings between stretches of seeded background noise. eval.json records where each phrase lies: the truth
// is exactly where speech was put, after the synthesiser's own leading and trailing silence is cut off.
// The outputs are committed, so this runs only when the set changes:
//   node packages/catalog/scripts/make-vad-fixtures.mjs
// Same inputs, same bytes: the noise is seeded and eSpeak is deterministic.

import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "vad");

const RATE = 16_000;

/**
 * Each recording: its length, the level of its background noise, and the phrases with where each starts.
 * `noise` is the RMS of the background (full scale = 1); a phrase may carry its own louder noise bed under it.
 */
const recordings = [
  {
    audio: "three-phrases-quiet.wav",
    seconds: 14,
    noise: 0.002,
    phrases: [
      { text: "The lab fleet agent is measuring this device.", atS: 1.2, voice: "en/en-us", pitch: 45 },
      { text: "Seven, eight, nine, ten.", atS: 6.3, voice: "en/en", pitch: 60 },
      { text: "Please switch off the projector before you leave the room.", atS: 9.4, voice: "en/en-us", pitch: 35 },
    ],
  },
  {
    audio: "two-phrases-noisy.wav",
    seconds: 12,
    noise: 0.004,
    phrases: [
      { text: "Edge devices run small models.", atS: 0.8, voice: "en/en-rp", pitch: 50 },
      // Over a louder bed of noise (about 14 dB below the speech), which runs on past the phrase's end.
      {
        text: "Speech over a noisy fan still counts as speech.",
        atS: 6.0,
        voice: "en/en-us",
        pitch: 55,
        bed: { fromS: 4.5, toS: 10.5, rms: 0.03 },
      },
    ],
  },
];

// ---------- Synthesis ----------

const meSpeak = require("mespeak");
meSpeak.loadConfig(require("mespeak/src/mespeak_config.json"));
const loadedVoices = new Set();

/** The phrase as float samples at the synthesiser's own rate (22 050 Hz, 16-bit mono WAV). */
function speak(text, voice, pitch) {
  if (!loadedVoices.has(voice)) {
    meSpeak.loadVoice(require(`mespeak/voices/${voice}.json`));
    loadedVoices.add(voice);
  }
  const wav = Buffer.from(meSpeak.speak(text, { rawdata: "buffer", voice, pitch, speed: 160 }));
  return readPcm16Mono(wav);
}

/** A strict reader for the synthesiser's output: RIFF/WAVE, PCM, 16-bit, one channel. */
function readPcm16Mono(buf) {
  if (buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") {
    throw new Error("mespeak did not return a WAV file");
  }
  let offset = 12;
  let format = null;
  while (offset + 8 <= buf.length) {
    const id = buf.toString("ascii", offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === "fmt ") {
      format = {
        codec: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === "data") {
      if (format?.codec !== 1 || format.channels !== 1 || format.bits !== 16) {
        throw new Error(`unexpected WAV format from mespeak: ${JSON.stringify(format)}`);
      }
      // mespeak sometimes declares a data size past the end of the buffer; read what is there.
      const end = Math.min(buf.length, body + size);
      const samples = new Float32Array(Math.floor((end - body) / 2));
      for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(body + i * 2) / 32768;
      return { rate: format.rate, samples };
    }
    offset = body + size + (size % 2);
  }
  throw new Error("mespeak's WAV has no data chunk");
}

/**
 * Cuts the synthesiser's leading and trailing silence: the phrase runs from the first to the last 5 ms window
 * whose RMS is within 40 dB of the loudest one. Pauses between words stay (they are part of speaking).
 */
function trim({ rate, samples }) {
  const win = Math.round(rate * 0.005);
  const rms = [];
  for (let i = 0; i + win <= samples.length; i += win) {
    let s = 0;
    for (let j = i; j < i + win; j++) s += samples[j] ** 2;
    rms.push(Math.sqrt(s / win));
  }
  const floor = Math.max(...rms) * 0.01;
  const first = rms.findIndex((r) => r >= floor);
  const last = rms.findLastIndex((r) => r >= floor);
  return { rate, samples: samples.slice(first * win, (last + 1) * win) };
}

/** Windowed-sinc resampling (Blackman window, cut off at 0.45 of the output rate) to `to` Hz. */
function resample({ rate, samples }, to) {
  const ratio = to / rate;
  const cutoff = 0.45 * Math.min(1, ratio) * 2; // normalised to the input's Nyquist
  const half = 32;
  const out = new Float32Array(Math.floor(samples.length * ratio));
  for (let n = 0; n < out.length; n++) {
    const t = n / ratio;
    const centre = Math.floor(t);
    let acc = 0;
    let norm = 0;
    for (let k = centre - half + 1; k <= centre + half; k++) {
      if (k < 0 || k >= samples.length) continue;
      const x = t - k;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * cutoff * x) / (Math.PI * cutoff * x);
      const w = 0.42 + 0.5 * Math.cos((Math.PI * x) / half) + 0.08 * Math.cos((2 * Math.PI * x) / half);
      const h = cutoff * sinc * w;
      acc += samples[k] * h;
      norm += h;
    }
    out[n] = norm === 0 ? 0 : acc / norm;
  }
  return out;
}

// ---------- Layout ----------

/** mulberry32, as in src/prng.ts. */
function createRng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Gaussian noise (sum of four uniforms, scaled to unit variance): cheap, seeded and bounded. */
function gaussian(rng) {
  return (rng() + rng() + rng() + rng() - 2) * Math.sqrt(3);
}

function encodeWav(samples) {
  const buf = Buffer.alloc(44 + samples.length * 2);
  buf.write("RIFF", 0, "ascii");
  buf.writeUInt32LE(36 + samples.length * 2, 4);
  buf.write("WAVE", 8, "ascii");
  buf.write("fmt ", 12, "ascii");
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(RATE, 24);
  buf.writeUInt32LE(RATE * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write("data", 36, "ascii");
  buf.writeUInt32LE(samples.length * 2, 40);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]));
    buf.writeInt16LE(Math.round(v * 32767), 44 + i * 2);
  }
  return buf;
}

const SPEECH_PEAK = 0.5;

mkdirSync(outDir, { recursive: true });
const items = [];
for (const [index, rec] of recordings.entries()) {
  const rng = createRng(0x5a1e + index);
  const length = rec.seconds * RATE;
  const mix = new Float32Array(length);
  for (let i = 0; i < length; i++) mix[i] = gaussian(rng) * rec.noise;
  const segments = [];
  for (const phrase of rec.phrases) {
    if (phrase.bed) {
      const from = Math.round(phrase.bed.fromS * RATE);
      const to = Math.round(phrase.bed.toS * RATE);
      for (let i = from; i < to; i++) mix[i] += gaussian(rng) * phrase.bed.rms;
    }
    const speech = resample(trim(speak(phrase.text, phrase.voice, phrase.pitch)), RATE);
    const peak = speech.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const start = Math.round(phrase.atS * RATE);
    if (start + speech.length > length) throw new Error(`"${phrase.text}" runs past the end of ${rec.audio}`);
    for (let i = 0; i < speech.length; i++) mix[start + i] += (speech[i] * SPEECH_PEAK) / peak;
    segments.push({
      startMs: Math.round((start / RATE) * 1000),
      endMs: Math.round(((start + speech.length) / RATE) * 1000),
      text: phrase.text,
    });
  }
  const wav = encodeWav(mix);
  writeFileSync(join(outDir, rec.audio), wav);
  process.stdout.write(`${rec.audio}: ${wav.length} bytes, ${segments.map((s) => `${s.startMs}–${s.endMs}`)}\n`);
  items.push({ audio: rec.audio, segments });
}
const evalSet = { kind: "vad", sampleRate: RATE, items };
writeFileSync(join(outDir, "eval.json"), `${JSON.stringify(evalSet, null, 2)}\n`);
