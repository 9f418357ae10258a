import { Anchor, Badge, Button, Group, Table, Text, VisuallyHidden } from '@mantine/core';
import { Link } from 'react-router-dom';
import type { Site } from '../../api/types';
import { formatDay } from '../../lib/dateRange';
import { withSiteParam } from '../../site/context';

/** Every site of the account: name, domain, zone, creation day, and where to go for each. */
export function SiteList({
  sites,
  currentId,
  onManage,
}: {
  sites: Site[];
  currentId: string | null;
  onManage: (id: string) => void;
}) {
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table fz="sm" verticalSpacing="xs" highlightOnHover data-testid="site-list">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Domain</Table.Th>
            <Table.Th>Time zone</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {sites.map((site) => {
            const current = site.id === currentId;
            return (
              <Table.Tr key={site.id} data-testid={`site-row-${site.id}`} aria-current={current ? 'true' : undefined}>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Text size="sm" fw={500}>
                      {site.name}
                    </Text>
                    {current && (
                      <Badge size="xs" variant="light" tt="none">
                        Current
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>
                  {site.domain ?? (
                    <Text span size="sm" c="dimmed">
                      No domain yet
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{site.timezone}</Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDay(site.createdAt.slice(0, 10), true)}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap" justify="flex-end">
                    <Anchor
                      component={Link}
                      to={withSiteParam('/setup', site.id)}
                      size="sm"
                      aria-label={`Setup of ${site.name}`}
                    >
                      Setup
                    </Anchor>
                    <Anchor
                      component={Link}
                      to={withSiteParam('/', site.id)}
                      size="sm"
                      aria-label={`Dashboard of ${site.name}`}
                    >
                      Dashboard
                    </Anchor>
                    {!current && (
                      <Button
                        size="compact-sm"
                        variant="light"
                        onClick={() => onManage(site.id)}
                        aria-label={`Manage ${site.name}`}
                      >
                        Manage
                      </Button>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
