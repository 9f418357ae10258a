import { Center, Container, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { SystemStatus } from './SystemStatus';

/** Frame of the signed-out pages: product name, one card, the public system status. */
export function AuthLayout({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Container size={440} py={40} component="main">
      <Stack gap="lg">
        <Stack gap={4} align="center">
          <Title order={1} size="h2">
            Tracking System
          </Title>
          <Text c="dimmed" size="sm">
            Privacy-friendly, self-hosted product analytics
          </Text>
        </Stack>
        <Paper withBorder shadow="sm" p="lg" radius="md">
          <Title order={2} size="h3" mb="md">
            {title}
          </Title>
          {children}
        </Paper>
        <Center>
          <SystemStatus />
        </Center>
      </Stack>
    </Container>
  );
}
