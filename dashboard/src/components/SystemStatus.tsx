import { Badge, Group, Text } from '@mantine/core';
import { useHealth } from '../api/hooks';

/** The public health check, shown where no one is signed in yet. */
export function SystemStatus() {
  const health = useHealth();
  const status = health.isPending ? 'loading' : health.isError ? 'unavailable' : health.data.status;
  const color = status === 'ok' ? 'green' : status === 'loading' ? 'gray' : 'red';
  const down = health.data
    ? Object.entries(health.data.components)
        .filter(([, c]) => c.status !== 'up')
        .map(([name]) => name)
    : [];
  return (
    <Group gap="xs" justify="center">
      <Text c="dimmed" size="xs">
        System status
      </Text>
      <Badge color={color} size="sm" tt="none" data-testid="health-status">
        {status}
      </Badge>
      {down.length > 0 && (
        <Text c="red" size="xs" data-testid="health-down">
          down: {down.join(', ')}
        </Text>
      )}
    </Group>
  );
}
