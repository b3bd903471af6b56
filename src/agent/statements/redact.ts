/**
 * Redacts literal values from SQL text, so no value a query carried leaves the
 * agent. pg_stat_statements already replaces most constants with $n, but not in
 * every statement (utility statements such as ALTER ROLE … PASSWORD, DDL
 * defaults, statements it could not normalise, and texts cut at
 * track_activity_query_size), so the agent redacts again:
 *
 * - string literals ('…', E'…', U&'…', B'…', X'…', $tag$…$tag$) and numbers become $n,
 *   numbered after the highest $n already in the text;
 * - comments are removed (they can hold values too);
 * - lists of placeholders collapse: `IN ($1, $2, $3)` → `IN (...)`, and repeated
 *   VALUES rows → one row and `...`;
 * - quoted identifiers ("…") are names, not values, and stay.
 * An unterminated literal (a cut text) is redacted to the end.
 */
export function redactSql(text: string): string {
  let next = 1;
  for (const m of text.matchAll(/\$(\d+)/g)) next = Math.max(next, Number(m[1]) + 1);
  const param = () => `$${next++}`;
  let out = '';
  let i = 0;
  const n = text.length;
  const isWord = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
  while (i < n) {
    const c = text[i];
    const d = text[i + 1];
    // Comments.
    if (c === '-' && d === '-') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === '/' && d === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') { depth++; i += 2; } else if (text[i] === '*' && text[i + 1] === '/') { depth--; i += 2; } else i++;
      }
      out += ' ';
      continue;
    }
    // Quoted identifiers stay as they are.
    if (c === '"') {
      let j = i + 1;
      while (j < n) { if (text[j] === '"') { if (text[j + 1] === '"') { j += 2; continue; } break; } j++; }
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    // String literals, with their prefixes.
    const prefix = /^(?:[EeBbXxNn]|[Uu]&)'/.exec(text.slice(i, i + 3));
    if (c === "'" || (prefix && !isWord(text[i - 1]))) {
      const escapes = c === 'E' || c === 'e';
      let j = i + (c === "'" ? 1 : prefix![0].length);
      while (j < n) {
        if (escapes && text[j] === '\\') { j += 2; continue; }
        if (text[j] === "'") { if (text[j + 1] === "'") { j += 2; continue; } break; }
        j++;
      }
      out += param();
      i = j + 1;
      continue;
    }
    // Dollar-quoted strings: $$…$$ or $tag$…$tag$ (a tag does not start with a digit; $1 is a parameter).
    if (c === '$' && !isWord(text[i - 1])) {
      const tag = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(i));
      if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        out += param();
        i = end < 0 ? n : end + tag[0].length;
        continue;
      }
    }
    // Numbers not part of a name or a $n parameter: 42, 4.2, .5, 1e-3, 0x1F, 1_000.
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(d ?? ''))) {
      if (!isWord(text[i - 1])) {
        const num = /^(?:0[xX][0-9A-Fa-f_]+|0[oO][0-7_]+|0[bB][01_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9]+)?)/.exec(text.slice(i));
        if (num && num[0].length > 0) {
          out += param();
          i += num[0].length;
          continue;
        }
      }
    }
    out += c;
    i++;
  }
  return collapseLists(out).replace(/[ \t]+\n/g, '\n').trim();
}

/** `($1, $2, $3)` → `(...)`; a run of `(...)` rows → the first and `...`. */
function collapseLists(sql: string): string {
  return sql
    .replace(/\(\s*\$\d+(?:\s*,\s*\$\d+)+\s*\)/g, '(...)')
    .replace(/\(\.\.\.\)(?:\s*,\s*\(\.\.\.\))+/g, '(...), ...');
}
