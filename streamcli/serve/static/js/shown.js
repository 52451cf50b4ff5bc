// Untrusted text as the terminal shows it (streamcli/sanitize.py): controls, format
// characters (bidirectional controls, zero-width characters), separators, surrogates,
// unassigned code points and invisible fillers become visible escapes such as \u202e,
// so an answer cannot reverse or hide part of itself. Emoji sequences stay whole: the
// joiner between two emoji, a presentation selector after one, a flag's tags.

const EMOJI = "\\p{Extended_Pictographic}[\\u{FE0E}\\u{FE0F}\\u{1F3FB}-\\u{1F3FF}]?";
const SEQUENCE = new RegExp(
  `\\u{1F3F4}[\\u{E0020}-\\u{E007E}]{1,32}\\u{E007F}|${EMOJI}(?:\\u{200D}${EMOJI})*|[0-9#*][\\u{FE0E}\\u{FE0F}]`,
  "gu",
);
const UNSAFE = new RegExp(
  "[^\\P{Cc}\\t\\n]|[\\p{Cf}\\p{Cs}\\p{Cn}\\p{Zl}\\p{Zp}]" +
    "|[\\u{034F}\\u{115F}\\u{1160}\\u{17B4}\\u{17B5}\\u{3164}\\u{FFA0}\\u{2800}]" +
    "|[\\u{180B}-\\u{180F}\\u{FE00}-\\u{FE0F}\\u{E0100}-\\u{E01EF}]",
  "gu",
);

function escaped(character) {
  const code = character.codePointAt(0);
  const hex = code.toString(16);
  if (code < 0x100) return `\\x${hex.padStart(2, "0")}`;
  if (code < 0x10000) return `\\u${hex.padStart(4, "0")}`;
  return `\\U${hex.padStart(8, "0")}`;
}

function escapeUnsafe(text) {
  return text.replace(UNSAFE, escaped);
}

/** `text` with every unsafe character replaced by a visible escape. */
export function shown(text) {
  const plain = text.replace(/\r\n/g, "\n");
  let out = "";
  let done = 0;
  for (const match of plain.matchAll(SEQUENCE)) {
    out += escapeUnsafe(plain.slice(done, match.index)) + match[0];
    done = match.index + match[0].length;
  }
  return out + escapeUnsafe(plain.slice(done));
}
