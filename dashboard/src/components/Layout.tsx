import {
  ActionIcon,
  Alert,
  AppShell,
  Burger,
  Button,
  Group,
  Menu,
  NavLink as MantineNavLink,
  Stack,
  Text,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useEffect, type ReactNode } from 'react';
import { NavLink, useLocation, useNavigate } from 'react-router-dom';
import { useHealth } from '../api/hooks';
import { useAuth } from '../auth/context';
import { useConnectivity } from '../lib/connectivity';
import { useCurrentSite } from '../site/context';
import { SiteSwitcher } from './SiteSwitcher';

export type ThemeChoice = 'light' | 'dark' | 'auto';

const THEME_CHOICES: { value: ThemeChoice; label: string }[] = [
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
  { value: 'auto', label: 'System' },
];

/** The toggle's accessible name: the choice, and for "system" what the system gives now. */
export function themeLabel(choice: ThemeChoice, computed: 'light' | 'dark'): string {
  return choice === 'auto' ? `Theme: system (now ${computed})` : `Theme: ${choice}`;
}

function ThemeIcon({ choice }: { choice: ThemeChoice }) {
  const common = { fill: 'none', stroke: 'currentColor', strokeWidth: 2, strokeLinecap: 'round' as const };
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      {choice === 'light' && (
        <g {...common}>
          <circle cx="12" cy="12" r="4" />
          <path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" />
        </g>
      )}
      {choice === 'dark' && <path d="M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z" {...common} />}
      {choice === 'auto' && (
        <g {...common}>
          <rect x="3" y="4" width="18" height="12" rx="2" />
          <path d="M8 20h8M12 16v4" />
        </g>
      )}
    </svg>
  );
}

/**
 * Light, dark, or the system's (the default): a menu of the three, the choice kept (Mantine's
 * localStorage manager; public/color-scheme.js applies it before the first paint).
 */
export function ColorSchemeToggle() {
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light', { getInitialValueInEffect: false });
  const label = themeLabel(colorScheme, computed);
  return (
    // No focus placeholder (see SiteSwitcher): axe's aria-required-children; the first item takes focus.
    <Menu position="bottom-end" width={160} shadow="md" withinPortal withInitialFocusPlaceholder={false}>
      <Menu.Target>
        <ActionIcon
          variant="default"
          size="lg"
          aria-label={label}
          title={label}
          data-testid="color-scheme-toggle"
          data-scheme={computed}
          data-choice={colorScheme}
        >
          <ThemeIcon choice={colorScheme} />
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown data-testid="theme-menu">
        <Menu.Label>Theme</Menu.Label>
        <Menu.RadioGroup value={colorScheme} onChange={(value) => setColorScheme(value as ThemeChoice)}>
          {THEME_CHOICES.map((c) => (
            <Menu.RadioItem key={c.value} value={c.value} closeMenuOnClick>
              <Group gap={8} wrap="nowrap">
                <ThemeIcon choice={c.value} />
                {c.label}
              </Group>
            </Menu.RadioItem>
          ))}
        </Menu.RadioGroup>
      </Menu.Dropdown>
    </Menu>
  );
}

/** Offline, or the server does not answer: figures on the page may be out of date. */
export function ConnectionBanner() {
  useHealth(); // polled: a failing health check says the server is unreachable
  const { online, reachable, retry } = useConnectivity();
  if (online && reachable) return null;
  return (
    <Alert
      color={online ? 'red' : 'orange'}
      variant="light"
      role="alert"
      title={online ? 'Cannot reach the server' : 'You are offline'}
      data-testid="connection-banner"
      data-state={online ? 'unreachable' : 'offline'}
      mb="md"
    >
      <Group justify="space-between" gap="xs" wrap="nowrap" align="flex-start">
        <Text size="sm">
          {online
            ? 'The figures shown may be out of date. Checking again every few seconds.'
            : 'The figures shown may be out of date; they refresh when the connection is back.'}
        </Text>
        {online && (
          <Button size="compact-xs" variant="subtle" color="red" onClick={retry} style={{ flexShrink: 0 }}>
            Retry now
          </Button>
        )}
      </Group>
    </Alert>
  );
}

const NAV = [
  { to: '/', label: 'Dashboard', end: true },
  { to: '/funnels', label: 'Funnels', end: false },
  { to: '/retention', label: 'Retention', end: false },
  { to: '/events', label: 'Events', end: false },
  { to: '/setup', label: 'Setup', end: false },
  { to: '/sites', label: 'Sites', end: false },
  { to: '/profile', label: 'Profile', end: false },
];

/** The report pages: they share the period and filters in the URL, which their links carry along. */
const REPORT_PAGES = new Set(['/', '/funnels', '/retention']);
const REPORT_PARAMS = ['period', 'from', 'to', 'filter'];

/** `path` (already carrying the site) with the current period and filters, between report pages. */
export function reportLink(path: string, current: { pathname: string; search: string }): string {
  if (!REPORT_PAGES.has(path.split('?')[0]!) || !REPORT_PAGES.has(current.pathname)) return path;
  const from = new URLSearchParams(current.search);
  const [base, query = ''] = path.split('?', 2) as [string, string?];
  const next = new URLSearchParams(query);
  for (const key of REPORT_PARAMS) for (const value of from.getAll(key)) next.append(key, value);
  const text = next.toString();
  return text ? `${base}?${text}` : base;
}

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
          <Group gap="sm" wrap="nowrap" miw={0} justify="flex-end" style={{ flexShrink: 1 }}>
            {session && (
              <Text size="sm" c="dimmed" truncate="end" maw={240} visibleFrom="sm" data-testid="signed-in-as">
                {session.user.name}
              </Text>
            )}
            <ColorSchemeToggle />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main navigation">
        <AppShell.Section grow component="nav">
          <Stack gap={2}>
            {NAV.map((item) => (
              <MantineNavLink
                key={item.to}
                component={NavLink}
                to={reportLink(link(item.to), location)}
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
      <AppShell.Main>
        <ConnectionBanner />
        {children}
      </AppShell.Main>
    </AppShell>
  );
}
