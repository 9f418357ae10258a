import { Stack, Title } from '@mantine/core';
import { EventsExplorer } from '../components/events/EventsExplorer';
import { LiveFeed } from '../components/events/LiveFeed';
import { useDocumentTitle } from '../lib/title';

export function EventsPage() {
  useDocumentTitle('Events');
  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        Events
      </Title>
      <LiveFeed />
      <EventsExplorer />
    </Stack>
  );
}
