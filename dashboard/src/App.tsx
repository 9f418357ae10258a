import { Anchor, Stack, Text, Title } from '@mantine/core';
import { Link, Route, Routes } from 'react-router-dom';
import { RedirectIfAuthed, RequireAuth } from './auth/guards';
import { Layout } from './components/Layout';
import { useDocumentTitle } from './lib/title';
import { DashboardPage } from './pages/DashboardPage';
import { EventsPage } from './pages/EventsPage';
import { FunnelsPage } from './pages/FunnelsPage';
import { LoginPage } from './pages/LoginPage';
import { ProfilePage } from './pages/ProfilePage';
import { RegisterPage } from './pages/RegisterPage';
import { RetentionPage } from './pages/RetentionPage';
import { SetupPage } from './pages/SetupPage';
import { SitesPage } from './pages/SitesPage';
import { useCurrentSite } from './site/context';
import { SiteProvider } from './site/SiteProvider';

function NotFound() {
  useDocumentTitle('Page not found');
  const { link } = useCurrentSite();
  return (
    <Stack gap="xs">
      <Title order={1} size="h2">
        Page not found
      </Title>
      <Text c="dimmed">
        <Anchor component={Link} to={link('/')}>
          Back to the dashboard
        </Anchor>
      </Text>
    </Stack>
  );
}

function Protected({ page }: { page: React.ReactNode }) {
  return (
    <RequireAuth>
      <SiteProvider>
        <Layout>{page}</Layout>
      </SiteProvider>
    </RequireAuth>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route
        path="/login"
        element={
          <RedirectIfAuthed>
            <LoginPage />
          </RedirectIfAuthed>
        }
      />
      <Route
        path="/register"
        element={
          <RedirectIfAuthed>
            <RegisterPage />
          </RedirectIfAuthed>
        }
      />
      <Route path="/" element={<Protected page={<DashboardPage />} />} />
      <Route path="/funnels" element={<Protected page={<FunnelsPage />} />} />
      <Route path="/retention" element={<Protected page={<RetentionPage />} />} />
      <Route path="/events" element={<Protected page={<EventsPage />} />} />
      <Route path="/setup" element={<Protected page={<SetupPage />} />} />
      <Route path="/sites" element={<Protected page={<SitesPage />} />} />
      <Route path="/profile" element={<Protected page={<ProfilePage />} />} />
      <Route path="*" element={<Protected page={<NotFound />} />} />
    </Routes>
  );
}

export function App() {
  return <AppRoutes />;
}
