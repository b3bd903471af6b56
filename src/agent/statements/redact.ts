/**
 * Redacts literal values from SQL text, so no value a query carried leaves the
 * agent. pg_stat_statements already replaces most constants with $n, but not in
 * every statement (utility statements such as ALTER ROLE … PASSWORD, DDL
 * defaults, statements it could not normalise), so the agent redacts again:
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
      const start = i + (c === "'" ? 1 : prefix![0].length);
      let end = stringEnd(text, start, escapes);
      // With standard_conforming_strings off, a backslash escapes a quote in a plain string
      // too. When the two readings end the literal at different quotes, either may be right,
      // and the farther one would take the next literal's opening quote for a closing one and
      // show its content: the rest of the text is redacted.
      if (!escapes && text.slice(start, end).includes('\\') && stringEnd(text, start, true) !== end) end = Math.max(end, n - 1);
      out += param();
      i = end + 1;
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
  out = redactSettingValues(out, param);
  return collapseLists(out).split('\n').map((l) => l.trimEnd()).join('\n').trim();
}

/**
 * Where the string literal whose text starts at `from` ends (the index of its closing
 * quote, or the end of the text). '' is a quote; with `escapes`, so is \'. A literal
 * continues after a closing quote followed by whitespace holding a newline and another
 * quote ('a'\n'b' is one literal, and keeps E mode).
 */
function stringEnd(text: string, from: number, escapes: boolean): number {
  let j = from;
  const n = text.length;
  while (j < n) {
    if (escapes && text[j] === '\\') { j += 2; continue; }
    if (text[j] === "'") {
      if (text[j + 1] === "'") { j += 2; continue; }
      const cont = /^[ \t\r\f]*\n\s*'/.exec(text.slice(j + 1, j + 1 + 200));
      if (cont) { j += 1 + cont[0].length; continue; }
      return j;
    }
    j++;
  }
  return n;
}

/**
 * SET and ALTER … SET take values as bare words too (SET app.key = sk_live_abc): in
 * such statements the value after = or TO is a value, whatever it looks like.
 */
function redactSettingValues(sql: string, param: () => string): string {
  if (!/^\s*(SET|ALTER)\b/i.test(sql)) return sql;
  return sql.replace(/(\bSET\s+(?:SESSION\s+|LOCAL\s+)?[A-Za-z_][\w.$"]*\s*(?:=|\bTO\b)\s*)([^;]+)/gi,
    (whole, head: string, value: string) => /^\s*(DEFAULT|\$\d+)\s*$/i.test(value) ? whole : `${head}${param()}`);
}

/** `($1, $2, $3)` → `(...)`; a run of `(...)` rows → the first and `...`. */
function collapseLists(sql: string): string {
  return sql
    .replace(/\(\s*\$\d+(?:\s*,\s*\$\d+)+\s*\)/g, '(...)')
    .replace(/\(\.\.\.\)(?:\s*,\s*\(\.\.\.\))+/g, '(...), ...');
}
