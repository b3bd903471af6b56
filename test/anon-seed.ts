// A shop database for the anonymization tests: customers, orders, payments, a newsletter and
// products, with names, e-mails, phones, Luhn-valid cards, IBANs, INN/SNILS, JSON with personal
// data inside, free-text comments that repeat them, and foreign keys between the tables.
//
// Names are drawn from lists that share no name with the fake dictionaries, so a search of the
// copy for an original name finds a leak, not a fake that happens to be the same common name.
import type { Sql } from 'postgres';
import { DICTIONARIES, ibanFrom, innFrom, luhnDigit, snilsFrom } from '../src/anon/index.ts';
import { prng } from './harness/prng.ts';

export const SEED_FIRST = ['Aurelio', 'Brunhilda', 'Casimir', 'Desdemona', 'Evander', 'Fenella', 'Gaspard', 'Hortensia', 'Ignatius', 'Jessamy', 'Leopold', 'Marigold', 'Octavian', 'Perpetua', 'Quillon', 'Rosalind', 'Sylvester', 'Tamsin', 'Ulysses', 'Verity'];
export const SEED_LAST = ['Quint', 'Ravenscroft', 'Blackwood', 'Fairweather', 'Hawthorne', 'Pemberton', 'Whitlock', 'Ashdown', 'Thorne', 'Kingsley', 'Merriweather', 'Loxley'];
export const SEED_FIRST_RU = [['Евлампий', 'evlampiy'], ['Агафья', 'agafya'], ['Пантелеймон', 'panteleymon'], ['Ефросинья', 'efrosinya'], ['Феофан', 'feofan']] as const;
export const SEED_LAST_RU = [['Засекин', 'zasekin'], ['Пустовойт', 'pustovoyt'], ['Безбородько', 'bezborodko'], ['Чарушин', 'charushin']] as const;

/** The columns that hold personal data: what the scan must find. */
export const SENSITIVE = [
  'public.customers.first_name', 'public.customers.last_name', 'public.customers.full_name', 'public.customers.email', 'public.customers.phone',
  'public.customers.birth_date', 'public.customers.tax_ref', 'public.customers.pension_ref', 'public.customers.profile',
  'public.orders.comment', 'public.payments.instrument', 'public.payments.account', 'public.newsletter.recipient',
];

/** The seed's names are none of the fakes' names (else the leak search would find fakes). */
export function seedNamesAreNotFakes(): boolean {
  const fakes = new Set(Object.values(DICTIONARIES).flatMap((d) => [...d.firstMale, ...d.firstFemale, ...d.lastMale, ...d.lastFemale]));
  return [...SEED_FIRST, ...SEED_LAST, ...SEED_FIRST_RU.map((x) => x[0]), ...SEED_LAST_RU.map((x) => x[0])].every((n) => !fakes.has(n));
}

/** Creates and fills the shop tables; `extraRows` adds a large table of events (for kill tests). */
export async function seedShop(sql: Sql, opts: { customers?: number; extraRows?: number } = {}): Promise<void> {
  const n = opts.customers ?? 300;
  const rnd = prng(20261124);
  const pick = <T>(l: readonly T[]): T => l[Math.floor(rnd() * l.length)];
  const digits = (k: number): string => Array.from({ length: k }, () => Math.floor(rnd() * 10)).join('');
  await sql.unsafe(`
    create type order_status as enum ('new', 'paid', 'shipped', 'cancelled');
    create table customers (
      id serial primary key, first_name text not null, last_name text not null, full_name varchar(120), email varchar(200) not null unique,
      phone text, birth_date date, tax_ref text, pension_ref text, country char(2) not null, created_at timestamptz not null,
      loyalty_points int not null default 0, status text not null default 'active', profile jsonb);
    create table orders (
      id bigserial primary key, customer_id int not null references customers(id), created_at timestamptz not null, total numeric(12,2) not null check (total >= 0),
      currency char(3) not null, status order_status not null, shipping_city text, comment text);
    create index orders_customer on orders (customer_id);
    create table payments (
      id bigint generated always as identity primary key, order_id bigint not null references orders(id), instrument varchar(19), account text,
      amount numeric(12,2) not null, paid_at timestamptz);
    create table newsletter (id serial primary key, recipient varchar(200) not null references customers(email), subscribed_at date not null);
    create table products (id serial primary key, sku text not null unique, title text not null, price numeric(10,2), weight int, category text, description text);
    create view customer_totals as select c.id, count(o.id) as orders, coalesce(sum(o.total), 0) as total from customers c left join orders o on o.customer_id = c.id group by c.id;
  `);
  const customers: Record<string, unknown>[] = [];
  for (let i = 1; i <= n; i++) {
    const ru = i % 3 === 0;
    const [first, firstLat] = ru ? pick(SEED_FIRST_RU) : (() => { const f = pick(SEED_FIRST); return [f, f.toLowerCase()]; })();
    const [last, lastLat] = ru ? pick(SEED_LAST_RU) : (() => { const l = pick(SEED_LAST); return [l, l.toLowerCase()]; })();
    const born = new Date(Date.UTC(1950 + Math.floor(rnd() * 50), Math.floor(rnd() * 12), 2 + Math.floor(rnd() * 26)));
    customers.push({
      first_name: first, last_name: last, full_name: `${first} ${last}`, email: `${firstLat}.${lastLat}${i}@mailhost.test`,
      phone: ru ? `+7 912 ${String(100 + (i % 900)).padStart(3, '0')}-${String(i).padStart(4, '0')}` : `+44 20 7946 ${String(1000 + i)}`,
      birth_date: born.toISOString().slice(0, 10), tax_ref: innFrom(`77${String(1000000 + i * 7)}`), pension_ref: snilsFrom(`1${String(10000000 + i * 13).padStart(8, '0')}`),
      country: ru ? 'RU' : 'GB', created_at: new Date(Date.UTC(2022, 0, 1) + i * 3_600_000).toISOString(), loyalty_points: Math.floor(rnd() * 5000), status: pick(['active', 'active', 'dormant']),
      profile: JSON.stringify({ contact: { email: `${firstLat}${i}@backup-mail.test`, phone: `+44 7700 ${String(900000 + i)}` }, prefs: { lang: ru ? 'ru' : 'en', newsletter: i % 2 === 0 } }),
    });
  }
  await sql`insert into customers ${sql(customers)}`;
  // The JSON text went in as one JSON string: unwrap it into the document.
  await sql`update customers set profile = (profile #>> '{}')::jsonb`;
  const orders: Record<string, unknown>[] = [];
  for (let i = 1; i <= n * 3; i++) {
    const c = customers[(i * 7) % n] as { full_name: string; phone: string; email: string };
    const commented = i % 5 < 2;
    orders.push({
      customer_id: ((i * 7) % n) + 1, created_at: new Date(Date.UTC(2023, 0, 1) + i * 600_000).toISOString(), total: (rnd() * 500).toFixed(2), currency: pick(['GBP', 'RUB', 'EUR']),
      status: pick(['new', 'paid', 'shipped', 'cancelled']), shipping_city: pick(['Leeds', 'York', 'Kazan', 'Perm', 'Bath']),
      comment: commented ? `Call ${c.full_name} at ${c.phone} or write to ${c.email} before delivery` : pick(['Leave at the door', 'Gift wrap, please', null]),
    });
  }
  await sql`insert into orders ${sql(orders)}`;
  const payments: Record<string, unknown>[] = [];
  for (let i = 1; i <= n * 3; i++) {
    const body = `4539${digits(11)}`;
    payments.push({ order_id: i, instrument: body + luhnDigit(body), account: ibanFrom('GB', `NWBK${digits(14)}`), amount: (rnd() * 500).toFixed(2), paid_at: i % 4 ? new Date(Date.UTC(2023, 0, 2) + i * 600_000).toISOString() : null });
  }
  await sql`insert into payments ${sql(payments)}`;
  await sql.unsafe(`
    insert into newsletter (recipient, subscribed_at) select email, date '2024-01-01' + id from customers where id % 2 = 0;
    insert into products (sku, title, price, weight, category, description)
      select 'SKU-' || lpad(g::text, 6, '0'), (array['Oak table', 'Pine shelf', 'Lamp', 'Rug', 'Chair'])[1 + g % 5] || ' ' || g, 10 + g * 3.5, 100 + g * 7,
        (array['furniture', 'lighting', 'textiles'])[1 + g % 3], 'Sturdy and simple, ' || (60 + g) || ' cm wide' from generate_series(1, 50) g;
  `);
  if (opts.extraRows) {
    await sql.unsafe(`
      create table events (id bigserial primary key, customer_id int references customers(id), kind text not null, at timestamptz not null, detail text);
      insert into events (customer_id, kind, at, detail)
        select 1 + g % ${n}, (array['view', 'cart', 'search'])[1 + g % 3], timestamptz '2024-01-01' + g * interval '1 second', 'page ' || g || ' of the catalogue, viewed from the mobile application'
        from generate_series(1, ${opts.extraRows}) g;`);
  }
  await sql.unsafe('analyze');
}
