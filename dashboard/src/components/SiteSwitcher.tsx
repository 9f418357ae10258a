import { ComboboxChevron, Group, Menu, Skeleton, Stack, Text, UnstyledButton } from '@mantine/core';
import { Link } from 'react-router-dom';
import type { Site } from '../api/types';
import { useCurrentSite } from '../site/context';

/**
 * The header button's name. It contains its visible text word for word and not in parentheses
 * (WCAG 2.5.3, label in name: axe ignores parenthesised words): "Switch site, current: Shop,
 * shop.example.com".
 */
export function switcherLabel(site: Site): string {
  return `Switch site, current: ${site.domain ? `${site.name}, ${site.domain}` : site.name}`;
}

/**
 * A menu item's name: its visible text word for word, as the header button's ("Shop,
 * shop.example.com", "Blog, No domain yet"). The former "Blog" left out the "No domain yet" the
 * item shows, and "Shop (shop.example.com)" puts the domain in parentheses: label in name
 * (WCAG 2.5.3) wants all of the visible text.
 */
export function siteItemLabel(site: Site): string {
  return `${site.name}, ${site.domain ?? 'No domain yet'}`;
}

function NameAndDomain({ site, strong = false }: { site: Site; strong?: boolean }) {
  return (
    <Stack gap={0} miw={0} style={{ flex: 1 }}>
      <Text size="sm" fw={strong ? 600 : 500} truncate="end" lh={1.3}>
        {site.name}
      </Text>
      {/* The header button leaves out "No domain yet": its name would have to say it too. */}
      {(site.domain || !strong) && (
        <Text size="xs" c="dimmed" truncate="end" lh={1.3}>
          {site.domain ?? 'No domain yet'}
        </Text>
      )}
    </Stack>
  );
}

/** The header's site menu: the current site, every site of the account, and the Sites page. */
export function SiteSwitcher() {
  const { site, sites, status, selectSite, link } = useCurrentSite();
  if (status === 'pending') return <Skeleton height={36} width={150} radius="sm" data-testid="site-switcher-loading" />;
  if (!site) return null; // an API without sites: nothing to switch

  return (
    // The header never scrolls away, so the menu need not hide when its button is off screen.
    // No focus placeholder: Mantine's (role=presentation with a tabindex) is not a valid child of
    // role=menu (axe: aria-required-children). Opening then focuses the first item, as the menu
    // button pattern has it.
    <Menu
      position="bottom-start"
      width={280}
      shadow="md"
      withinPortal
      hideDetached={false}
      withInitialFocusPlaceholder={false}
    >
      <Menu.Target>
        <UnstyledButton
          aria-label={switcherLabel(site)}
          data-testid="site-switcher"
          px="xs"
          py={2}
          miw={0}
          maw={{ base: 170, xs: 240, sm: 300 }}
          style={{ border: '1px solid var(--mantine-color-default-border)', borderRadius: 'var(--mantine-radius-sm)' }}
        >
          <Group gap={6} wrap="nowrap">
            <NameAndDomain site={site} strong />
            <ComboboxChevron aria-hidden />
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown data-testid="site-menu">
        <Menu.Label>Sites</Menu.Label>
        <Menu.RadioGroup value={site.id} onChange={selectSite}>
          {sites.map((s) => (
            <Menu.RadioItem key={s.id} value={s.id} closeMenuOnClick aria-label={siteItemLabel(s)}>
              <NameAndDomain site={s} />
            </Menu.RadioItem>
          ))}
        </Menu.RadioGroup>
        <Menu.Divider />
        <Menu.Item component={Link} to={link('/sites')}>
          Add / manage sites
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
