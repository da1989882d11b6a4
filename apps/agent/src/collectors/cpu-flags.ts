/**
 * CPU feature flags that decide how fast (or whether) inference runtimes run: x86 vector and matrix
 * extensions, and their Arm counterparts. Names as Linux /proc/cpuinfo spells them (x86 "flags",
 * Arm "Features"), which is what systeminformation returns on Linux.
 *
 * The sets are per architecture because names collide: on x86, "sme" is AMD Secure Memory Encryption
 * and "smep" a protection feature; on Arm, "sme" is the Scalable Matrix Extension.
 */
const X86: readonly RegExp[] = [
  /^avx$/,
  /^avx2$/,
  /^avx512/, // avx512f, avx512bw, avx512_vnni, avx512_bf16, avx512_fp16, ...
  /^avx_vnni/, // avx_vnni, avx_vnni_int8, avx_vnni_int16
  /^avx_ne_convert$/,
  /^avx_ifma$/,
  /^amx/, // amx_tile, amx_int8, amx_bf16, amx_fp16, amx_complex
  /^fma$/,
  /^f16c$/,
];

const ARM: readonly RegExp[] = [
  /^neon$/, // 32-bit Arm
  /^asimd/, // asimd, asimdhp, asimddp (dot product), asimdrdm, asimdfhm
  /^sve/, // sve, sve2, svei8mm, svebf16, ...
  /^sme/, // sme, sme2, smei8i32, smef16f32, ...
  /^i8mm$/,
  /^bf16$/,
  /^fphp$/,
];

function patternsFor(arch: string): readonly RegExp[] {
  const a = arch.toLowerCase();
  if (a === "x64" || a === "ia32" || a === "x86_64" || a === "x86" || /^i[3-6]86$/.test(a)) return X86;
  if (a.startsWith("arm") || a === "aarch64") return ARM;
  // Unknown: both, minus the one ambiguous family.
  return [...X86, ...ARM.filter((p) => p.source !== "^sme")];
}

/** Keeps the inference-relevant flags for `arch` (Node's or systeminformation's name), sorted, unique, at most 64. */
export function filterInferenceFlags(flags: string, arch: string): string[] {
  const patterns = patternsFor(arch);
  const kept = new Set(
    flags
      .toLowerCase()
      .split(/[\s,]+/)
      .filter((f) => f.length > 0 && f.length <= 32 && patterns.some((p) => p.test(f))),
  );
  return [...kept].sort().slice(0, 64);
}
