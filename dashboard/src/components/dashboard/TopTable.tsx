import { Box, Button, Table, Text, Tooltip, UnstyledButton } from '@mantine/core';
import { useState } from 'react';
import { formatNumber, formatPercent, share } from '../../lib/format';

export interface TopRow {
  label: string;
  /** The filter value a click applies; null when the row cannot be filtered on (e.g. "none"). */
  value: string | null;
  count: number;
  secondary?: number;
  /** Shown before the label, hidden from screen readers (a country's flag). */
  icon?: string;
  /** The label's tooltip when it should say more than the label (a country's ISO code). */
  title?: string;
}

/** What the share column divides by, and how the tooltip says it. */
export interface ShareBase {
  total: number;
  /** "all 1,500 visits in the period" */
  description: string;
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
  /** The total the share column is a percentage of; without it, the sum of the rows. */
  shareOf?: ShareBase | null;
  /** What the counts count ("visits"), for the share tooltip when it falls back to the rows' sum. */
  unit?: string;
}

/** The share column's base: the period's total when known, else the sum of the rows shown. */
export function shareBase(rows: TopRow[], shareOf: ShareBase | null | undefined, unit: string): ShareBase {
  if (shareOf && shareOf.total > 0) return shareOf;
  const total = rows.reduce((sum, r) => sum + r.count, 0);
  return { total, description: `the ${formatNumber(total)} ${unit} in this table` };
}

/** A ranked table with a bar proportional to each row's count and its share; rows filter the dashboard. */
export function TopTable({
  rows,
  name,
  countLabel,
  secondaryLabel,
  onSelect,
  limit = 10,
  testId,
  shareOf,
  unit = countLabel.toLowerCase(),
}: Props) {
  const [expanded, setExpanded] = useState(false);
  const max = Math.max(1, ...rows.map((r) => r.count));
  const shown = expanded ? rows : rows.slice(0, limit);
  const base = shareBase(rows, shareOf, unit);
  const shareHelp = `Share of ${base.description}`;
  return (
    <Box data-testid={testId}>
      <Table verticalSpacing={4} horizontalSpacing="xs" layout="fixed" fz="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{name}</Table.Th>
            {secondaryLabel !== undefined && (
              <Table.Th w={76} ta="right">
                {secondaryLabel}
              </Table.Th>
            )}
            <Table.Th w={72} ta="right">
              {countLabel}
            </Table.Th>
            <Table.Th w={56} ta="right">
              <Tooltip label={shareHelp} multiline w={240} withArrow>
                <abbr title={shareHelp} style={{ textDecoration: 'underline dotted', cursor: 'help' }}>
                  %
                </abbr>
              </Tooltip>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shown.map((row, i) => {
            const clickable = onSelect && row.value !== null && row.value !== '';
            const pct = share(row.count, base.total);
            const label = (
              <Text size="sm" truncate="end" title={row.title ?? row.label} style={{ position: 'relative' }}>
                {row.icon && <span aria-hidden="true">{`${row.icon} `}</span>}
                {row.label}
              </Text>
            );
            return (
              // Keyed by value: a row that is still there after a filter keeps its element (and focus).
              <Table.Tr key={row.value ?? `none-${row.label}-${i}`} data-value={row.value ?? undefined}>
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
                <Table.Td ta="right" data-testid="share" title={pct === null ? undefined : `${pct.toFixed(2)}%`}>
                  {pct === null ? '—' : formatPercent(pct)}
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
