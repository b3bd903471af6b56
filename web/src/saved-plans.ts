// The plans this browser saved: the server does not list saved plans (a plan is reached only by its
// unguessable link), so the console remembers its own, newest first.
const KEY = 'pgfleet.explain.saved';
const MAX = 50;

export interface SavedPlanRef { id: string; title: string; created_at: number }

export function savedPlans(): SavedPlanRef[] {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is SavedPlanRef => typeof x?.id === 'string' && typeof x?.title === 'string' && typeof x?.created_at === 'number') : [];
  } catch {
    return [];
  }
}

export function rememberPlan(p: SavedPlanRef): void {
  try {
    localStorage.setItem(KEY, JSON.stringify([p, ...savedPlans().filter((x) => x.id !== p.id)].slice(0, MAX)));
  } catch {
    // Storage full or disabled: the link still works, it is only not remembered here.
  }
}
