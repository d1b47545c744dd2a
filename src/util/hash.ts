/** FNV-1a, 32 bits: a stable, fast hash of text or of 32-bit words (held-out splits, weight fingerprints). */
const OFFSET = 0x811c9dc5;
const PRIME = 0x01000193;

/** FNV-1a over a string's UTF-16 code units; `h` continues an earlier hash. */
export function fnv1a(text: string, h = OFFSET): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), PRIME) >>> 0;
  return h;
}

/** FNV-1a over 32-bit words (e.g. the bits of float32 values); `h` continues an earlier hash. */
export function fnv1aWords(words: Uint32Array, h = OFFSET): number {
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], PRIME) >>> 0;
  return h;
}
