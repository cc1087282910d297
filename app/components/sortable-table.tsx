import { Link } from '@remix-run/react';
import {
  createSortedRowModel,
  type ReactTable,
  type RowData,
  rowSortingFeature,
  type SortingState,
  sortFn_alphanumeric,
  sortFn_basic,
  type TableOptions,
  tableFeatures,
  type Updater,
  useTable,
} from '@tanstack/react-table';
import { Fragment, type ReactNode } from 'react';

/**
 * The features of every sortable table. A table whose rows come sorted from the server sets
 * `manualSorting` and never uses the sorted row model.
 */
export const sortableFeatures = tableFeatures({
  rowSortingFeature,
  sortedRowModel: createSortedRowModel(),
  sortFns: { alphanumeric: sortFn_alphanumeric, basic: sortFn_basic },
});
export type SortableFeatures = typeof sortableFeatures;

/** What a column may say about itself in `meta`: numeric columns align right. */
export interface SortableColumnMeta {
  numeric?: boolean;
}

interface TableSetup<TData extends RowData> {
  columns: TableOptions<SortableFeatures, TData>['columns'];
  data: TData[];
  getRowId: (row: TData) => string;
  /** One column at a time, from the URL: the table holds no sorting state of its own. */
  sorting: SortingState;
  onSortingChange: (sorting: SortingState) => void;
  /** The rows come sorted (by the server): the table only says which column is. */
  manualSorting?: boolean;
}

export function useSortableTable<TData extends RowData>({ sorting, onSortingChange, ...setup }: TableSetup<TData>) {
  return useTable({
    features: sortableFeatures,
    ...setup,
    enableMultiSort: false,
    enableSortingRemoval: false,
    state: { sorting },
    onSortingChange: (updater: Updater<SortingState>) =>
      onSortingChange(typeof updater === 'function' ? updater(sorting) : updater),
  });
}

const ARIA_SORT = { asc: 'ascending', desc: 'descending' } as const;

const isNumeric = (meta: unknown) => Boolean((meta as SortableColumnMeta | undefined)?.numeric);

interface Props<TData extends RowData> {
  table: ReactTable<SortableFeatures, TData>;
  /** The URL of this view sorted another way: headers are links, so sorting works without JavaScript. */
  sortHref: (sorting: SortingState) => string;
  className: string;
  testId?: string;
  /** `data-*` attributes of a row's <tr>. */
  rowAttributes?: (row: TData) => Record<`data-${string}`, string>;
  /** Sorting the rows already on the page: the sort link replaces the history entry and keeps the scroll. */
  inPlace?: boolean;
  /** What a sortable column not sorted now shows beside its name. */
  unsortedMark?: string;
  /** Rows in groups (e.g. by currency): a heading row starts each run of rows with the same key. */
  groupOf?: (row: TData) => string;
  groupHeading?: (key: string) => ReactNode;
}

/** A table whose column headers sort it (one column at a time, aria-sort on the sorted one). */
export function SortableTable<TData extends RowData>({
  table,
  sortHref,
  className,
  testId,
  rowAttributes,
  inPlace = false,
  unsortedMark = '',
  groupOf,
  groupHeading,
}: Props<TData>) {
  const columnCount = table.getAllLeafColumns().length;
  let previousGroup: string | null = null;
  return (
    <table className={className} data-testid={testId}>
      <thead>
        {table.getHeaderGroups().map((group) => (
          <tr key={group.id}>
            {group.headers.map((header) => {
              const { column } = header;
              const sorted = column.getIsSorted();
              const next = sorted ? (sorted === 'asc' ? 'desc' : 'asc') : column.getFirstSortDir();
              return (
                <th
                  key={header.id}
                  scope="col"
                  className={isNumeric(column.columnDef.meta) ? 'num' : undefined}
                  aria-sort={sorted ? ARIA_SORT[sorted] : undefined}
                >
                  {column.getCanSort() ? (
                    <Link
                      to={sortHref([{ id: column.id, desc: next === 'desc' }])}
                      replace={inPlace}
                      preventScrollReset={inPlace}
                      className={sorted ? 'sort-link sorted' : 'sort-link'}
                      onClick={(event) => {
                        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
                        event.preventDefault();
                        column.toggleSorting(next === 'desc', false);
                      }}
                    >
                      <table.FlexRender header={header} />
                      <span className="sort-mark" aria-hidden="true">
                        {sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : unsortedMark}
                      </span>
                    </Link>
                  ) : (
                    <table.FlexRender header={header} />
                  )}
                </th>
              );
            })}
          </tr>
        ))}
      </thead>
      <tbody>
        {table.getRowModel().rows.map((row) => {
          const group = groupOf?.(row.original) ?? null;
          const startsGroup = group !== null && group !== previousGroup;
          previousGroup = group;
          return (
            <Fragment key={row.id}>
              {startsGroup ? (
                <tr className="group-row" data-testid="group-row">
                  <th scope="colgroup" colSpan={columnCount}>
                    {groupHeading ? groupHeading(group) : group}
                  </th>
                </tr>
              ) : null}
              <tr {...rowAttributes?.(row.original)}>
                {row.getAllCells().map((cell) => (
                  <td key={cell.id} className={isNumeric(cell.column.columnDef.meta) ? 'num' : undefined}>
                    <table.FlexRender cell={cell} />
                  </td>
                ))}
              </tr>
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}
