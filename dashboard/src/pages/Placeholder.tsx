import { Stack, Text, Title } from '@mantine/core';

export function Placeholder({ title }: { title: string }) {
  return (
    <Stack gap="xs">
      <Title order={2}>{title}</Title>
      <Text c="dimmed">Coming soon.</Text>
    </Stack>
  );
}
