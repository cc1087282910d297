import { STATUS_LABELS, type Status } from '../domain/lifecycle';

/** A request's status with the SPEC's label; the code is kept for tests and styling. */
export function StatusBadge({ status }: { status: Status }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      {STATUS_LABELS[status]}
    </span>
  );
}
