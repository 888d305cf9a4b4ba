/**
 * mulberry32: small, fast, good enough to pick names, numbers, shifts and query points (and the
 * test AMI peer's random write chunking); returns [0, 1). Same seed, same sequence, so a seed
 * names a run's data.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
