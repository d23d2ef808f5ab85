/**
 * Mixed-length benchmark corpora, generated deterministically (seeded), so every run embeds
 * the same text:
 *
 * - `query-passage`: 70% short search queries (3-10 words) and 30% long passages (90-180
 *   words), shuffled together, as a retrieval service receives them;
 * - `lognormal`: sentences whose word count is lognormal (median 18 words, sigma 0.8,
 *   3-200 words), the shape of natural text lengths.
 *
 *   tsx bench/corpus.ts query-passage 1000 > sample.jsonl   # {"input": "..."} per line
 */
import { fileURLToPath } from 'node:url';
import { seeded } from './sentences.js';

/** A corpus name. */
export type CorpusName = 'query-passage' | 'lognormal';

const vocabulary = (
  'battery delivery support screen order fabric laptop manual headphones price kitchen ' +
  'blender refund warranty charger keyboard camera lens travel office garden weekend ' +
  'morning family quality shipping colour size comfort signal update review product ' +
  'customer service answer question return replace broken works great fast slow cheap ' +
  'expensive light heavy bright quiet loud small large simple clear confusing helpful ' +
  'the a of and to in for with on after before during while because although which ' +
  'every first last long short new old easy hard better worse best worst really very'
).split(' ');

function words(count: number, random: () => number): string {
  return Array.from(
    { length: count },
    () => vocabulary[Math.floor(random() * vocabulary.length)]!,
  ).join(' ');
}

const between = (random: () => number, min: number, max: number) =>
  min + Math.floor(random() * (max - min + 1));

/** `count` texts of the named mix; the same name, count and seed always give the same texts. */
export function corpus(name: CorpusName, count: number, seed = 11): string[] {
  const random = seeded(seed);
  return Array.from({ length: count }, (_, i) => {
    if (name === 'query-passage') {
      const query = random() < 0.7;
      const n = query ? between(random, 3, 10) : between(random, 90, 180);
      return `${words(n, random)} (${query ? 'q' : 'p'}${i + 1})`;
    }
    // Box-Muller: a standard normal from two uniforms.
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const n = Math.min(200, Math.max(3, Math.round(18 * Math.exp(0.8 * normal))));
    return `${words(n, random)} (s${i + 1})`;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name = 'query-passage', count = '1000'] = process.argv.slice(2);
  if (name !== 'query-passage' && name !== 'lognormal')
    throw new Error('usage: tsx bench/corpus.ts query-passage|lognormal [count]');
  for (const text of corpus(name, Number(count))) console.log(JSON.stringify({ input: text }));
}
