// Light and dark themes: the choice is kept in the browser; never chosen, the system's preference holds.
import { useState } from 'react';

export const THEMES = ['light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

const KEY = 'pgfleet-theme';

function stored(): Theme | null {
  try {
    const v = localStorage.getItem(KEY);
    return (THEMES as readonly string[]).includes(v ?? '') ? (v as Theme) : null;
  } catch {
    return null; // storage disabled
  }
}

/** The theme to start with. */
export function initialTheme(): Theme {
  return stored() ?? (window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

/** Sets the theme on the document (CSS variables follow `data-theme`). */
export function applyTheme(t: Theme): void {
  document.documentElement.dataset.theme = t;
}

/** The current theme and a setter that applies and remembers it. */
export function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(() => (document.documentElement.dataset.theme as Theme | undefined) ?? initialTheme());
  const set = (t: Theme): void => {
    applyTheme(t);
    try { localStorage.setItem(KEY, t); } catch { /* storage disabled: the choice lasts this page */ }
    setTheme(t);
  };
  return [theme, set];
}

/** A colour of the current theme, from its CSS variable. */
export function themeColour(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}
