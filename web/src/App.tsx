import { useCallback, useEffect, useState } from 'react';
import { AUTH_EVENT, fetchMe, logout, type Me } from './api.ts';
import { MeContext } from './me.ts';
import { TopBar } from './components/TopBar.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { AccessPage } from './pages/AccessPage.tsx';
import { FleetPage } from './pages/FleetPage.tsx';
import { ActivityPage } from './pages/ActivityPage.tsx';
import { InstancePage } from './pages/InstancePage.tsx';
import { ObjectsPage } from './pages/ObjectsPage.tsx';
import { QueriesPage } from './pages/QueriesPage.tsx';
import { QueryPage } from './pages/QueryPage.tsx';
import { SettingsPage } from './pages/SettingsPage.tsx';
import { StorePage } from './pages/StorePage.tsx';
import { ClusterPage } from './pages/ClusterPage.tsx';
import { ExplainPage } from './pages/ExplainPage.tsx';
import { TunePage } from './pages/TunePage.tsx';
import { Link, matchRoute, usePath } from './router.tsx';
import { useTheme } from './theme.ts';
import { TasksPage } from './pages/TasksPage.tsx';
import { AnonPage } from './pages/AnonPage.tsx';

/** The console: a top bar and the page of the current route. */
export function App() {
  const route = matchRoute(usePath());
  const [theme, setTheme] = useTheme();
  // undefined: asking the server; null: nobody signed in.
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const check = useCallback(() => { fetchMe().then(setMe, () => setMe(null)); }, []);
  useEffect(() => {
    check();
    // Any answer that says the session is gone (or the password must change) shows the sign-in again.
    window.addEventListener(AUTH_EVENT, check);
    return () => window.removeEventListener(AUTH_EVENT, check);
  }, [check]);
  if (me === undefined) return <main className="page" />;
  if (me === null || me.mustChangePassword) return <SignInPage me={me} onSignedIn={setMe} />;
  const signOut = () => { logout().finally(() => setMe(null)); };
  return (
    <MeContext.Provider value={me}>
      <TopBar theme={theme} onTheme={setTheme} me={me} onSignOut={signOut} />
      {route.page === 'fleet' && <FleetPage />}
      {route.page === 'instance' && route.tab === 'dashboard' && <InstancePage key={route.id} id={route.id} />}
      {route.page === 'instance' && route.tab === 'queries' && <QueriesPage key={route.id} id={route.id} />}
      {route.page === 'instance' && route.tab === 'activity' && <ActivityPage key={route.id} id={route.id} />}
      {route.page === 'instance' && route.tab === 'objects' && <ObjectsPage key={route.id} id={route.id} />}
      {route.page === 'instance' && route.tab === 'settings' && <SettingsPage key={route.id} id={route.id} />}
      {route.page === 'query' && <QueryPage key={`${route.id}/${route.queryid}`} id={route.id} queryid={route.queryid} />}
      {route.page === 'store' && <StorePage />}
      {route.page === 'explain' && <ExplainPage key={route.id ?? ''} id={route.id} />}
      {route.page === 'tune' && <TunePage />}
      {route.page === 'access' && <AccessPage me={me} />}
      {route.page === 'tasks' && <TasksPage />}
      {route.page === 'anon' && <AnonPage />}
      {route.page === 'cluster' && <ClusterPage key={`${route.namespace}/${route.cluster}`} namespace={route.namespace} cluster={route.cluster} />}
      {route.page === 'not-found' && (
        <main className="page">
          <h1>Not found</h1>
          <p><Link to="/">Back to the fleet</Link></p>
        </main>
      )}
    </MeContext.Provider>
  );
}
