import { TopBar } from './components/TopBar.tsx';
import { FleetPage } from './pages/FleetPage.tsx';
import { InstancePage } from './pages/InstancePage.tsx';
import { StorePage } from './pages/StorePage.tsx';
import { Link, matchRoute, usePath } from './router.tsx';

/** The console: a top bar and the page of the current route. */
export function App() {
  const route = matchRoute(usePath());
  return (
    <>
      <TopBar />
      {route.page === 'fleet' && <FleetPage />}
      {route.page === 'instance' && <InstancePage key={route.id} id={route.id} />}
      {route.page === 'store' && <StorePage />}
      {route.page === 'not-found' && (
        <main className="page">
          <h1>Not found</h1>
          <p><Link to="/">Back to the fleet</Link></p>
        </main>
      )}
    </>
  );
}
