import { Button, Card, Code, Group, SimpleGrid, Table, Text, TextInput } from '@mantine/core';
import { Fragment, useState, type FormEvent } from 'react';
import { useEventsExplorer, type EventSearch } from '../../api/hooks';
import type { StoredEvent } from '../../api/types';
import { formatTimestamp } from '../../lib/format';
import { EmptyState, ErrorState, SkeletonRows } from '../QueryState';
import { ExportButtons } from './ExportButtons';

const FIELDS: Array<{ key: keyof EventSearch; label: string; placeholder: string }> = [
  { key: 'eventName', label: 'Event name', placeholder: 'PAGE_VIEW' },
  { key: 'page', label: 'Page', placeholder: 'https://example.com/pricing' },
  { key: 'userId', label: 'User ID', placeholder: 'user-123' },
  { key: 'sessionId', label: 'Session ID', placeholder: '' },
];

function rowKey(event: StoredEvent, i: number): string {
  return `${event.id ?? event.eventId ?? ''}-${i}`;
}

function EventRows({ items }: { items: StoredEvent[] }) {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table fz="sm" verticalSpacing={4} highlightOnHover data-testid="events-explorer-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Time</Table.Th>
            <Table.Th>Event</Table.Th>
            <Table.Th>Page</Table.Th>
            <Table.Th>User</Table.Th>
            <Table.Th>Session</Table.Th>
            <Table.Th>Details</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((event, i) => {
            const key = rowKey(event, i);
            const expanded = open === key;
            return (
              <Fragment key={key}>
                <Table.Tr>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatTimestamp(event.eventTime)}</Table.Td>
                  <Table.Td>{event.eventName}</Table.Td>
                  <Table.Td maw={260}>
                    <Text size="sm" truncate="end" title={event.page ?? undefined}>
                      {event.page}
                    </Text>
                  </Table.Td>
                  <Table.Td>{event.userId}</Table.Td>
                  <Table.Td maw={140}>
                    <Text size="sm" truncate="end" title={event.sessionId ?? undefined}>
                      {event.sessionId}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Button
                      size="compact-xs"
                      variant="subtle"
                      onClick={() => setOpen(expanded ? null : key)}
                      aria-expanded={expanded}
                      aria-label={`${expanded ? 'Hide' : 'Show'} details of ${event.eventName ?? 'event'}`}
                    >
                      {expanded ? 'Hide' : 'Show'}
                    </Button>
                  </Table.Td>
                </Table.Tr>
                {expanded && (
                  <Table.Tr>
                    <Table.Td colSpan={6}>
                      <Code block>{JSON.stringify(event, null, 2)}</Code>
                    </Table.Td>
                  </Table.Tr>
                )}
              </Fragment>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function EventsExplorer() {
  const [draft, setDraft] = useState<EventSearch>({});
  const [search, setSearch] = useState<EventSearch>({});
  const events = useEventsExplorer(search);
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSearch({ ...draft });
  };

  return (
    <Card withBorder padding="md" data-testid="events-explorer">
      <Group justify="space-between" mb="sm" wrap="wrap">
        <Text fw={600} component="h2" m={0} fz="md">
          Raw events
        </Text>
        <ExportButtons search={search} />
      </Group>
      <form onSubmit={submit} aria-label="Search events">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} mb="xs">
          {FIELDS.map((f) => (
            <TextInput
              key={f.key}
              label={f.label}
              placeholder={f.placeholder}
              value={draft[f.key] ?? ''}
              onChange={(e) => {
                const value = e.currentTarget.value;
                setDraft((d) => ({ ...d, [f.key]: value }));
              }}
            />
          ))}
        </SimpleGrid>
        <Group gap="xs" mb="sm">
          <Button type="submit" size="xs">
            Search
          </Button>
          <Button
            size="xs"
            variant="subtle"
            onClick={() => {
              setDraft({});
              setSearch({});
            }}
          >
            Reset
          </Button>
        </Group>
      </form>
      {events.isPending && <SkeletonRows rows={6} />}
      {events.isError && <ErrorState error={events.error} onRetry={() => void events.refetch()} />}
      {events.isSuccess && items.length === 0 && <EmptyState>No events match.</EmptyState>}
      {items.length > 0 && <EventRows items={items} />}
      {events.hasNextPage && (
        <Group justify="center" mt="sm">
          <Button variant="light" onClick={() => void events.fetchNextPage()} loading={events.isFetchingNextPage}>
            Load more
          </Button>
        </Group>
      )}
    </Card>
  );
}
