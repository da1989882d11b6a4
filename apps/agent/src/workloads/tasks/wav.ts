/** Mono audio as floats in [-1, 1). */
export interface PcmAudio {
  sampleRate: number;
  samples: Float32Array;
}

/**
 * Reads a RIFF/WAVE file of 16-bit PCM, one channel. Strict on purpose: an evaluation recording in any other
 * format is a mistake in the set, and converting it silently would score a different recording than the one
 * committed. Throws an Error that says what is wrong.
 */
export function decodeWavPcm16Mono(bytes: Uint8Array): PcmAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || ascii(0) !== "RIFF" || ascii(8) !== "WAVE") throw new Error("not a RIFF/WAVE file");
  let format: { codec: number; channels: number; sampleRate: number; bits: number } | null = null;
  let offset = 12;
  // Every chunk moves the offset forward by at least 8 bytes, so this ends.
  while (offset + 8 <= bytes.length) {
    const id = ascii(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (body + size > bytes.length) throw new Error(`the "${id}" chunk runs past the end of the file`);
    if (id === "fmt ") {
      if (size < 16) throw new Error("the fmt chunk is too short");
      format = {
        codec: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === "data") {
      if (!format) throw new Error("the data chunk comes before any fmt chunk");
      if (format.codec !== 1 || format.bits !== 16 || format.channels !== 1) {
        throw new Error(
          `it holds ${format.channels} channel(s) of ${format.bits}-bit audio in format ${format.codec}; ` +
            "only 16-bit PCM (format 1), one channel, is read",
        );
      }
      if (size % 2 !== 0) throw new Error("the data chunk has an odd number of bytes");
      const samples = new Float32Array(size / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(body + i * 2, true) / 32768;
      return { sampleRate: format.sampleRate, samples };
    }
    offset = body + size + (size % 2);
  }
  throw new Error("it has no data chunk");
}

/** The inverse of decodeWavPcm16Mono (used to build test recordings). */
export function encodeWavPcm16Mono({ sampleRate, samples }: PcmAudio): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(out.buffer);
  const tag = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  tag(0, "RIFF");
  view.setUint32(4, 36 + samples.length * 2, true);
  tag(8, "WAVE");
  tag(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  tag(36, "data");
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i] ?? 0));
    view.setInt16(44 + i * 2, Math.round(v * 32767), true);
  }
  return out;
}
