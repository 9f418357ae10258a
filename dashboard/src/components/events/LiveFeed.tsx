import { Badge, Button, Card, Group, Stack, Table, Text } from '@mantine/core';
import { formatTimestamp } from '../../lib/format';
import type { StreamStatus } from '../../lib/sse';
import { EmptyState } from '../QueryState';
import { LIVE_CAP, useLiveEvents } from './useLiveEvents';

function StatusBadge({ status }: { status: StreamStatus }) {
  if (status.state === 'open') {
    return (
      <Badge color="green" variant="light" tt="none" data-testid="live-status">
        Live
      </Badge>
    );
  }
  if (status.state === 'connecting') {
    return (
      <Badge color="gray" variant="light" tt="none" data-testid="live-status">
        Connecting…
      </Badge>
    );
  }
  return (
    <Badge color="orange" variant="light" tt="none" data-testid="live-status" title={status.error}>
      Reconnecting in {Math.round(status.retryInMs / 1000)} s
    </Badge>
  );
}

export function LiveFeed() {
  const { events, status, clear } = useLiveEvents();
  return (
    <Card withBorder padding="md" data-testid="live-feed">
      <Group justify="space-between" mb="xs">
        <Group gap="xs">
          <Text fw={600} component="h2" m={0} fz="md">
            Live feed
          </Text>
          <StatusBadge status={status} />
        </Group>
        <Button size="compact-sm" variant="subtle" onClick={clear} disabled={events.length === 0}>
          Clear
        </Button>
      </Group>
      {status.state === 'retrying' && (
        <Text size="xs" c="dimmed" mb="xs" data-testid="live-error">
          {status.error}
        </Text>
      )}
      {events.length === 0 ? (
        <EmptyState>New events appear here as they arrive (the newest {LIVE_CAP} are kept).</EmptyState>
      ) : (
        <Stack gap={0} style={{ maxHeight: 320, overflowY: 'auto' }}>
          <Table fz="sm" verticalSpacing={4} stickyHeader>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Time</Table.Th>
                <Table.Th>Event</Table.Th>
                <Table.Th>Page</Table.Th>
                <Table.Th visibleFrom="sm">User</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {events.map(({ key, event }) => (
                <Table.Tr key={key}>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatTimestamp(event.eventTime)}</Table.Td>
                  <Table.Td>{event.eventName}</Table.Td>
                  <Table.Td maw={280}>
                    <Text size="sm" truncate="end" title={event.page ?? undefined}>
                      {event.page}
                    </Text>
                  </Table.Td>
                  <Table.Td visibleFrom="sm">{event.userId}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      )}
    </Card>
  );
}
