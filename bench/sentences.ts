/**
 * Realistic, reproducible benchmark inputs: product-review sentences of varied length
 * (6 to 40 words), built from a fixed vocabulary with a seeded generator so every run
 * embeds the same text.
 */
const subjects = [
  'The battery',
  'This blender',
  'The delivery',
  'Customer support',
  'The screen',
  'My order',
  'The fabric',
  'The app',
  'This laptop',
  'The manual',
  'The headphones',
  'The price',
];
const verbs = [
  'lasted',
  'broke after',
  'arrived within',
  'exceeded my expectations over',
  'felt cheap during',
  'worked perfectly for',
  'stopped responding after',
  'was worth it for',
  'disappointed me within',
  'impressed the whole family for',
];
const objects = [
  'two days',
  'a week of daily use',
  'the first month',
  'a long flight',
  'our holiday trip',
  'the whole semester',
  'three hours of gaming',
  'a rainy weekend',
  'the office move',
  'every single morning',
];
const tails = [
  'and I would buy it again.',
  'so I returned it for a refund.',
  'although the packaging was damaged.',
  'which is exactly what the listing promised.',
  'but the instructions were confusing and incomplete.',
  'and the seller answered every question quickly and politely.',
  'even though the colour was slightly different from the photos on the website.',
  'yet I still think there are better options at this price point for most people.',
];

/** A small linear congruential generator: deterministic across runs and platforms. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** `count` distinct sentences; the same count always gives the same sentences. */
export function sentences(count: number, seed = 42): string[] {
  const random = seeded(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const clauses = 1 + Math.floor(random() * 2);
    const parts = Array.from(
      { length: clauses },
      () => `${pick(subjects)} ${pick(verbs)} ${pick(objects)}`,
    );
    return `${parts.join(', and ')} ${pick(tails)} (review ${i + 1})`;
  });
}
