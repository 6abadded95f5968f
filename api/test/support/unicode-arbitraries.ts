import fc from 'fast-check';

/**
 * Characters at the edges of what text validation must handle: controls (NUL, C1), bidirectional
 * and zero-width characters, separators, spaces that trim removes, combining marks and characters
 * NFC changes, astral characters, noncharacters and lone surrogates.
 */
export const EDGE_CHARACTERS = [
  '\u0000',
  '\u0007',
  '\t',
  '\n',
  '\r',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009f',
  '\u00ad',
  '\u061c',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u200e',
  '\u200f',
  '\u2028',
  '\u2029',
  '\u202a',
  '\u202e',
  '\u2060',
  '\u2066',
  '\u2069',
  '\ufeff',
  ' ',
  '\u00a0',
  '\u2000',
  '\u3000',
  '\u0301',
  '\u0958',
  '\ufb2c',
  'ﬁ',
  'é',
  '𝔸',
  '😀',
  '\ufffd',
  '\uffff',
  '\ud800',
  '\udbff\udc00',
  '\udfff',
] as const;

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

/** One character from anywhere in Unicode, biased towards the edges and towards plain ASCII. */
export const anyCharacter: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.constantFrom(...EDGE_CHARACTERS) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: loneSurrogate },
);

/** Text of any Unicode, `maxLength` characters at most. */
export const anyText = ({ minLength = 0, maxLength }: { minLength?: number; maxLength: number }) =>
  fc.string({ unit: anyCharacter, minLength, maxLength });
