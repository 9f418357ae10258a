import { Box, Button, Table, Text, UnstyledButton } from '@mantine/core';
import { useState } from 'react';
import { formatNumber } from '../../lib/format';

export interface TopRow {
  label: string;
  /** The filter value a click applies; null when the row cannot be filtered on (e.g. "none"). */
  value: string | null;
  count: number;
  secondary?: number;
}

interface Props {
  rows: TopRow[];
  /** Heading of the first column, and what a filter on it is called ("Browser"). */
  name: string;
  countLabel: string;
  secondaryLabel?: string;
  onSelect?: (value: string) => void;
  limit?: number;
  testId?: string;
}

/** A ranked table with a bar proportional to each row's count; rows filter the dashboard. */
export function TopTable({ rows, name, countLabel, secondaryLabel, onSelect, limit = 10, testId }: Props) {
  const [expanded, setExpanded] = useState(false);
  const max = Math.max(1, ...rows.map((r) => r.count));
  const shown = expanded ? rows : rows.slice(0, limit);
  return (
    <Box data-testid={testId}>
      <Table verticalSpacing={4} horizontalSpacing="xs" layout="fixed" fz="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{name}</Table.Th>
            {secondaryLabel !== undefined && (
              <Table.Th w={80} ta="right">
                {secondaryLabel}
              </Table.Th>
            )}
            <Table.Th w={80} ta="right">
              {countLabel}
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shown.map((row, i) => {
            const clickable = onSelect && row.value !== null && row.value !== '';
            const label = (
              <Text size="sm" truncate="end" title={row.label} style={{ position: 'relative' }}>
                {row.label}
              </Text>
            );
            return (
              <Table.Tr key={`${row.label}-${i}`}>
                <Table.Td style={{ position: 'relative' }}>
                  <Box
                    aria-hidden
                    style={{
                      position: 'absolute',
                      inset: '3px auto 3px 0',
                      width: `${(row.count / max) * 100}%`,
                      background: 'var(--mantine-color-blue-light)',
                      borderRadius: 4,
                    }}
                  />
                  {clickable ? (
                    <UnstyledButton
                      onClick={() => onSelect(row.value as string)}
                      aria-label={`Filter by ${name} ${row.label}`}
                      style={{ display: 'block', width: '100%', paddingLeft: 6 }}
                    >
                      {label}
                    </UnstyledButton>
                  ) : (
                    <Box pl={6}>{label}</Box>
                  )}
                </Table.Td>
                {secondaryLabel !== undefined && (
                  <Table.Td ta="right" title={String(row.secondary ?? '')}>
                    {formatNumber(row.secondary ?? 0)}
                  </Table.Td>
                )}
                <Table.Td ta="right" fw={600} title={String(row.count)}>
                  {formatNumber(row.count)}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      {rows.length > limit && (
        <Button variant="subtle" size="compact-sm" mt={4} onClick={() => setExpanded((e) => !e)}>
          {expanded ? 'Show fewer' : `Show all ${rows.length}`}
        </Button>
      )}
    </Box>
  );
}
