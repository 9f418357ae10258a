import { Alert, Badge, Card, Group, Loader, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useHealth, type ComponentState, type HealthComponentName } from '../api/hooks';

const COMPONENTS: HealthComponentName[] = ['redis', 'users', 'tracking', 'worker'];

function details(state: ComponentState): string {
  return Object.entries(state)
    .filter(([key]) => key !== 'status')
    .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(', ');
}

export function HomePage() {
  const health = useHealth();
  const overall = health.isPending ? 'loading' : health.isError ? 'unavailable' : health.data.status;
  const overallColor = overall === 'ok' ? 'green' : overall === 'loading' ? 'gray' : 'red';

  return (
    <Stack gap="md">
      <Group justify="space-between" align="center">
        <Title order={1}>Tracking System</Title>
        <Group gap="xs">
          <Text c="dimmed" size="sm">
            System status
          </Text>
          <Badge color={overallColor} size="lg" tt="none" data-testid="health-status">
            {overall}
          </Badge>
        </Group>
      </Group>

      {health.isPending && (
        <Group gap="xs">
          <Loader size="sm" />
          <Text size="sm">Checking services…</Text>
        </Group>
      )}

      {health.isError && (
        <Alert color="red" title="Health check failed" data-testid="health-error">
          {health.error.message}
        </Alert>
      )}

      {health.data && (
        <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
          {COMPONENTS.map((name) => {
            const state = health.data.components[name];
            const status = state?.status ?? 'unknown';
            return (
              <Card key={name} withBorder padding="md" data-testid={`component-${name}`}>
                <Group justify="space-between">
                  <Text fw={600}>{name}</Text>
                  <Badge color={status === 'up' ? 'green' : status === 'down' ? 'red' : 'gray'}>{status}</Badge>
                </Group>
                {state && details(state) && (
                  <Text size="xs" c="dimmed" mt="xs">
                    {details(state)}
                  </Text>
                )}
              </Card>
            );
          })}
        </SimpleGrid>
      )}
    </Stack>
  );
}
