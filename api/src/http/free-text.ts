/**
 * Which characters free text (a display name) may hold, written once as code point ranges: the
 * validation and the pattern the OpenAPI document publishes are both made from them, so the two
 * cannot disagree.
 */

type Range = readonly [from: number, to: number];

/**
 * Refused anywhere: they are invisible, reorder what is shown around them (a name that displays
 * as "Ada" and reads as something else), break log lines and terminals, or cannot be stored
 * (PostgreSQL text has no U+0000; a lone surrogate is not a character at all).
 */
const REFUSED: readonly Range[] = [
  [0x0000, 0x001f], // C0 controls, NUL among them
  [0x007f, 0x009f], // DEL and the C1 controls
  [0x061c, 0x061c], // Arabic letter mark
  [0x200b, 0x200f], // zero-width space, non-joiner and joiner; left-to-right and right-to-left marks
  [0x2028, 0x202e], // line and paragraph separators; bidirectional embeddings and overrides
  [0x2060, 0x2060], // word joiner
  [0x2066, 0x2069], // bidirectional isolates
  [0xfeff, 0xfeff], // zero-width no-break space (byte order mark)
];

/**
 * Read as code points, only unpaired surrogates remain in this range. Refused, but left out of the
 * published pattern: JSON Schema reads strings as Unicode scalar values, and validators whose
 * strings cannot hold a lone surrogate (Rust's, which Schemathesis uses) refuse such a pattern.
 */
const UNPAIRED_SURROGATES: Range = [0xd800, 0xdfff];

/** What String.prototype.trim removes, less what is refused anyway. */
const TRIMMED: readonly Range[] = [
  [0x0020, 0x0020],
  [0x00a0, 0x00a0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];

const escaped = (codePoint: number) => `\\u${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;

/** The inside of a character class, in escapes that ECMAScript and Python regular expressions read alike. */
const classOf = (ranges: readonly Range[]) =>
  ranges.map(([from, to]) => (from === to ? escaped(from) : `${escaped(from)}-${escaped(to)}`)).join('');

const REFUSED_CHARACTER = new RegExp(`[${classOf([...REFUSED, UNPAIRED_SURROGATES])}]`, 'u');
const EVERY_REFUSED_CHARACTER = new RegExp(REFUSED_CHARACTER.source, 'gu');

const codePointName = (character: string) =>
  `U+${(character.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;

/** The first refused character, as U+XXXX, or undefined when there is none. */
export function firstRefusedCharacter(text: string): string | undefined {
  const found = REFUSED_CHARACTER.exec(text)?.[0];
  return found === undefined ? undefined : codePointName(found);
}

export const refusedCharacterMessage = (character: string) =>
  `must not contain control, bidirectional-control, zero-width or unpaired surrogate characters (found ${character})`;

/** Free text the API does not refuse but cannot show either: what a client sent in a header, say. */
export const withoutRefusedCharacters = (text: string) => text.replace(EVERY_REFUSED_CHARACTER, '');

/** Length as a person counts it: in characters (code points), not UTF-16 units. */
export const characterCount = (text: string) => [...text].length;

/**
 * The JSON Schema pattern (read with the `u` flag, as code points) of text holding no refused
 * character and from 1 to `maxLength` characters once the surrounding spaces are trimmed; exact for
 * well-formed Unicode.
 */
export function freeTextPattern(maxLength: number): string {
  const trimmed = `[${classOf(TRIMMED)}]`;
  const kept = `[^${classOf(TRIMMED)}${classOf(REFUSED)}]`;
  const any = `[^${classOf(REFUSED)}]`;
  return `^${trimmed}*${kept}(?:${any}{0,${maxLength - 2}}${kept})?${trimmed}*$`;
}

/** Everything String.prototype.trim removes, for patterns of values that are trimmed whatever they hold. */
export const TRIMMABLE_CLASS = `[${classOf([...TRIMMED, [0x0009, 0x000d], [0x2028, 0x2029], [0xfeff, 0xfeff]])}]`;
