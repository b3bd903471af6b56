// A tiny history router: the console's routes are `/`, `/instances/:id` and `/store`.
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

export type Route = { page: 'fleet' } | { page: 'instance'; id: string } | { page: 'store' } | { page: 'not-found' };

/** Maps a path to a route. */
export function matchRoute(path: string): Route {
  if (path === '/' || path === '') return { page: 'fleet' };
  if (path === '/store' || path === '/store/') return { page: 'store' };
  const m = /^\/instances\/([^/]+)\/?$/.exec(path);
  if (m) return { page: 'instance', id: decodeURIComponent(m[1]) };
  return { page: 'not-found' };
}

/** The path of an instance page. */
export function instancePath(id: string): string {
  return `/instances/${encodeURIComponent(id)}`;
}

interface LinkProps {
  to: string;
  className?: string;
  children: ReactNode;
}

/** An anchor that navigates in place; modified clicks (new tab, …) keep the browser's behaviour. */
export function Link({ to, className, children }: LinkProps) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>): void => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} className={className} onClick={onClick}>
      {children}
    </a>
  );
}
