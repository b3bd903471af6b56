import { Link } from '../router.tsx';
import type { Theme } from '../theme.ts';

/** The product name, the way back to the fleet, the store's health, and the theme switch. */
export function TopBar({ theme, onTheme }: { theme: Theme; onTheme: (t: Theme) => void }) {
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <header className="topbar">
      <Link to="/" className="brand">pgfleet</Link>
      <nav>
        <Link to="/">Fleet</Link>
        <Link to="/store">Store</Link>
        <Link to="/explain">Explain</Link>
        <Link to="/tune">Tune</Link>
      </nav>
      <button type="button" className="theme-toggle" data-testid="theme-toggle" onClick={() => onTheme(next)} title={`switch to the ${next} theme`}>
        {next} theme
      </button>
    </header>
  );
}
