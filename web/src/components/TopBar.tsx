import { Link } from '../router.tsx';
import type { Theme } from '../theme.ts';
import type { Me } from '../api.ts';

/** The product name, the way back to the fleet, the store's health, and the theme switch. */
export function TopBar({ theme, onTheme, me, onSignOut }: { theme: Theme; onTheme: (t: Theme) => void; me: Me; onSignOut: () => void }) {
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <header className="topbar">
      <Link to="/" className="brand">pgfleet</Link>
      <nav>
        <Link to="/">Fleet</Link>
        <Link to="/store">Store</Link>
        <Link to="/explain">Explain</Link>
        <Link to="/tune">Tune</Link>
        <Link to="/tasks">Tasks</Link>
        <Link to="/anon">Anonymize</Link>
        <Link to="/access">Access</Link>
      </nav>
      <span className="who" data-testid="who">
        <span title={me.isAdmin ? 'system administrator' : me.grants.map((g) => `${g.role} of ${g.namespace}`).join(', ')}>{me.name}</span>
        <button type="button" className="reset" onClick={onSignOut} data-testid="sign-out">Sign out</button>
      </span>
      <button type="button" className="theme-toggle" data-testid="theme-toggle" onClick={() => onTheme(next)} title={`switch to the ${next} theme`}>
        {next} theme
      </button>
    </header>
  );
}
