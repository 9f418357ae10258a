import { Button, Code, Group, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { copyText } from '../lib/download';

interface CopyFieldProps {
  value: string;
  /** What is being copied, for the button's accessible name ("Copy script tag"). */
  what: string;
  label?: string;
  block?: boolean;
  testId?: string;
}

export function CopyField({ value, what, label, block = false, testId }: CopyFieldProps) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(t);
  }, [state]);

  return (
    <Stack gap={4}>
      {label && (
        <Text size="sm" fw={500}>
          {label}
        </Text>
      )}
      <Group gap="xs" wrap="nowrap" align="flex-start">
        <Code block={block} data-testid={testId} style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
          {value}
        </Code>
        <Button
          size="xs"
          variant={state === 'copied' ? 'filled' : 'light'}
          color={state === 'failed' ? 'red' : state === 'copied' ? 'teal' : undefined}
          onClick={async () => setState((await copyText(value)) ? 'copied' : 'failed')}
          aria-label={`Copy ${what}`}
        >
          {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : 'Copy'}
        </Button>
      </Group>
    </Stack>
  );
}
