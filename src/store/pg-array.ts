/**
 * Numbers as PostgreSQL array text (`{1,2.5,NaN,NULL}`), for a parameter cast to `int[]`,
 * `bigint[]` or `float8[]`. postgres.js quotes and escapes every element of an array parameter
 * (two regular expressions per number); for the keeper's large arrays that cost more than
 * the statement they feed. Decimal strings (bigint ids held as text) pass as they are.
 * JavaScript writes NaN, Infinity and exponents (`1e+21`) as float8 input reads them.
 */
export function numberArray(xs: readonly (number | string | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (i > 0) out += ',';
    out += x === null || x === undefined ? 'NULL' : x;
  }
  return out + '}';
}
