/** English-like notes for the pull benches (a seeded word generator). */

const WORDS =
  'the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part over new sound take only little work know place year live me back give most very after thing our just name good sentence man think say great where help through much before line right too mean old any same tell boy follow came want show also around form three small set put end does another well large must big even such because turn here why ask went men read need land different home us move try kind hand picture again change off play spell air away animal house point page letter mother answer found study still learn should world'.split(
    ' ',
  );

/** A sentence of about `chars` characters. */
function words(rnd: () => number, chars: number): string {
  const out: string[] = [];
  let n = 0;
  while (n < chars) {
    const w = WORDS[Math.floor(rnd() * WORDS.length)]!;
    out.push(w);
    n += w.length + 1;
  }
  const s = out.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}

/** A note of ~220 bytes of title and content, as the comparison had. */
export function benchNote(rnd: () => number): Record<string, string> {
  const now = new Date(1764000000000 + Math.floor(rnd() * 1e10)).toISOString();
  return { title: words(rnd, 25), content: words(rnd, 190), created_at: now, updated_at: now };
}
