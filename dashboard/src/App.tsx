import { Anchor, AppShell, Container, Group, Text } from '@mantine/core';
import { NavLink, Route, Routes } from 'react-router-dom';
import { HomePage } from './pages/HomePage';
import { Placeholder } from './pages/Placeholder';

const NAV = [
  { to: '/', label: 'Dashboard' },
  { to: '/events', label: 'Events' },
  { to: '/setup', label: 'Setup' },
  { to: '/profile', label: 'Profile' },
  { to: '/login', label: 'Log in' },
];

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/" element={<HomePage />} />
      <Route path="/login" element={<Placeholder title="Log in" />} />
      <Route path="/register" element={<Placeholder title="Register" />} />
      <Route path="/setup" element={<Placeholder title="Setup" />} />
      <Route path="/profile" element={<Placeholder title="Profile" />} />
      <Route path="/events" element={<Placeholder title="Events" />} />
      <Route path="*" element={<Placeholder title="Page not found" />} />
    </Routes>
  );
}

export function App() {
  return (
    <AppShell header={{ height: 56 }} padding="md">
      <AppShell.Header>
        <Container size="lg" h="100%">
          <Group h="100%" justify="space-between">
            <Text fw={700}>Tracking System</Text>
            <Group gap="md" component="nav">
              {NAV.map((item) => (
                <Anchor key={item.to} component={NavLink} to={item.to} size="sm">
                  {item.label}
                </Anchor>
              ))}
            </Group>
          </Group>
        </Container>
      </AppShell.Header>
      <AppShell.Main>
        <Container size="lg">
          <AppRoutes />
        </Container>
      </AppShell.Main>
    </AppShell>
  );
}
