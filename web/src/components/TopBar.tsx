import { Link } from '../router.tsx';

/** The product name, the way back to the fleet, and the store's health. */
export function TopBar() {
  return (
    <header className="topbar">
      <Link to="/" className="brand">pgfleet</Link>
      <nav>
        <Link to="/">Fleet</Link>
        <Link to="/store">Store</Link>
      </nav>
    </header>
  );
}
