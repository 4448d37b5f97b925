export { seededRandom as prng } from '../helpers/seeded-random.ts';

/** Random strings biased towards a grammar's own characters, where parser bugs live. */
export function randomText(random: () => number, alphabet: string, maxLength: number): string {
  const length = Math.floor(random() * maxLength);
  let out = '';
  for (let i = 0; i < length; i++) {
    out += random() < 0.9 ? alphabet[Math.floor(random() * alphabet.length)] : String.fromCharCode(Math.floor(random() * 0x3000));
  }
  return out;
}
