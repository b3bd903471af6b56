// A tiny history router: the console's routes are `/`, `/store`, `/instances/:id` with its tabs, and a query's page.
import { useEffect, useState, type MouseEvent, type ReactNode } from 'react';

const NAVIGATE_EVENT = 'pgfleet:navigate';

/** Goes to `path` without reloading the page. */
export function navigate(path: string): void {
  if (path === window.location.pathname + window.location.search) return;
  window.history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
  window.scrollTo(0, 0);
}

/** The current path; re-renders on navigation and on back/forward. */
export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const update = (): void => setPath(window.location.pathname);
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE_EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE_EVENT, update);
    };
  }, []);
  return path;
}

/** The views of one instance, each at `/instances/:id/<tab>` (the dashboard at `/instances/:id`). */
export const INSTANCE_TABS = [
  { tab: 'dashboard', label: 'Dashboard', key: 'd' },
  { tab: 'queries', label: 'Queries', key: 'q' },
  { tab: 'activity', label: 'Activity', key: 'a' },
  { tab: 'objects', label: 'Objects', key: 'o' },
  { tab: 'settings', label: 'Settings', key: 's' },
] as const;
export type InstanceTab = (typeof INSTANCE_TABS)[number]['tab'];

export type Route =
  | { page: 'fleet' }
  | { page: 'instance'; id: string; tab: InstanceTab }
  | { page: 'query'; id: string; queryid: string }
  | { page: 'store' }
  | { page: 'explain'; id?: string }
  | { page: 'tune' }
  | { page: 'access' }
  | { page: 'tasks' }
  | { page: 'anon' }
  | { page: 'cluster'; namespace: string; cluster: string }
  | { page: 'not-found' };

/** Maps a path to a route. */
export function matchRoute(path: string): Route {
  if (path === '/' || path === '') return { page: 'fleet' };
  if (path === '/store' || path === '/store/') return { page: 'store' };
  if (path === '/explain' || path === '/explain/') return { page: 'explain' };
  if (path === '/tune' || path === '/tune/') return { page: 'tune' };
  if (path === '/access' || path === '/access/') return { page: 'access' };
  if (path === '/tasks' || path === '/tasks/') return { page: 'tasks' };
  if (path === '/anon' || path === '/anon/') return { page: 'anon' };
  const e = /^\/explain\/([A-Za-z0-9_-]{1,64})\/?$/.exec(path);
  if (e) return { page: 'explain', id: e[1] };
  const m = /^\/instances\/([^/]+)(?:\/(queries|activity|objects|settings))?\/?$/.exec(path);
  if (m) return { page: 'instance', id: decodeURIComponent(m[1]), tab: (m[2] as InstanceTab | undefined) ?? 'dashboard' };
  const c = /^\/clusters\/([^/]+)\/([^/]+)\/?$/.exec(path);
  if (c) return { page: 'cluster', namespace: decodeURIComponent(c[1]), cluster: decodeURIComponent(c[2]) };
  const q = /^\/instances\/([^/]+)\/queries\/(-?\d{1,20})\/?$/.exec(path);
  if (q) return { page: 'query', id: decodeURIComponent(q[1]), queryid: q[2] };
  return { page: 'not-found' };
}

/** The path of an instance's view (its dashboard by default). */
export function instancePath(id: string, tab: InstanceTab = 'dashboard'): string {
  return `/instances/${encodeURIComponent(id)}${tab === 'dashboard' ? '' : `/${tab}`}`;
}

/** The path of a cluster's topology page. */
export function clusterPath(namespace: string, cluster: string): string {
  return `/clusters/${encodeURIComponent(namespace)}/${encodeURIComponent(cluster)}`;
}

/** The path of one statement's page. */
export function queryPath(id: string, queryid: string): string {
  return `${instancePath(id, 'queries')}/${queryid}`;
}

/** The current URL's query string, without `?`. */
export function currentSearch(): string {
  return window.location.search.replace(/^\?/, '');
}

/** Sets one parameter of the query string in place, keeping the others. */
export function setSearchParam(name: string, value: string): void {
  const q = new URLSearchParams(currentSearch());
  q.set(name, value);
  replaceSearch(q.toString());
}

/** Replaces the query string in place (no history entry): views keep their state in the URL so links can be shared. */
export function replaceSearch(search: string): void {
  const url = window.location.pathname + (search ? `?${search}` : '');
  if (url !== window.location.pathname + window.location.search) window.history.replaceState(null, '', url);
}

interface LinkProps {
  to: string;
  className?: string;
  children: ReactNode;
  testid?: string;
}

/** An anchor that navigates in place; modified clicks (new tab, …) keep the browser's behaviour. */
export function Link({ to, className, children, testid }: LinkProps) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>): void => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} className={className} onClick={onClick} data-testid={testid}>
      {children}
    </a>
  );
}
