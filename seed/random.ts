/**
 * A small seeded PRNG (sfc32, seeded through splitmix32) so the same seed gives the same demo
 * data on every machine and Node version: Math.random cannot be seeded.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  chance(probability: number): boolean;
  /** Uniform in [min, max). */
  between(min: number, max: number): number;
  /** Integer uniform in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  weighted<T>(choices: readonly (readonly [T, number])[]): T;
  /** Exponential with the given mean, truncated to [0, max]: no spike at the cap. */
  truncatedExponential(mean: number, max: number): number;
  /** Uniform on a log scale in [min, max): prices and amounts spread like real ones. */
  logUniform(min: number, max: number): number;
  alphanumeric(length: number): string;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function sfc32(seed: number): () => number {
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const step = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) step();
  return step;
}

const ALPHANUMERIC = '0123456789abcdefghijklmnopqrstuvwxyz';

export function createRandom(seed: number): Random {
  const next = sfc32(seed);
  const random: Random = {
    next,
    chance: (probability) => next() < probability,
    between: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor((max - min + 1) * next()),
    pick: (items) => items[Math.floor(items.length * next())]!,
    weighted: (choices) => {
      let total = 0;
      for (const [, weight] of choices) total += weight;
      let target = next() * total;
      for (const [value, weight] of choices) {
        target -= weight;
        if (target < 0) return value;
      }
      return choices[choices.length - 1]![0];
    },
    truncatedExponential: (mean, max) => {
      if (max <= 0) return 0;
      return -mean * Math.log(1 - next() * (1 - Math.exp(-max / mean)));
    },
    logUniform: (min, max) => Math.exp(random.between(Math.log(min), Math.log(max))),
    alphanumeric: (length) => {
      let text = '';
      for (let i = 0; i < length; i++) text += ALPHANUMERIC[Math.floor(36 * next())];
      return text;
    },
  };
  return random;
}
