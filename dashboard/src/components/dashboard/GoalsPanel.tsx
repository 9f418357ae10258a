import { Anchor, Box, Table, Text, Tooltip, UnstyledButton } from '@mantine/core';
import { Link } from 'react-router-dom';
import type { StatsQuery } from '../../api/hooks';
import { useGoals, useGoalStats } from '../../api/reports';
import type { Goal } from '../../api/types';
import type { Filter } from '../../lib/filters';
import { formatNumber, formatPercent } from '../../lib/format';
import { goalDescription, goalFilter, WILDCARD_GOAL_HELP } from '../../lib/goals';
import { useCurrentSite } from '../../site/context';
import { EmptyState, QueryView } from '../QueryState';
import { PanelCard } from './Panels';

/** Where goals are added: the Sites page of the current site. */
function NoGoals() {
  const { link } = useCurrentSite();
  return (
    <EmptyState>
      No goals yet. Add them on the{' '}
      <Anchor component={Link} to={link('/sites')} inherit>
        Sites page
      </Anchor>
      .
    </EmptyState>
  );
}

function GoalName({ name, goal, onFilter }: { name: string; goal: Goal | undefined; onFilter: (f: Filter) => void }) {
  const filter = goal ? goalFilter(goal) : null;
  const title = goal ? goalDescription(goal) : name;
  const label = (
    <Text size="sm" truncate="end">
      {name}
    </Text>
  );
  if (filter)
    return (
      <UnstyledButton
        onClick={() => onFilter(filter)}
        aria-label={`Filter by goal ${name}`}
        title={title}
        style={{ display: 'block', width: '100%' }}
      >
        {label}
      </UnstyledButton>
    );
  if (!goal) return <Box title={title}>{label}</Box>;
  const help = `${title}. ${WILDCARD_GOAL_HELP}`;
  return (
    <Tooltip label={help} multiline w={260} withArrow events={{ hover: true, focus: true, touch: true }}>
      {/* A button that does nothing, so keyboard and screen-reader users reach the reason too. */}
      <UnstyledButton
        aria-disabled="true"
        aria-label={`${name}: ${help}`}
        data-testid="goal-not-filterable"
        style={{ display: 'block', width: '100%', cursor: 'help' }}
      >
        {label}
      </UnstyledButton>
    </Tooltip>
  );
}

/** Each goal's converted visitors, conversions and conversion rate; a click filters the dashboard. */
export function GoalsPanel({ query, onFilter }: { query: StatsQuery; onFilter: (filter: Filter) => void }) {
  const stats = useGoalStats(query);
  const goals = useGoals();
  const byId = new Map((goals.data ?? []).map((g) => [g.id, g]));
  return (
    <PanelCard title="Goals" testId="panel-goals">
      <QueryView query={stats} isEmpty={(d) => d.length === 0} empty={<NoGoals />} errorTitle="Goals">
        {(rows) => (
          <Table verticalSpacing={4} horizontalSpacing="xs" layout="fixed" fz="sm" data-testid="goals-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Goal</Table.Th>
                <Table.Th w={76} ta="right">
                  Visitors
                </Table.Th>
                <Table.Th w={96} ta="right">
                  Conversions
                </Table.Th>
                <Table.Th w={64} ta="right">
                  <abbr
                    title="Conversion rate: converted visitors ÷ visitors"
                    style={{ textDecoration: 'underline dotted' }}
                  >
                    CR
                  </abbr>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={row.goalId} data-goal={row.goalId} data-testid="goal-row">
                  <Table.Td>
                    <GoalName name={row.name} goal={byId.get(row.goalId)} onFilter={onFilter} />
                  </Table.Td>
                  <Table.Td ta="right" title={String(row.visitors)} data-testid="goal-visitors">
                    {formatNumber(row.visitors)}
                  </Table.Td>
                  <Table.Td ta="right" title={String(row.conversions)} data-testid="goal-conversions">
                    {formatNumber(row.conversions)}
                  </Table.Td>
                  <Table.Td ta="right" fw={600} title={`${row.conversionRate}%`} data-testid="goal-rate">
                    {formatPercent(row.conversionRate)}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryView>
    </PanelCard>
  );
}
