import { AppShell, Burger, Button, Group, NavLink as MantineNavLink, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useEffect, type ReactNode } from 'react';
import { NavLink, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/context';
import { useCurrentSite } from '../site/context';
import { SiteSwitcher } from './SiteSwitcher';

const NAV = [
  { to: '/', label: 'Dashboard', end: true },
  { to: '/events', label: 'Events', end: false },
  { to: '/setup', label: 'Setup', end: false },
  { to: '/sites', label: 'Sites', end: false },
  { to: '/profile', label: 'Profile', end: false },
];

export function Layout({ children }: { children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure(false);
  const { session, logout } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const { link } = useCurrentSite();

  // Close the phone menu after navigating.
  useEffect(() => close(), [location.pathname, close]);

  const signOut = async () => {
    await logout();
    navigate('/login', { replace: true });
  };

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap" miw={0}>
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Text fw={700} component="span" style={{ whiteSpace: 'nowrap' }}>
              Tracking System
            </Text>
            <SiteSwitcher />
          </Group>
          {session && (
            <Text size="sm" c="dimmed" truncate="end" maw="30%" visibleFrom="sm" data-testid="signed-in-as">
              {session.user.name}
            </Text>
          )}
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main navigation">
        <AppShell.Section grow component="nav">
          <Stack gap={2}>
            {NAV.map((item) => (
              <MantineNavLink
                key={item.to}
                component={NavLink}
                to={link(item.to)}
                end={item.end}
                label={item.label}
                active={item.end ? location.pathname === item.to : location.pathname.startsWith(item.to)}
              />
            ))}
          </Stack>
        </AppShell.Section>
        <AppShell.Section>
          {session && (
            <Text size="xs" c="dimmed" truncate="end" mb="xs">
              {session.user.email}
            </Text>
          )}
          <Button variant="default" fullWidth onClick={signOut} aria-label="Log out">
            Log out
          </Button>
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}
