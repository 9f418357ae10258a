import { Box, Table, Text, useComputedColorScheme } from '@mantine/core';
import type { Cohort, RetentionUnit } from '../../api/types';
import { formatNumber, formatPercent } from '../../lib/format';
import { cellColors, columnCount, offsetLabel, retainedPercent } from '../../lib/retention';

/**
 * The classic triangle: a row per cohort (its start and size), then a column per unit offset
 * with the share of the cohort that came back, shaded by it; the count is written below and
 * said in the cell's title.
 */
export function RetentionTable({ cohorts, unit }: { cohorts: Cohort[]; unit: RetentionUnit }) {
  const scheme = useComputedColorScheme('light', { getInitialValueInEffect: false });
  const columns = columnCount(cohorts);
  return (
    <Box style={{ overflowX: 'auto' }}>
      <Table fz="sm" verticalSpacing={4} horizontalSpacing={6} withColumnBorders data-testid="retention-table" w="auto">
        <Table.Caption>
          Share of each cohort (visitors by the {unit} of their first event in the period) with an event {unit}s later
        </Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Cohort</Table.Th>
            <Table.Th scope="col" ta="right" style={{ minWidth: 80 }}>
              Visitors
            </Table.Th>
            {Array.from({ length: columns }, (_, i) => (
              <Table.Th key={i} scope="col" ta="center" miw={72} style={{ whiteSpace: 'nowrap', minWidth: 72 }}>
                {offsetLabel(unit, i)}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {cohorts.map((cohort) => (
            <Table.Tr key={cohort.start} data-testid="cohort-row" data-start={cohort.start}>
              <Table.Th scope="row" style={{ whiteSpace: 'nowrap', fontWeight: 500 }}>
                {cohort.start}
              </Table.Th>
              <Table.Td ta="right" data-testid="cohort-size">
                {formatNumber(cohort.size)}
              </Table.Td>
              {Array.from({ length: columns }, (_, i) => {
                const count = cohort.retained[i];
                if (count === undefined) return <Table.Td key={i} />;
                const pct = retainedPercent(cohort, i);
                const colors = cellColors(pct, scheme);
                const title = `${offsetLabel(unit, i)}: ${count} of ${cohort.size} visitors`;
                return (
                  <Table.Td
                    key={i}
                    ta="center"
                    title={title}
                    data-testid="retention-cell"
                    data-offset={i}
                    data-count={count}
                    style={{ background: colors.background, color: colors.color }}
                  >
                    <Text size="sm" fw={600} inherit>
                      {pct === null ? '—' : formatPercent(pct)}
                    </Text>
                    <Text size="xs" inherit>
                      {formatNumber(count)}
                    </Text>
                  </Table.Td>
                );
              })}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Box>
  );
}
