// Check digits of the formats the scan recognises and the fakes produce: a fake card number passes
// Luhn, a fake IBAN its mod-97 check, a fake INN or SNILS its control digits, so the masked data
// still satisfies the constraints and validators applications put on it.

const digitsOf = (s: string): number[] => [...s].map(Number);

/** Luhn (ISO/IEC 7812) check over a string of digits, check digit included. */
export function luhnValid(s: string): boolean {
  if (!/^\d{2,19}$/.test(s)) return false;
  let sum = 0;
  const d = digitsOf(s).reverse();
  for (let i = 0; i < d.length; i++) {
    let x = d[i];
    if (i % 2 === 1) { x *= 2; if (x > 9) x -= 9; }
    sum += x;
  }
  return sum % 10 === 0;
}

/** The digit that makes `body` + digit pass Luhn. */
export function luhnDigit(body: string): string {
  // With the check digit appended, the body's last digit is the first one doubled.
  let sum = 0;
  for (let i = body.length - 1, double = true; i >= 0; i--, double = !double) {
    let x = body.charCodeAt(i) - 48;
    if (x < 0 || x > 9) throw new Error(`no Luhn digit for ${body}: not digits`);
    if (double) { x *= 2; if (x > 9) x -= 9; }
    sum += x;
  }
  return String((10 - (sum % 10)) % 10);
}

/** IBAN mod-97 check (ISO 13616): spaces ignored, letters as 10–35. */
export function ibanValid(s: string): boolean {
  const v = s.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(v)) return false;
  return mod97(v.slice(4) + v.slice(0, 4)) === 1;
}

function mod97(s: string): number {
  let r = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // Digits as themselves, letters as 10–35 (two digits).
    r = c >= 48 && c <= 57 ? (r * 10 + c - 48) % 97 : (r * 100 + c - 55) % 97;
  }
  return r;
}

/** An IBAN from a country code and its BBAN, with the check digits computed. */
export function ibanFrom(country: string, bban: string): string {
  const check = 98 - mod97(`${bban}${country}00`);
  return `${country}${String(check).padStart(2, '0')}${bban}`;
}

const INN10 = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const control = (d: number[], w: number[]): number => (w.reduce((s, x, i) => s + x * d[i], 0) % 11) % 10;

/** Russian taxpayer number (INN): 10 digits (organisations) or 12 (people), with their control digits. */
export function innValid(s: string): boolean {
  if (!/^(\d{10}|\d{12})$/.test(s)) return false;
  const d = digitsOf(s);
  if (d.length === 10) return control(d, INN10) === d[9];
  return control(d, INN11) === d[10] && control(d, INN12) === d[11];
}

/** An INN from its first 9 (organisation) or 10 (person) digits. */
export function innFrom(body: string): string {
  const d = digitsOf(body);
  if (d.length === 9) return body + control(d, INN10);
  const c11 = control(d, INN11);
  return body + c11 + control([...d, c11], INN12);
}

/** SNILS (Russian insurance number), 11 digits with or without the usual separators. */
export function snilsValid(s: string): boolean {
  const v = s.replace(/[\s-]/g, '');
  if (!/^\d{11}$/.test(v)) return false;
  return snilsControl(v.slice(0, 9)) === v.slice(9);
}

function snilsControl(body: string): string {
  const sum = digitsOf(body).reduce((s, x, i) => s + x * (9 - i), 0);
  const c = sum < 100 ? sum : sum === 100 || sum === 101 ? 0 : sum % 101 === 100 ? 0 : sum % 101;
  return String(c).padStart(2, '0');
}

/** A SNILS as 123-456-789 01 from its first 9 digits. */
export function snilsFrom(body: string): string {
  return `${body.slice(0, 3)}-${body.slice(3, 6)}-${body.slice(6, 9)} ${snilsControl(body)}`;
}
