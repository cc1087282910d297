/**
 * The metrics engine as the exports use it: the agents report and the XLSX summary sheet take
 * their numbers from here, so each metric keeps one definition (app/domain/metrics.ts).
 */
export { type AgentMetricsRow, getAgentLeaderboard, getMetricsSummary } from '../metrics/metrics.server';
