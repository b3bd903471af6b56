import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { SettingEntry } from '../../../protocol/index.ts';
import { diffSettings } from '../../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { ErrorReply } from '../schemas.ts';
import { checkWindow, parseTime } from '../time.ts';

const Errors = { 400: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply) };
const TimeParam = (what: string, dflt: string) => Type.Optional(Type.String({ description: `${what}: ISO time, ms since epoch, or now-<n>(s|m|h|d|w). Default ${dflt}.` }));
const OptStr = Type.Optional(Type.String());

/** A setting as the agent read it from pg_settings (docs/protocol.md#settings). */
const Setting = Type.Object({
  name: Type.String(), setting: Type.String({ description: "in the setting's unit, as pg_settings shows it" }), unit: OptStr,
  vartype: Type.String(), context: Type.String({ description: 'postmaster: needs a restart; sighup: a reload; user, superuser: per session' }),
  category: OptStr, source: Type.String(), sourcefile: OptStr, sourceline: Type.Optional(Type.Integer()),
  pending_restart: Type.Boolean(), boot_val: OptStr, reset_val: OptStr,
});
const Nullable = Type.Union([Setting, Type.Null()]);
const Difference = Type.Object({ name: Type.String(), before: Nullable, after: Nullable });

/** The setting or null, as the response schema has it (optional fields left out when absent). */
const orNull = (e: SettingEntry | null | undefined) => e ?? null;

export default async function settingsRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/api/v1/instances/:id/settings', {
    config: { access: { role: 'viewer', instance: 'params.id' } },
    schema: {
      tags: ['settings'],
      summary: 'Every setting of an instance at a moment (pg_settings as the agent read it): value, unit, source and file, pending restart',
      params: Type.Object({ id: Type.String() }),
      querystring: Type.Object({ at: TimeParam('The moment', 'now') }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          instance: Type.String(), at: Type.Number(),
          as_of: Type.Union([Type.Number(), Type.Null()], { description: 'time of the newest settings message at or before `at`; null when there is none' }),
          complete: Type.Boolean({ description: 'false when no full snapshot is stored before `at`: the list then holds only settings seen changing' }),
          conf_load_time: Type.Union([Type.Number(), Type.Null()], { description: 'when the server last read its configuration files (ms)' }),
          pending_restart: Type.Integer({ description: 'settings changed in the files that wait for a restart' }),
          settings: Type.Array(Setting),
        }),
        ...Errors,
      },
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const q = req.query as { at?: string };
    const inst = await ctx.series.instance(id);
    const at = parseTime('at', q.at ?? 'now', Date.now());
    const state = await ctx.store.settings.at(inst.id, at);
    const settings = [...state.settings.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    return {
      instance: inst.name, at, as_of: state.asOf, complete: state.complete, conf_load_time: state.confLoadTime,
      pending_restart: settings.filter((s) => s.pending_restart).length, settings,
    };
  });

  app.get('/api/v1/instances/:id/settings/changes', {
    config: { access: { role: 'viewer', instance: 'params.id' } },
    schema: {
      tags: ['settings'],
      summary: 'Each change of a setting in a window, oldest first, with the value before and after; and the net difference between its two ends',
      params: Type.Object({ id: Type.String() }),
      querystring: Type.Object({ from: TimeParam('Start', 'now-7d'), to: TimeParam('End', 'now') }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          instance: Type.String(), from: Type.Number(), to: Type.Number(),
          complete: Type.Boolean({ description: 'false when no full snapshot is stored before `from`: settings first seen in the window count as changes only once a base exists' }),
          changes: Type.Array(Type.Object({ ts: Type.Number(), name: Type.String(), before: Nullable, after: Nullable })),
          difference: Type.Array(Difference, { description: 'the settings that differ between `from` and `to` (a change undone inside the window is not here)' }),
        }),
        ...Errors,
      },
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const q = req.query as { from?: string; to?: string };
    const inst = await ctx.series.instance(id);
    const now = Date.now();
    const from = parseTime('from', q.from ?? 'now-7d', now);
    const to = parseTime('to', q.to ?? 'now', now);
    checkWindow(from, to);
    const { base, changes } = await ctx.store.settings.changes(inst.id, from, to);
    const end = await ctx.store.settings.at(inst.id, to);
    return {
      instance: inst.name, from, to, complete: base.complete,
      changes: changes.map((c) => ({ ts: c.ts, name: c.name, before: orNull(c.before), after: orNull(c.after) })),
      difference: base.complete ? diffSettings(base, end) : [],
    };
  });
}
