import { Link } from '../router.tsx';

/** The product name and the way back to the fleet. */
export function TopBar() {
  return (
    <header className="topbar">
      <Link to="/" className="brand">pgfleet</Link>
      <nav>
        <Link to="/">Fleet</Link>
      </nav>
    </header>
  );
}
