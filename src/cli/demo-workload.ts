import postgres, { type Sql } from 'postgres';

/**
 * A small steady workload so the demo's charts move: short transactions,
 * an occasional rollback, a slow query every few seconds, and a lock wait
 * every twenty seconds.
 */
export class DemoWorkload {
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private sql?: Sql;

  constructor(private readonly url: string) {}

  async start(): Promise<void> {
    const admin = postgres(this.url, { max: 1, onnotice: () => {} });
    const [{ exists }] = await admin`select exists(select 1 from pg_database where datname = 'demo') as exists`;
    if (!exists) await admin.unsafe('create database demo');
    // The target preloads pg_stat_statements: the view makes the demo's query statistics.
    await admin.unsafe('create extension if not exists pg_stat_statements');
    await admin.end();
    const demoUrl = new URL(this.url);
    demoUrl.pathname = '/demo';
    this.sql = postgres(demoUrl.toString(), { max: 6, connect_timeout: 2, onnotice: () => {}, connection: { application_name: 'pgfleet-demo-workload' } });
    await this.sql`create table if not exists accounts (id int primary key, balance bigint not null default 0, updated_at timestamptz)`;
    await this.sql`create table if not exists history (id bigserial primary key, account int, delta int, at timestamptz default now())`;
    await this.sql`insert into accounts (id) select g from generate_series(1, 1000) g on conflict do nothing`;
    this.loops.push(this.every(50, () => this.transfer()));
    this.loops.push(this.every(60, () => this.transfer()));
    this.loops.push(this.every(3000, () => this.slowQuery()));
    this.loops.push(this.every(20_000, () => this.lockWait()));
    this.loops.push(this.every(60_000, async () => { await this.sql!`delete from history where at < now() - interval '10 minutes'`; }));
  }

  private async transfer(): Promise<void> {
    const a = 1 + Math.floor(Math.random() * 1000);
    const d = Math.floor(Math.random() * 200) - 100;
    await this.sql!.begin(async (tx) => {
      await tx`update accounts set balance = balance + ${d}, updated_at = now() where id = ${a}`;
      await tx`insert into history (account, delta) values (${a}, ${d})`;
      await tx`select sum(balance) from accounts where id between ${a} and ${a + 20}`;
      if (Math.random() < 0.05) throw new RollbackOnPurpose();
    }).catch((err) => { if (!(err instanceof RollbackOnPurpose)) throw err; });
  }

  private async slowQuery(): Promise<void> {
    await this.sql!`select pg_sleep(0.3 + random() * 0.7), count(*) from history h join accounts a on a.id = h.account`;
  }

  /** One session holds a row lock for two seconds while another waits for it. */
  private async lockWait(): Promise<void> {
    const holder = this.sql!.begin(async (tx) => {
      await tx`select * from accounts where id = 1 for update`;
      await tx`select pg_sleep(2)`;
    });
    // Settled whatever happens to the waiter below (the server may be gone).
    const held = holder.then(() => undefined, () => undefined);
    try {
      await new Promise((r) => setTimeout(r, 200));
      await this.sql!`update accounts set balance = balance + 1 where id = 1`;
    } finally {
      await held;
    }
  }

  private async every(ms: number, fn: () => Promise<void>): Promise<void> {
    while (!this.stopped) {
      try { await fn(); } catch { if (this.stopped) return; }
      await new Promise<void>((r) => {
        const wake = () => { clearTimeout(t); this.wakers.delete(wake); r(); };
        const t = setTimeout(wake, ms);
        this.wakers.add(wake);
      });
    }
  }

  /** Ends the pauses between runs, so stop() does not wait out a 60 s loop. */
  private readonly wakers = new Set<() => void>();

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.wakers) w();
    // Bounded: a loop inside a transaction (the lock-wait scene) can keep postgres.js's
    // end() from settling; the demo stops the target server right after, which ends it.
    const bounded = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<void>((r) => setTimeout(r, ms).unref())]);
    await bounded(this.sql?.end({ timeout: 1 }) ?? Promise.resolve(), 2000);
    await bounded(Promise.allSettled(this.loops), 1000);
  }
}

class RollbackOnPurpose extends Error {}
