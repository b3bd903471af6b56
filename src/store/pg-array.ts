/**
 * Numbers as PostgreSQL array text (`{1,2.5,NaN,NULL}`), for a parameter cast to `int[]`,
 * `bigint[]` or `float8[]`. postgres.js quotes and escapes every element of an array parameter
 * (two regular expressions per number); for the keeper's large arrays that cost more than
 * the statement they feed. Also one array per element of a `text[]` that SQL casts to `int[]`
 * (arrays of arrays do not pass through unnest). Integers held as decimal text (bigint ids) pass as they are; any
 * other text is refused, since a comma or brace in it would shift the elements after it.
 * JavaScript writes NaN, Infinity and exponents (`1e+21`) as float8 input reads them.
 */
export function numberArray(xs: readonly (number | string | null)[]): string {
  let out = '{';
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (i > 0) out += ',';
    if (x === null) out += 'NULL';
    else if (typeof x === 'number' || (typeof x === 'string' && INTEGER_TEXT.test(x))) out += x;
    else throw new TypeError(`numberArray: element ${i} is ${typeof x === 'string' ? `the text ${JSON.stringify(x.slice(0, 40))}` : String(x)}, not a number`);
  }
  return out + '}';
}

const INTEGER_TEXT = /^-?\d{1,20}$/;
