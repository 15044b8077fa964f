// The ChurnGuard card on HubSpot company and contact records. Everything comes from the
// churnguard_* properties through useCrmProperties; nothing calls the daemon.
import React from 'react';
import {
  Alert,
  DescriptionList,
  DescriptionListItem,
  Divider,
  EmptyState,
  ErrorState,
  Flex,
  List,
  LoadingSpinner,
  Statistics,
  StatisticsItem,
  StatisticsTrend,
  Tag,
  Text,
  hubspot,
} from '@hubspot/ui-extensions';
import { useCrmProperties } from '@hubspot/ui-extensions/crm';

import { PROPERTY_NAMES, STALE_AFTER_DAYS, TIER_VARIANT, interpret } from './churnguard';

hubspot.extend<'crm.record.tab'>(() => <ChurnRiskCard />);

export function ChurnRiskCard({ now = new Date() }: { now?: Date }) {
  const { properties, isLoading, error } = useCrmProperties(PROPERTY_NAMES);
  if (isLoading) return <LoadingSpinner label="Loading churn risk" />;
  if (error) {
    return (
      <ErrorState title="Churn risk could not be loaded">
        <Text>{error.message}</Text>
      </ErrorState>
    );
  }
  const v = interpret(properties, now);
  if (v.state === 'unscored') {
    return (
      <EmptyState title="Not scored yet" layout="vertical">
        <Text>ChurnGuard has not scored this record. Scores appear after the daemon&apos;s next run.</Text>
      </EmptyState>
    );
  }
  return (
    <Flex direction="column" gap="sm">
      {v.state === 'stale' && (
        <Alert title="Score may be out of date" variant="warning">
          Last scored {v.ageDays} days ago (more than {STALE_AFTER_DAYS}); check that the ChurnGuard daemon is running.
        </Alert>
      )}
      {v.holdout && (
        <Tag variant="default" testId="holdout">
          Holdout (control group): no retention action on purpose
        </Tag>
      )}
      <Statistics>
        <StatisticsItem label="Churn risk" number={String(v.score)}>
          {v.trend !== null && v.trend !== 0 && (
            <StatisticsTrend direction={v.trend > 0 ? 'increase' : 'decrease'} value={`${Math.abs(v.trend)} pts in 30 days`} />
          )}
        </StatisticsItem>
        {v.sentiment !== null && <StatisticsItem label="Support sentiment" number={String(v.sentiment)} />}
        {v.engagement !== null && <StatisticsItem label="Engagement" number={String(v.engagement)} />}
      </Statistics>
      {v.tier && (
        <Tag variant={TIER_VARIANT[v.tier]} testId="tier">
          {v.tier} risk
        </Tag>
      )}
      {v.reasons.length > 0 && (
        <>
          <Text format={{ fontWeight: 'bold' }}>Why</Text>
          <List variant="unordered-styled">
            {v.reasons.map((r) => (
              <Text key={r}>{r}</Text>
            ))}
          </List>
        </>
      )}
      <Divider />
      <DescriptionList direction="row">
        <DescriptionListItem label="Next action">
          <Text testId="next-action">{v.holdout ? 'None (holdout)' : (v.nextAction ?? 'None')}</Text>
        </DescriptionListItem>
        {v.offer && !v.holdout && (
          <DescriptionListItem label="Offer">
            <Text testId="offer">{v.offer}</Text>
          </DescriptionListItem>
        )}
        <DescriptionListItem label="Scored">
          <Text testId="scored-at">
            {v.scoredAt ? v.scoredAt.toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : 'unknown'}
            {v.model ? ` by ${v.model}` : ''}
          </Text>
        </DescriptionListItem>
      </DescriptionList>
    </Flex>
  );
}
